"""Hooks of the contract probe app, set up as described by the recordings
(methods.json probe_methods, meta.json lifecycle_probe, app-patterns.json probe_app_additions)."""

app_name = "contract_probe"
app_title = "Contract Probe"
app_publisher = "MedGrid conformance suite"
app_description = "Probe endpoints used to replay the recorded Frappe HTTP contract"
app_email = "conformance@example.com"
app_license = "MIT"
required_apps = ["erpnext"]

# a dotted path that is not a module, answered by a guest method (app-patterns group 4)
override_whitelisted_methods = {
    "probe.vendor.webhook": "contract_probe.api.guest_ok",
}

# the lifecycle probe: a Sales Order controller subclass that logs every controller method
override_doctype_class = {
    "Sales Order": "contract_probe.probe.ProbeSalesOrder",
}

_LOGGED_EVENTS = (
    "before_insert",
    "before_naming",
    "before_validate",
    "validate",
    "before_save",
    "after_insert",
    "on_update",
    "on_change",
    "before_submit",
    "on_submit",
    "before_update_after_submit",
    "on_update_after_submit",
    "before_cancel",
    "on_cancel",
    "on_trash",
    "after_delete",
)

doc_events = {
    "Sales Order": {
        event: (
            ["contract_probe.probe.doc_event", "contract_probe.patterns.enqueue_on_submit"]
            if event == "on_submit"
            else "contract_probe.probe.doc_event"
        )
        for event in _LOGGED_EVENTS
    }
}

after_request = ["contract_probe.probe.after_request"]
