"""The recorded exchanges, arranged into timelines that can be replayed on one site each.

A *timeline* starts from the fixture site (``site.py``) with a given configuration and runs its
steps in recorded order:

* ``Exchange`` — a recorded exchange: send it, then compare the response with the recording;
* ``Bridge``   — a request that is *not* compared. Bridges stand in for exchanges that the recorder
  made but that are held back from the recordings, where later exchanges depend on their effect
  (each bridge says which recorded evidence requires it);
* ``Action``   — a Python step on the site that the recorder did outside HTTP (the app-patterns
  setup: territories, a User Permission, custom fields, the job-mode switch, …).
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable

# the recordings live next to the repository (<repo>/../shared/frappe/recordings), where CI checks
# out the shared folder; MEDGRID_RECORDINGS_DIR points elsewhere
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEFAULT_RECORDINGS_DIR = os.path.normpath(os.path.join(REPO_ROOT, "..", "shared", "frappe", "recordings"))
RECORDINGS_DIR = os.environ.get("MEDGRID_RECORDINGS_DIR") or DEFAULT_RECORDINGS_DIR
HOST = "medgrid.localhost:8000"
ADMIN_TOKEN = "token <ADMIN_API_KEY>:<ADMIN_API_SECRET>"
SALES_TOKEN = "token <SALES_API_KEY>:<SALES_API_SECRET>"


def load(name: str) -> dict:
    with open(os.path.join(RECORDINGS_DIR, name), encoding="utf-8") as f:
        return json.load(f)


@dataclass
class Exchange:
    key: str  # unique inside the timeline: "<section>/<exchange id>"
    source: str  # recordings file
    record: dict
    request_override: Callable[[Any], dict] | None = None  # (timeline state) -> override dict
    extra_check: str | None = None  # name of an extra check run after the HTTP comparison
    # comparison options that follow from how the recording stored the response (e.g. a reduced body:
    # {"project": ["body.data"]}); merged with known_differences' options
    compare_options: dict | None = None
    # a create whose recorded name cannot be reproduced (it comes from another recorder run): the
    # runtime's name is bound to the recorded one *before* the comparison (see runner)
    learn_name_first: bool = False

    @property
    def id(self) -> str:
        return self.record["id"]


@dataclass
class Bridge:
    description: str
    request: dict  # recorded-request format (method, path, headers, body_json)
    expect_status: int


@dataclass
class Parallel:
    """Recorded exchanges that the recorder sent at the same time: sent together from threads, each
    answer compared with whichever recorded answer of the group it matches (which request wins a race
    is not part of the contract); then ``aggregate_check`` (site.py/medgrid_site.py) checks the totals."""

    description: str
    exchanges: list  # [Exchange]
    aggregate_check: str | None = None


@dataclass
class Action:
    description: str
    name: str  # function name in site.py's ACTIONS
    kwargs: dict = field(default_factory=dict)


@dataclass
class SiteConfig:
    site_config: dict = field(default_factory=dict)
    system_settings: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)


@dataclass
class Timeline:
    name: str
    config: SiteConfig
    steps: list

    def exchanges(self) -> list[Exchange]:
        return [s for s in self.steps if isinstance(s, Exchange)]


def _req(method: str, path: str, auth: str = ADMIN_TOKEN, body_json=None) -> dict:
    headers = {"Host": HOST, "Authorization": auth}
    request = {"method": method, "path": path, "headers": headers}
    if body_json is not None:
        headers["Content-Type"] = "application/json"
        request["body_json"] = body_json
    return request


def _so_path(name: str) -> str:
    return f"/api/resource/Sales%20Order/{name}"


# ---------------------------------------------------------------- simple files

def auth_timeline() -> Timeline:
    data = load("auth.json")
    steps = [Exchange(f"auth/{e['id']}", "auth.json", e) for e in data["exchanges"]]
    for step in steps:
        if step.id == "desk_app_page_generates_csrf":
            step.extra_check = "capture_csrf_token"
    return Timeline("auth", SiteConfig(), steps)


METHOD_VARIANT_CONFIG = {
    "devmode0": SiteConfig(),
    "devmode1": SiteConfig(site_config={"developer_mode": 1}),
    "devmode0_notraceback": SiteConfig(system_settings={"allow_error_traceback": 0}),
    "werkzeug_devserver_devmode1": SiteConfig(site_config={"developer_mode": 1}, env={"DEV_SERVER": "1"}),
}


def methods_timelines() -> list[Timeline]:
    data = load("methods.json")
    out = []
    for variant, block in data["variants"].items():
        steps = [Exchange(f"{variant}/{e['id']}", "methods.json", e) for e in block["exchanges"]]
        out.append(Timeline(f"methods-{variant}", METHOD_VARIANT_CONFIG[variant], steps))
    return out


def formdict_timeline() -> Timeline:
    data = load("formdict.json")
    steps = [Exchange(f"formdict/{e['id']}", "formdict.json", e) for e in data["exchanges"]]
    return Timeline("formdict", SiteConfig(), steps)


def headers_timelines() -> list[Timeline]:
    data = load("headers.json")
    out = []
    for variant, block in data["variants"].items():
        conf = {k: v for k, v in block["config"]["site_config"].items() if k not in ("db_type",)}
        steps = []
        for e in block["exchanges"]:
            steps.append(Exchange(f"{variant}/{e['id']}", "headers.json", e))
            if variant == "global_rate_limit_exhausted" and e["id"] == "call_1":
                steps.append(Action(
                    "make call_1 count as at least 10 ms of request time: the recorded budget (0.01 s) was "
                    "spent by call_1 on the recording site; an in-process call can be faster than that",
                    "spend_global_rate_limit", {"microseconds": 10_000, "window": conf["rate_limit"]["window"]}))
        out.append(Timeline(f"headers-{variant}", SiteConfig(site_config=conf), steps))
    return out


# ---------------------------------------------------------------- the main (stateful) timeline

def _resource_steps() -> list:
    data = load("resource.json")
    steps: list = []
    for e in data["exchanges"]:
        step = Exchange(f"resource/{e['id']}", "resource.json", e)
        if e["id"] == "so_submit":
            steps.append(Bridge(
                "held-back exchange: so_submit's recorded body has po_no PO-CLIENT-002 while the last "
                "recorded PUT (so_update_draft) set PO-CLIENT-001",
                _req("PUT", _so_path("SAL-ORD-2026-00001"), body_json={"po_no": "PO-CLIENT-002"}), 200))
        if e["id"] == "sales_user_so_list":
            for name in ("SAL-ORD-2026-00002", "SAL-ORD-2026-00003", "SAL-ORD-2026-00004", "SAL-ORD-2026-00005"):
                steps.append(Bridge(
                    f"held-back exchange: {name} no longer exists when sales_user_so_list runs (it lists "
                    "only 00006 and 00001; so_create_unknown_field's note says its draft is deleted later)",
                    _req("DELETE", _so_path(name)), 202))
        if e["id"] == "sales_user_so_delete":
            steps.append(Bridge(
                "held-back exchange: sales_user_so_delete is described as deleting a *cancelled* order "
                "right after sales_user_so_submit, so the sales user cancelled it in between",
                _req("PUT", _so_path("SAL-ORD-2026-00007"), auth=SALES_TOKEN, body_json={"docstatus": 2}), 200))
        steps.append(step)
    return steps


def _lifecycle_steps() -> list:
    data = load("meta.json")
    probe = data["lifecycle_probe"]
    step_logs = list(probe["steps"].items())
    exchanges = probe["http_exchanges"]
    assert len(step_logs) == len(exchanges), "lifecycle steps and exchanges no longer pair up"
    steps: list = [Action("switch the lifecycle logger on", "lifecycle_logging", {"enabled": True})]
    for (label, log), e in zip(step_logs, exchanges):
        step = Exchange(f"lifecycle/{e['id']}", "meta.json", e, extra_check="lifecycle_log")
        step.record = dict(e, **{"lifecycle_log (recorder-added)": log, "lifecycle_step": label})
        if e["id"] == "insert_failing":
            step.request_override = _failing_insert_body
        steps.append(step)
    steps.append(Action("switch the lifecycle logger off", "lifecycle_logging", {"enabled": False}))
    return steps


def _failing_insert_body(state) -> dict:
    """insert_failing: delivery_date before transaction_date (its recorded values are masked)."""
    today = state.subs.today
    body = {
        "customer": "MedGrid Clinic",
        "transaction_date": today.isoformat(),
        "delivery_date": (today - datetime.timedelta(days=1)).isoformat(),
        "items": [{"item_code": "MG-SYRINGE-5ML", "qty": 1}],
    }
    return {"body_json": body}


def _sync_date_override(value: str):
    def override(state) -> dict:
        # the recorded error message quotes these exact values, so they are not derived from today
        return {"json_replace": {"probe_sync_date": value}}

    return override


def _update_series_override(state) -> dict:
    """update_series posts the Single doc it just read; its masked `modified` is that read's value."""
    record = state.current.record["request"]["body_json"]
    docs = json.loads(record["docs"])
    docs["modified"] = state.subs.captures.get("6_naming_series/get_document_naming_settings:body.message.modified")
    return {"body_json": dict(record, docs=json.dumps(docs))}


