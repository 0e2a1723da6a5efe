"""Checks of the harness itself (no runtime needed): a response synthesised from each recording,
with its masks filled in the way a live Frappe site would fill them, must compare clean; and
deliberate deviations must be reported."""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import time

import pytest

from conformance_harness import compare as cmp
from conformance_harness.replay import LiveResponse
from conformance_harness.runner import compare_exchange
from conformance_harness.scenarios import all_timelines
from known_differences import Known

HTTP_DATE = email.utils.formatdate(time.time() + 612000, usegmt=True)
PAST_DATE = email.utils.formatdate(0, usegmt=True)


def _sid(n: str) -> str:
    return hashlib.sha224(f"sid{n}".encode()).hexdigest()


def _fill(value, key=None):
    if isinstance(value, dict):
        return {k: _fill(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, key) for v in value]
    if not isinstance(value, str):
        return value
    fixed = {
        "<datetime>": "2026-11-28 10:15:00.123456",
        "<date>": "2026-11-28",
        "<time>": "10:15:00",
        "<hash10>": "0a1b2c3d4e",
        "<exc_id>": "f" * 56,
        "<uuid>": "12345678-1234-4234-8234-123456789abc",
        "<int>": "42",
    }
    if value in fixed:
        return fixed[value]
    m = re.match(r"^<sid-(\d+)>$", value)
    if m:
        return _sid(m.group(1))
    if key in ("_server_messages", "exc"):
        return json.dumps([_fill_encoded(item) for item in json.loads(value)])
    if "<frames masked>" in value:
        return value.replace("<frames masked>", '  File "x.py", line 1, in y\n    z()')
    return value


def _fill_encoded(item):
    try:
        decoded = json.loads(item)
    except ValueError:
        return _fill(item)
    return json.dumps(_fill(decoded))


def _cookie_header(cookie: dict) -> str:
    value = cookie["value"]
    m = re.match(r"^<sid-(\d+)>$", value)
    if m:
        value = _sid(m.group(1))
    parts = [f"{cookie['name']}={value}"]
    deletion = cookie["value"] == "" and "Max-Age" not in cookie["attributes"]
    for k, v in cookie["attributes"].items():
        if v is True:
            parts.append(k)
        elif v == "<http-date>":
            parts.append(f"{k}={PAST_DATE if deletion else HTTP_DATE}")
        else:
            parts.append(f"{k}={v}")
    return "; ".join(parts)


def _synthesise(response: dict) -> LiveResponse:
    headers = []
    for k, v in response.get("headers", {}).items():
        headers.append((k, _fill(v) if v != "<http-date>" else HTTP_DATE))
    if "body_json" in response:
        body = json.dumps(_fill(response["body_json"])).encode()
    else:
        body = response.get("body_text_excerpt", "").encode()
        fragments = response.get("html_fragments (recorder-added)") or {}
        body += "".join(_fill(v) for v in fragments.values() if v).encode()
    return LiveResponse(response["status"], response.get("content_type"), headers,
                        [_cookie_header(c) for c in response.get("set_cookies", [])], body)


def _all_exchanges():
    for name, timeline in all_timelines().items():
        for step in timeline.exchanges():
            yield pytest.param(name, step, id=f"{name}:{step.key}")


@pytest.mark.parametrize(("timeline", "step"), list(_all_exchanges()))
def test_recording_matches_itself(timeline, step):
    expected = step.record["response"]
    live = _synthesise(expected)
    diffs = compare_exchange(expected, live, cmp.Bindings(), Known().options_for(step.source, step.key))
    assert not diffs, "\n".join(d.render() for d in diffs)


def test_type_order_and_mask_deviations_are_reported():
    expected = {"data": {"name": "SAL-ORD-2026-00001", "total": 24.0, "creation": "<datetime>", "docstatus": 0}}
    actual = {"data": {"total": 24, "name": "SAL-ORD-2026-00001", "creation": "yesterday", "extra": 1}}
    diffs = cmp.compare_frappe_body(expected, actual, cmp.Bindings(), {})
    text = "\n".join(d.render() for d in diffs)
    assert "keys missing" in text and "docstatus" in text
    assert "unexpected keys" in text and "extra" in text
    assert "key order differs" in text
    assert "body.data.total" in text and "type differs" in text
    assert "body.data.creation" in text and "mask pattern" in text


