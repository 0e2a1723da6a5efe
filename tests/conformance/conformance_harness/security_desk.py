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
* E (the Desk, issue 13): where the recorder kept a summary of a body — getdoctype's doc names, key
  lists and ``{present, type, len, first_200}`` of each ``__`` key; getdoc's ``docinfo`` as its keys;
  reportview's first rows — the live body is summarised the same way before the comparison
  (``reduce_body``). Key lists are compared as sets and ``__`` code keys by presence and type:
  the code itself is ERPNext's there and the runtime's own here.
"""

from __future__ import annotations

import copy
import json
import re
import urllib.parse

from .scenarios import Action, Bridge, Exchange, Parallel, SiteConfig, Timeline, load

SOURCE = "security-desk.json"
HOST = "real.localhost"
SKIPPED_SECTIONS: dict = {}
_EXC_ID = re.compile(r'("__frappe_exc_id": ")[0-9a-f]{56}(")')
_FIRST_KEPT = re.compile(r"data list had (\d+) items; first \d+ kept")
_VALUES_FIRST_KEPT = re.compile(r"message.values had (\d+) rows; first \d+ kept")
_VALUES_KEPT = 3  # "message.values had 20 rows; first 3 kept"
_META_SUMMARY = "body reduced: top-level keys kept in body_keys"
_DOCINFO_KEYS = "docinfo reduced to its keys"
# the ``__`` keys of getdoctype's first doc that the recorder summarised (E01, E10)
_SUMMARISED_CODE_KEYS = sorted(("__js", "__list_js", "__custom_js", "__css", "__form_grid_templates",
                                "__listview_template", "__custom_list_js", "__linked_with", "__messages",
                                "__print_formats", "__workflow_docs", "__templates", "__dashboard",
                                "__kanban_column_fields"))


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
    m = _VALUES_FIRST_KEPT.match(truncated)
    if m:
        return {"reduce_body": [_first_list_rows]}
    if truncated.startswith(_META_SUMMARY):
        return {"reduce_body": [_summarise_meta_body]}
    if _DOCINFO_KEYS in truncated:
        return {"reduce_body": [_docinfo_as_keys]}
    return None  # "child tables collapsed to item counts" is handled by the comparator itself


def _key_set(keys) -> dict:
    """A key list as a sorted {key: True} object: the comparator then names missing and extra keys."""
    return {k: True for k in sorted(keys)}


def _code_summary(value) -> dict:
    return {"present": True, "type": type(value).__name__ if value is not None else "NoneType"}


def _summarise_meta_body(body):
    """getdoctype's answer as the recorder summarised it (see the module docstring)."""
    if not isinstance(body, dict) or not isinstance(body.get("docs"), list) or not body["docs"]:
        return body
    first = body["docs"][0]
    out = {"docs (names/doctypes only)": [{"doctype": d.get("doctype"), "name": d.get("name")} for d in body["docs"]],
           "docs[0] keys": _key_set(first)}
    for key in _SUMMARISED_CODE_KEYS:
        if key in first:
            out[f"docs[0].{key}"] = _code_summary(first[key])
    out["password_fields_in_meta"] = [df.get("fieldname") for d in body["docs"] for df in d.get("fields") or []
                                      if df.get("fieldtype") == "Password"]
    out.update({k: v for k, v in body.items() if k != "docs"})
    return out


def _first_list_rows(body):
    """reportview.get's answer as the recorder kept it: the first rows of ``message.values`` (as many as
    the recording kept) and their total as ``values (count)``."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("values"), list):
        return body
    message = dict(message)
    count = message.pop("values (count)", len(message["values"]))
    message["values"] = message["values"][:_VALUES_KEPT]
    message["values (count)"] = count
    return {**body, "message": message}


def _docinfo_as_keys(body):
    """getdoc's answer with ``docinfo`` reduced to its key list, in place."""
    if not isinstance(body, dict) or not isinstance(body.get("docinfo"), dict):
        return body
    return {("docinfo keys" if k == "docinfo" else k): (list(v) if k == "docinfo" else v) for k, v in body.items()}


def _summarise_meta_record(record: dict) -> None:
    """The recorded summary in the form ``_summarise_meta_body`` gives: sorted key list, the ``__``
    entries reduced to presence and type (the code is ERPNext's there, the runtime's here)."""
    body = record["response"]["body_json"]
    reduced = {"docs (names/doctypes only)": body["docs (names/doctypes only)"],
               "docs[0] keys": _key_set(body["docs[0] keys"])}
    for key in sorted(k for k in body if k.startswith("docs[0].__")):
        reduced[key] = {"present": body[key]["present"], "type": body[key]["type"]}
    reduced = {**{k: reduced[k] for k in ("docs (names/doctypes only)", "docs[0] keys")},
               **{k: reduced[k] for k in sorted(reduced) if k.startswith("docs[0].__")}}
    reduced["password_fields_in_meta"] = body["password_fields_in_meta"]
    reduced.update({k: v for k, v in body.items() if k not in ("docs (names/doctypes only)", "docs[0] keys",
                                                             "password_fields_in_meta")
                    and not k.startswith("docs[0].__")})
    record["response"]["body_json"] = reduced  # "child tables collapsed to item counts" is handled by the comparator itself


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
    if (record["response"].get("truncated") or "").startswith(_META_SUMMARY):
        _summarise_meta_record(record)
    m = _VALUES_FIRST_KEPT.match(record["response"].get("truncated") or "")
    if m:
        record["response"]["body_json"]["message"]["values (count)"] = int(m.group(1))
    # the throwaway user's address is masked in responses too; here it is a fixed address
    record["response"] = json.loads(json.dumps(record["response"]).replace("<throwaway-user>", THROWAWAY_USER))
    step = Exchange(f"security-desk/{record['id']}", SOURCE, record,
                    request_override=_request_override(record), compare_options=_compare_options(record))
    if record["id"] in ("C04_admin_create_other_clinic_order", "C07_partner_amend_foreign_cancelled",
                        "C09_admin_create_draft_for_race") or record["id"].startswith(("E07_", "E08_")):
        step.learn_name_first = True
    return step