JOB_MODES_TRIALS = {"after_commit": 10, "immediate": 10, "immediate_delay": 2, "after_commit_fail": 1, "immediate_fail": 1}


def _app_patterns_steps() -> list:
    data = load("app-patterns.json")
    groups = data["groups"]
    steps: list = []

    def add(group: str, e: dict, **kw):
        steps.append(Exchange(f"{group}/{e['id']}", "app-patterns.json", e, **kw))

    # 1: portal pages
    for e in groups["1_portal_pages"]["exchanges"]:
        if e["id"] == "guest_get_nonexistent_page":
            steps.append(Bridge(
                "held-back request: guest_get_nonexistent_page is recorded with X-From-Cache: True, and "
                "Frappe serves the 404 page from its page cache (keyed by the page \"404\", not by the URL) "
                "only after the site rendered it once, so the recording site had answered an unknown "
                "route before",
                {"method": "GET", "path": "/probe-held-back-unknown-page", "headers": {"Host": HOST}}, 404))
        add("1_portal_pages", e)

    # 2: territory user permission
    g = "2_territory_user_permission"
    steps.append(Action("territories North/South; MedGrid Clinic -> North, Second Customer LLC -> South",
                        "territory_setup"))
    for e in groups[g]["exchanges"]:
        if e["id"] == "sales_list":
            steps.append(Action("User Permission sales-user -> Territory North (apply_to_all_doctypes)",
                                "user_permission", {"create": True}))
        if e["id"] == "sales_list_after_removal":
            steps.append(Action("delete the User Permission", "user_permission", {"create": False}))
        add(g, e)

    # 3: custom fields
    g = "3_custom_fields"
    steps.append(Action("create_custom_fields as recorded", "custom_fields",
                        {"definition": groups[g]["create_custom_fields_call"]}))
    for e in groups[g]["exchanges"]:
        if e["id"] == "put_submitted_tracking_after_allow_on_submit":
            steps.append(Action("flip allow_on_submit on probe_tracking_number", "custom_fields_flip"))
        override = None
        if e["id"] == "create_so_with_custom_fields":
            override = _sync_date_override("2026-11-28 10:15:00")
        elif e["id"] == "put_submitted_sync_date_no_allow_on_submit":
            override = _sync_date_override("2026-11-28 11:00:00")
        add(g, e, request_override=override)

    # 4 and 5: no state
    for g in ("4_override_whitelisted_methods_and_raw_body", "5_custom_exception_status"):
        for e in groups[g]["exchanges"]:
            add(g, e)

    # 6: naming series, restored afterwards as the recorder did
    g = "6_naming_series"
    for e in groups[g]["exchanges"]:
        add(g, e, request_override=_update_series_override if e["id"] == "update_series" else None)
    steps.append(Action("restore the Sales Order naming series; drop XX-2026-00001 and its series row",
                        "naming_series_restore"))

    # 7: jobs; only the first trial of each mode is recorded, the others are bridged
    g = "7_jobs_after_commit"
    for e in groups[g]["exchanges"]:
        if e["id"].endswith("_submit"):
            mode = e["id"][: -len("_submit")]
            steps.append(Action(f"jobs mode {mode}", "jobs_mode", {"mode": mode}))
            add(g, e, extra_check="job_probe")
            steps.append(Action("jobs mode off", "jobs_mode", {"mode": None}))
            for trial in range(2, JOB_MODES_TRIALS[mode] + 1):
                steps.extend(_job_trial_bridges(mode, trial))
        else:
            add(g, e)

    # 3 (continued): the SO created without custom fields, recorded after the job trials
    for e in groups["3_custom_fields"]["unset_case"]["exchanges"]:
        add("3_custom_fields_unset", e)

    # 8: selling defaults
    for e in groups["8_selling_defaults"]["exchanges"]:
        add("8_selling_defaults", e)
    return steps


