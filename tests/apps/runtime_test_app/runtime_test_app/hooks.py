app_name = "runtime_test_app"
app_title = "Runtime Test App"

_EVENTS = ["before_insert", "before_naming", "before_validate", "validate", "before_save", "after_insert",
           "on_update", "before_submit", "on_submit", "before_cancel", "on_cancel", "on_change", "on_trash",
           "after_delete", "before_update_after_submit", "on_update_after_submit"]

doc_events = {
    "RT Note": {event: "runtime_test_app.events.log" for event in _EVENTS},
    ("RT Tag", "RT Hash"): {"on_update": "runtime_test_app.events.log"},
    "*": {"on_update": "runtime_test_app.events.star"},
}

permission_query_conditions = {"RT Hash": "runtime_test_app.events.hash_query"}
has_permission = {"RT Hash": "runtime_test_app.events.hash_permission"}

scheduler_events = {
    "daily": ["runtime_test_app.events.daily_job"],
    "cron": {"*/5 * * * *": ["runtime_test_app.events.five_minute_job"]},
}

after_install = "runtime_test_app.events.after_install"
after_migrate = ["runtime_test_app.events.after_migrate"]