_VENDOR_FIELD_PREFIXES = ("perfectrx_", "shipstation_", "sinq_", "cr_", "exoceuticals_")


def _action_vendor_state(site, state, record_id: str):
    """E02 shows SO-2026-00071 as the vendor sandboxes had left it on the recording bench (statuses,
    references, sync dates written by Administrator). The fixture orders are never sent to vendors,
    so the recorded vendor fields are written here, as the status sync writes them."""
    record = next(r for r in load(SOURCE)["exchanges"] if r["id"] == record_id)
    recorded = record["response"]["body_json"]["docs"][0]
    with site.frappe_context("Administrator") as frappe:
        from frappe.utils import now_datetime

        values = {}
        for key, value in recorded.items():
            if key.startswith(_VENDOR_FIELD_PREFIXES):
                values[key] = now_datetime() if value == "<datetime>" else value
        frappe.db.set_value("Sales Order", recorded["name"], values, update_modified=False)
        frappe.db.set_value("Sales Order", recorded["name"], "modified_by", recorded["modified_by"],
                            update_modified=False)
        frappe.db.commit()


def _action_perfectrx_settings(site, state, record_id: str):
    """E11 shows PerfectRx Settings as the recording bench had them configured for its sandbox; the
    fixture site leaves them at their defaults. Set the recorded values, and a client secret of the
    recorded length (the value itself is never shown: the recording has asterisks)."""
    record = next(r for r in load(SOURCE)["exchanges"] if r["id"] == record_id)
    recorded = record["response"]["body_json"]["docs"][0]
    with site.frappe_context("Administrator") as frappe:
        doc = frappe.get_doc("PerfectRx Settings")
        for key, value in recorded.items():
            if key in ("name", "owner", "modified", "modified_by", "docstatus", "idx", "doctype"):
                continue
            df = doc.meta.get_field(key)
            if df is None:
                continue
            doc.set(key, "s" * len(value) if df.fieldtype == "Password" else value)
        doc.flags.ignore_permissions = True
        doc.save()
        frappe.db.commit()


def _action_user_time_zones(site, state, record_ids: tuple):
    """E07/E08 show each user's time zone in docinfo.user_info as the recording bench had it (its
    system time zone when the users were made); the fixture site's users carry the runtime's default."""
    records = [r for r in load(SOURCE)["exchanges"] if r["id"] in record_ids]
    with site.frappe_context("Administrator") as frappe:
        for record in records:
            for user, info in record["response"]["body_json"]["docinfo"]["user_info"].items():
                if info.get("time_zone"):
                    frappe.db.set_value("User", user, "time_zone", info["time_zone"], update_modified=False)
        frappe.db.commit()


def _register_actions() -> None:
    from .medgrid_site import ACTIONS

    ACTIONS.setdefault("sd_vendor_state", _action_vendor_state)
    ACTIONS.setdefault("sd_perfectrx_settings", _action_perfectrx_settings)
    ACTIONS.setdefault("sd_user_time_zones", _action_user_time_zones)


def _login_bridge(attempt: int) -> Bridge:
    return Bridge(
        f"lockout_attempts #{attempt} (recorded in summary only): wrong password, 401 AuthenticationError",
        {"method": "POST", "path": "/api/method/login", "headers": {"Host": HOST, "Content-Type": "application/json"},
         "body_json": {"usr": "<throwaway-user>", "pwd": "wrong-password"}}, 401)


def security_desk_timeline() -> Timeline:
    _register_actions()
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
        if rid == "E02_getdoc_sales_order_rep":
            steps.append(Action("the vendor fields the sandboxes wrote on SO-2026-00071 (as E02 shows them)",
                                "sd_vendor_state", {"record_id": rid}))
        if rid == "E07_savedocs_save_rep":
            savedocs_ids = tuple(r["id"] for r in data["exchanges"] if r["id"].startswith(("E07_", "E08_")))
            steps.append(Action("the users' time zones as the recording bench had them (E07/E08 user_info)",
                                "sd_user_time_zones", {"record_ids": savedocs_ids}))
        if rid == "E11_getdoc_perfectrx_settings_admin":
            steps.append(Action("PerfectRx Settings as the recording bench had them (as E11 shows them)",
                                "sd_perfectrx_settings", {"record_id": rid}))
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