def test_server_messages_and_tracebacks_are_decoded():
    expected = {
        "exc_type": "ValidationError",
        "exc": json.dumps(["Traceback (most recent call last):\n  <frames masked>\nfrappe.exceptions.ValidationError: A\n"]),
        "_server_messages": json.dumps([json.dumps({"message": "A", "title": "Message", "__frappe_exc_id": "<exc_id>"})] * 2),
    }
    actual = {
        "exc_type": "ValidationError",
        "exc": json.dumps(["Traceback (most recent call last):\n  File x\nfrappe.exceptions.ValidationError: B\n"]),
        "_server_messages": json.dumps([json.dumps({"message": "B", "title": "Message", "__frappe_exc_id": "a" * 56})] * 2,
                                       separators=(",", ":")),
    }
    text = "\n".join(d.render() for d in cmp.compare_frappe_body(expected, actual, cmp.Bindings(), {}))
    assert "body.exc(decoded)[0]" in text and "last traceback line differs" in text
    assert "body._server_messages(decoded)[0].message" in text
    assert "body._server_messages(raw)" in text


def test_sid_binding_is_consistent():
    bindings = cmp.Bindings()
    cookie = {"name": "sid", "value": "<sid-1>", "attributes": {"Path": "/"}}
    first = cmp.compare_cookies([cookie], [{"name": "sid", "value": "a" * 56, "attributes": {"Path": "/"}}], bindings)
    again = cmp.compare_cookies([cookie], [{"name": "sid", "value": "b" * 56, "attributes": {"Path": "/"}}], bindings)
    assert not first
    assert again and "earlier in this timeline" in again[0].render()


def test_every_request_is_fully_substituted():
    import datetime

    from conformance_harness.replay import Credentials, Substitutions, build_request
    from conformance_harness.runner import _apply_override
    from conformance_harness.scenarios import Bridge, Exchange

    creds = Credentials({w: (f"{w.lower()}key0000000000"[:15], "secret000000000") for w in ("ADMIN", "SALES", "NOROLE")},
                        "Probe-Pass-2026")
    leftovers = []
    for name, timeline in all_timelines().items():
        subs = Substitutions(creds, datetime.date(2026, 11, 28), sids={str(n): _sid(str(n)) for n in range(1, 10)},
                             csrf_token="c" * 20,
                             captures={"6_naming_series/get_document_naming_settings:body.message.modified":
                                       "2026-11-28 10:00:00.000000"})

        class _State:
            pass

        state = _State()
        state.subs = subs
        for step in timeline.steps:
            if isinstance(step, Exchange):
                state.current = step
                override = step.request_override(state) if step.request_override else None
                if override:
                    override = _apply_override(step.record["request"], subs, dict(override))
                request = build_request(step.record["request"], subs, override)
            elif isinstance(step, Bridge):
                recorded = dict(step.request)
                recorded["path"] = recorded["path"].replace("<last-created-so>", "/api/resource/Sales%20Order/X")
                request = build_request(recorded, subs)
            else:
                continue
            text = json.dumps({k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.items()})
            found = re.findall(r"<(?:[A-Z_]+_API_(?:KEY|SECRET)|PASSWORD|date|datetime|sid-\d+|csrf_token|base64\([^)]*\))>", text)
            if found:
                leftovers.append(f"{name}:{getattr(step, 'key', step.description)}: {found}")
    assert not leftovers, "\n".join(leftovers)


def test_table_keys_after_doctype_may_come_in_any_order_only_when_relaxed():
    expected = {"name": "X", "title": "t", "doctype": "Sales Order", "items": [], "taxes": [], "__unsaved": 1}
    swapped = {"name": "X", "title": "t", "doctype": "Sales Order", "taxes": [], "items": [], "__unsaved": 1}
    strict = cmp.JsonComparator(cmp.Bindings())
    strict.compare(expected, swapped, "body.data")
    assert strict.diffs and "key order differs" in strict.diffs[0].note
    relaxed = cmp.JsonComparator(cmp.Bindings(), table_keys_any_order=True)
    relaxed.compare(expected, swapped, "body.data")
    assert not relaxed.diffs
    # the fields before doctype keep their order
    moved = {"title": "t", "name": "X", "doctype": "Sales Order", "items": [], "taxes": [], "__unsaved": 1}
    relaxed = cmp.JsonComparator(cmp.Bindings(), table_keys_any_order=True)
    relaxed.compare(expected, moved, "body.data")
    assert relaxed.diffs
    assert Known().options_for("resource.json", "resource/so_get")["table_keys_any_order"] is True
