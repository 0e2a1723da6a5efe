"""security-desk.json (sections A–D) as one timeline on the MedGrid fixture site (medgrid_site.py).

What the recording keeps differently from the other files, and how it is replayed:

* requests recorded as ``body_form`` (a dict, no raw body) are sent form-encoded, as python-requests
  sent them; ``body_text`` is either the literal JSON that was sent (B03, B05) or a description of a
  generated body (B11 60 KB search text, B12 20,000-deep nesting, B13 5 MiB remarks), rebuilt here;
* ``__frappe_exc_id`` is masked in the decoded copy but not on the wire: the wire copy is masked too;
* ``response.truncated`` says how a body was reduced; the comparison follows it ("data reduced" →
  only the recorded keys of the actual dict; "first K kept" → the first K rows and the total count;
  collapsed child tables → their row count);
* C04, C07 and C09 name orders from the recorder's *second* run (SO-2026-00077, -00078): the name
  the runtime gives is bound to the recorded one before the comparison;
* B07's draft (ITEM-001 in a warehouse without stock) is refused by MedGrid, but C08 submits it: an
  action creates it directly when B07 did not;
* C10 (ten parallel submits) is sent from ten threads at once (``Parallel``) and checked in aggregate;
* D: the ten failed logins before D02 (``lockout_attempts`` #1..#10) are bridges expecting 401;
* E (the Desk) is issue 13 and not replayed.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse

from .scenarios import Action, Bridge, Exchange, Parallel, SiteConfig, Timeline, load

SOURCE = "security-desk.json"
HOST = "real.localhost"
SKIPPED_SECTIONS = {"E": "section E (the Desk: getdoctype/getdoc/reportview/savedocs) is issue 13, not replayed yet"}
_EXC_ID = re.compile(r'("__frappe_exc_id": ")[0-9a-f]{56}(")')
_FIRST_KEPT = re.compile(r"data list had (\d+) items; first \d+ kept")


def _mask_exc_ids(response: dict) -> None:
    body = response.get("body_json")
    if isinstance(body, dict) and isinstance(body.get("_server_messages"), str):
        messages = json.loads(body["_server_messages"])
        body["_server_messages"] = json.dumps([_EXC_ID.sub(r"\1<exc_id>\2", m) for m in messages])


def _compare_options(record: dict) -> dict | None:
    truncated = record["response"].get("truncated") or ""
    if truncated.startswith("data reduced"):
        return {"project": ["body.data"]}
    m = _FIRST_KEPT.match(truncated)
    if m:
        return {"truncated": {"body.data": int(m.group(1))}}
    return None  # "child tables collapsed to item counts" is handled by the comparator itself


def _delivery_date() -> str:
    import datetime

    return (datetime.date.today() + datetime.timedelta(days=7)).isoformat()


def _form(fields: dict) -> dict:
    return {"body_raw": urllib.parse.urlencode(fields),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def _request_override(record: dict):
    """The live request body where the recording keeps a form dict or a description."""
    request = record["request"]
    rid = record["id"]
    if "body_form" in request and "body_raw" not in request:
        fields = request["body_form"]
        return lambda state: _form(fields)
    if rid == "B11_search_link_60kb":
        return lambda state: _form({"doctype": "Item", "txt": "A" * 61440})
    if rid == "B12_so_nested_20000":
        return lambda state: {"body_raw": "[" * 20000 + "]" * 20000}
    if rid == "B13_so_5mb_body":
        def body(state):
            doc = {"customer": "Demo Clinic Partner", "delivery_date": _delivery_date(),
                   "items": [{"item_code": "ITEM-001", "qty": 1, "rate": 89, "warehouse": "Skydell Main - SM"}],
                   "remarks": "x" * 5242880}
            return {"body_raw": json.dumps(doc, separators=(",", ":"))}
        return body
    if "body_text" in request:  # B03, B05: the literal JSON that was sent
        text = request["body_text"]
        return lambda state: {"body_raw": text}
    return None


def _exchange(record: dict) -> Exchange:
    from .medgrid_site import THROWAWAY_USER

    record = copy.deepcopy(record)
    _mask_exc_ids(record["response"])
    # the throwaway user's address is masked in responses too; here it is a fixed address
    record["response"] = json.loads(json.dumps(record["response"]).replace("<throwaway-user>", THROWAWAY_USER))
    step = Exchange(f"security-desk/{record['id']}", SOURCE, record,
                    request_override=_request_override(record), compare_options=_compare_options(record))
    if record["id"] in ("C04_admin_create_other_clinic_order", "C07_partner_amend_foreign_cancelled",
                        "C09_admin_create_draft_for_race"):
        step.learn_name_first = True
    return step


def _login_bridge(attempt: int) -> Bridge:
    return Bridge(
        f"lockout_attempts #{attempt} (recorded in summary only): wrong password, 401 AuthenticationError",
        {"method": "POST", "path": "/api/method/login", "headers": {"Host": HOST, "Content-Type": "application/json"},
         "body_json": {"usr": "<throwaway-user>", "pwd": "wrong-password"}}, 401)


def security_desk_timeline() -> Timeline:
    data = load(SOURCE)
    steps: list = []
    parallel: list = []
    for record in data["exchanges"]:
        if record["section"] in SKIPPED_SECTIONS:
            continue
        step = _exchange(record)
        rid = record["id"]
        if rid.startswith("C10_parallel_submit_"):
            parallel.append(step)
            continue
        if parallel:
            steps.append(Parallel("C10: ten PUT {\"docstatus\": 1} on one draft at once", parallel,
                                  aggregate_check="one_dispatch_per_vendor"))
            parallel = []
        if rid == "D02_last_normal_failure":
            steps.extend(_login_bridge(n) for n in range(1, 11))
        steps.append(step)
        if rid == "B07_so_no_stock_warehouse":
            steps.append(Action("the no-stock draft C08 submits (when MedGrid refused B07)", "no_stock_draft",
                                {"exchange_key": step.key}))
    return Timeline("security-desk", SiteConfig(system_settings={"allow_error_traceback": 1}), steps)


def skipped_exchanges() -> list[tuple[str, str]]:
    """(exchange key, reason) of the recorded exchanges that are not replayed."""
    data = load(SOURCE)
    return [(f"security-desk/{r['id']}", SKIPPED_SECTIONS[r["section"]]) for r in data["exchanges"]
            if r["section"] in SKIPPED_SECTIONS]


def replayed_keys(timeline: Timeline) -> list[str]:
    """Exchange keys of the timeline in recorded order (the parallel group flattened)."""
    keys = []
    for step in timeline.steps:
        if isinstance(step, Exchange):
            keys.append(step.key)
        elif isinstance(step, Parallel):
            keys.extend(ex.key for ex in step.exchanges)
    return keys