def _job_trial_bridges(mode: str, trial: int) -> list:
    reason = (f"trial {trial} of mode {mode}: app-patterns group 7 ran {JOB_MODES_TRIALS[mode]} trials "
              "but recorded only the first; the later trials consumed Sales Order names")
    body = {"customer": "MedGrid Clinic", "delivery_date": "<date>", "items": [{"item_code": "MG-SYRINGE-5ML", "qty": 2}]}
    create = _req("POST", "/api/resource/Sales%20Order", body_json=body)
    submit = _req("PUT", "<last-created-so>", body_json={"docstatus": 1})
    return [
        Bridge(reason + " (create)", create, 200),
        Action(f"jobs mode {mode}", "jobs_mode", {"mode": mode}),
        Bridge(reason + " (submit)", submit, 417 if mode.endswith("_fail") else 200),
        Action("jobs mode off", "jobs_mode", {"mode": None}),
    ]


def main_timeline() -> Timeline:
    steps = _resource_steps() + _lifecycle_steps() + _app_patterns_steps()
    return Timeline("main", SiteConfig(), steps)


def all_timelines() -> dict[str, Timeline]:
    timelines = [auth_timeline(), *methods_timelines(), formdict_timeline(), *headers_timelines(), main_timeline()]
    return {t.name: t for t in timelines}


# which test module shows which timeline sections
def exchanges_for(source: str) -> list[tuple[str, str]]:
    """(timeline name, exchange key) pairs of one recordings file, in recorded order."""
    out = []
    for name, timeline in all_timelines().items():
        for step in timeline.exchanges():
            if step.source == source:
                out.append((name, step.key))
    return out
