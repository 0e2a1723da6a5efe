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
        "<ip>": "127.0.0.1",
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


# ---------------------------------------------------------------- security-desk.json

def _security_desk_steps():
    from conformance_harness.scenarios import Exchange, Parallel
    from conformance_harness.security_desk import security_desk_timeline

    for step in security_desk_timeline().steps:
        if isinstance(step, Exchange):
            yield step
        elif isinstance(step, Parallel):
            yield from step.exchanges


def _with_options(step) -> dict:
    from conformance_harness.runner import _options_for

    return _options_for(step, Known())


@pytest.mark.parametrize("step", [pytest.param(s, id=s.key) for s in _security_desk_steps()
                                  if Known().deliberate_answer(s.source, s.key) is None])
def test_security_desk_recording_matches_itself(step):
    expected = step.record["response"]
    live = _synthesise(expected)
    diffs = compare_exchange(expected, live, cmp.Bindings(), _with_options(step))
    assert not diffs, "\n".join(d.render() for d in diffs)


def _deliberate_entries():
    from known_differences import KNOWN_DIFFERENCES

    for entry in KNOWN_DIFFERENCES:
        if entry.kind == "deliberate":
            for key in entry.keys:
                yield pytest.param(entry, key, id=f"{entry.source}:{key}")


@pytest.mark.parametrize(("entry", "key"), list(_deliberate_entries()))
def test_deliberate_answer_rejects_what_frappe_answered(entry, key):
    """A deliberate difference must be one: real Frappe's recorded answer fails MedGrid's Answer."""
    from conformance_harness.scenarios import load

    data = load(entry.source)
    records = data.get("exchanges") or [e for v in data.get("variants", {}).values() for e in v["exchanges"]]
    record = next(e for e in records if key.endswith("/" + e["id"]))
    assert entry.reason, "every deliberate difference states its reason"
    diffs = entry.extra["answer"].check(_synthesise(record["response"]), None)
    assert diffs, f"{key}: the recorded Frappe answer already satisfies MedGrid's answer"


def test_security_desk_requests_are_fully_substituted():
    import datetime

    from conformance_harness.replay import Credentials, Substitutions, build_request
    from conformance_harness.runner import _apply_override
    from conformance_harness.scenarios import Bridge

    creds = Credentials({w: (f"{w.lower()}key0000000000"[:15], "secret000000000") for w in ("ADMIN", "PARTNER", "REP", "VENDOR")},
                        "Probe-Pass-2026", {"<throwaway-user>": "t@example.com", "<THROWAWAY_PASSWORD>": "pw"})
    subs = Substitutions(creds, datetime.date(2026, 12, 7))

    class _State:
        pass

    state = _State()
    state.subs = subs
    leftovers = []
    from conformance_harness.security_desk import security_desk_timeline

    steps = list(_security_desk_steps()) + [s for s in security_desk_timeline().steps if isinstance(s, Bridge)]
    for step in steps:
        if isinstance(step, Bridge):
            request = build_request(step.request, subs)
        else:
            override = step.request_override(state) if step.request_override else None
            if override:
                override = _apply_override(step.record["request"], subs, dict(override))
            request = build_request(step.record["request"], subs, override)
        text = json.dumps({k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.items()})
        found = re.findall(r"<(?:[A-Z_]+_API_(?:KEY|SECRET)|PASSWORD|THROWAWAY_PASSWORD|throwaway-user|date|datetime|"
                           r"\d+ x [^>]*)>", text[:200000])
        if found:
            leftovers.append(f"{getattr(step, 'key', getattr(step, 'description', ''))}: {found}")
        if getattr(step, "key", "").endswith("B13_so_5mb_body"):
            assert len(request["data"]) > 5 * 1024 * 1024
        if getattr(step, "key", "").endswith("B12_so_nested_20000"):
            assert request["data"] == b"[" * 20000 + b"]" * 20000
    assert not leftovers, "\n".join(leftovers)


def test_reduced_truncated_and_collapsed_bodies():
    # "data reduced": only the recorded keys, in any order
    projected = cmp.JsonComparator(cmp.Bindings(), project=["body.data"])
    projected.compare({"name": "A", "status": "Draft"}, {"status": "Draft", "name": "A", "x": 1}, "body.data")
    assert not projected.diffs
    projected.compare({"name": "A", "status": "Draft"}, {"name": "A", "status": "Cancelled"}, "body.data")
    assert projected.diffs
    # "first K kept": the K rows and the total
    cut = cmp.JsonComparator(cmp.Bindings(), truncated={"body.data": 3})
    cut.compare([1, 2], [1, 2, 9], "body.data")
    assert not cut.diffs
    cut.compare([1, 2], [1, 2], "body.data")
    assert cut.diffs and "length" in cut.diffs[0].path
    # collapsed child tables and the <ip> mask
    plain = cmp.JsonComparator(cmp.Bindings())
    plain.compare({"roles": "<2 items>", "last_ip": "<ip>"}, {"roles": [{}, {}], "last_ip": "10.0.0.1"}, "body.data")
    assert not plain.diffs
    plain.compare({"roles": "<2 items>", "last_ip": "<ip>"}, {"roles": [{}], "last_ip": None}, "body.data")
    assert len(plain.diffs) == 2


class _CannedSite:
    """Answers each request with the next canned response (thread-safe enough for the test)."""

    def __init__(self, responses):
        import threading

        self.responses = list(responses)
        self.lock = threading.Lock()

    def send(self, request):
        with self.lock:
            return self.responses.pop(0)

    def aggregate_check(self, name, step, state, lives):
        return [cmp.Difference("aggregate", "no 5xx", [l.status for l in lives])] \
            if any(l.status >= 500 for l in lives) else []


def _json_response(status, body):
    return LiveResponse(status, "application/json", [("Content-Type", "application/json")], [],
                        json.dumps(body).encode())


def test_parallel_answers_match_any_recorded_answer_of_the_group():
    from conformance_harness.replay import Credentials, Substitutions
    from conformance_harness.runner import TimelineState, _run_parallel
    from conformance_harness.scenarios import Exchange, Parallel, Timeline, SiteConfig

    def record(rid, status, body):
        return {"id": rid, "request": {"method": "PUT", "path": "/api/resource/X/1", "headers": {"Host": "h"},
                                       "body_json": {"docstatus": 1}},
                "response": {"status": status, "content_type": "application/json",
                             "headers": {"Content-Type": "application/json"}, "body_json": body}}

    ok = {"data": {"name": "1", "docstatus": 1}}
    refused = {"exc_type": "UpdateAfterSubmitError"}
    group = [Exchange("g/a", "x.json", record("a", 200, ok)), Exchange("g/b", "x.json", record("b", 417, refused))]
    step = Parallel("race", group, aggregate_check="any")

    def run(responses):
        import datetime

        subs = Substitutions(Credentials({}, "p"), datetime.date(2026, 12, 7))
        state = TimelineState(Timeline("t", SiteConfig(), [step]), subs, cmp.Bindings())
        _run_parallel(step, _CannedSite(responses), state, Known([]))
        return {k: r.diffs for k, r in state.results.items()}

    # the 417 may come back for either request: both pass
    assert run([_json_response(417, refused), _json_response(200, ok)]) == {"g/a": [], "g/b": []}
    assert run([_json_response(200, ok), _json_response(200, ok)]) == {"g/a": [], "g/b": []}
    # a 500 matches nothing and fails the aggregate for every exchange of the group
    results = run([_json_response(500, {"exc_type": "OperationalError"}), _json_response(200, ok)])
    assert results["g/a"] and results["g/b"]
