"""Replays one timeline on the conformance site and keeps every result for the tests to assert on."""

from __future__ import annotations

import json
import re
import time
import traceback
from dataclasses import dataclass, field

from . import compare as cmp
from .replay import LiveResponse, Substitutions, build_request
from .scenarios import Action, Bridge, Exchange, Parallel, Timeline


@dataclass
class ExchangeResult:
    key: str
    request: dict
    response: LiveResponse | None
    diffs: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # setup problems that happened before this exchange
    error: str | None = None  # the harness itself failed to send/compare


@dataclass
class TimelineState:
    timeline: Timeline
    subs: Substitutions
    bindings: cmp.Bindings
    results: dict = field(default_factory=dict)
    pending_notes: list = field(default_factory=list)
    last_created_so: str | None = None
    current: Exchange | None = None
    current_request: dict | None = None
    sources: dict = field(default_factory=dict)


def _apply_override(recorded: dict, subs: Substitutions, override: dict) -> dict:
    """``json_replace`` patches named keys of the (substituted) recorded JSON body."""
    if "json_replace" in override:
        body = subs.json_value(recorded["body_json"])
        body.update(override.pop("json_replace"))
        override["body_json"] = body
    return override


def _remember_created_so(request: dict, live: LiveResponse, state: TimelineState) -> None:
    if request["method"] != "POST" or not request["path"].startswith("/api/resource/Sales%20Order"):
        return
    if live.status != 200:
        return
    try:
        state.last_created_so = live.json()["data"]["name"]
    except (ValueError, KeyError, TypeError):
        pass


def _learn_created_name(request: dict, expected: dict, live: LiveResponse, bindings: cmp.Bindings) -> None:
    """A create (POST /api/resource/<doctype>) that the recording answered with document N: if the
    runtime named the document M, later requests and expected bodies that say N mean M.

    The create itself still fails on the name; this keeps one naming slip from failing every later
    exchange about that document."""
    path = request["path"].split("?")[0]
    try:
        if request["method"] == "POST" and re.match(r"^/api/resource/[^/?]+$", path):
            recorded_name = expected["body_json"]["data"]["name"]
            actual_name = live.json()["data"]["name"]
        elif path == "/api/method/frappe.desk.form.save.savedocs":  # Desk's save of a new document
            recorded_name = expected["body_json"]["docs"][0]["name"]
            actual_name = live.json()["docs"][0]["name"]
        else:
            return
    except (KeyError, TypeError, ValueError, IndexError):
        return
    if not isinstance(recorded_name, str) or not isinstance(actual_name, str):
        return
    bindings.names.pop(recorded_name, None)
    if recorded_name != actual_name:
        bindings.names[recorded_name] = actual_name


def run_timeline(timeline: Timeline, site, known) -> TimelineState:
    """Reset the site for ``timeline`` and run all of its steps."""
    site.reset(timeline.config)
    bindings = cmp.Bindings()
    subs = Substitutions(site.credentials, site.today, sids=bindings.sids, captures=bindings.captures,
                         rename=bindings.rename)
    state = TimelineState(timeline, subs, bindings)
    for step in timeline.steps:
        try:
            if isinstance(step, Action):
                site.run_action(step.name, state, **step.kwargs)
            elif isinstance(step, Bridge):
                _run_bridge(step, site, state)
            elif isinstance(step, Exchange):
                _run_exchange(step, site, state, known)
            elif isinstance(step, Parallel):
                _run_parallel(step, site, state, known)
        except Exception:  # a harness/setup failure must not stop the timeline
            note = f"{type(step).__name__} {getattr(step, 'description', getattr(step, 'key', ''))} raised:\n{traceback.format_exc()}"
            if isinstance(step, Exchange):
                state.results[step.key] = ExchangeResult(step.key, {}, None, error=note)
            elif isinstance(step, Parallel):
                for ex in step.exchanges:
                    state.results.setdefault(ex.key, ExchangeResult(ex.key, {}, None, error=note))
            else:
                state.pending_notes.append(note)
    site.after_timeline(state)
    return state


def _run_bridge(step: Bridge, site, state: TimelineState) -> None:
    recorded = dict(step.request)
    if recorded["path"] == "<last-created-so>":
        recorded["path"] = f"/api/resource/Sales%20Order/{state.last_created_so}"
    request = build_request(recorded, state.subs)
    live = site.send(request)
    _remember_created_so(request, live, state)
    if live.status != step.expect_status:
        state.pending_notes.append(
            f"bridge step '{step.description}' ({request['method']} {request['path']}) answered "
            f"{live.status} instead of {step.expect_status}: {live.text[:500]}"
        )


def _run_exchange(step: Exchange, site, state: TimelineState, known) -> None:
    state.current = step
    state.sources[step.key] = step.source
    recorded = step.record
    override = step.request_override(state) if step.request_override else None
    if override:
        override = _apply_override(recorded["request"], state.subs, dict(override))
    request = build_request(recorded["request"], state.subs, override)
    state.current_request = request
    site.before_exchange(step, state)
    started = time.time()
    live = site.send(request)
    elapsed = time.time() - started
    _remember_created_so(request, live, state)

    result = ExchangeResult(step.key, request, live, notes=list(state.pending_notes))
    state.pending_notes.clear()
    if step.learn_name_first:
        _learn_created_name(request, recorded["response"], live, state.bindings)
    if state.bindings.names:
        result.notes.append("recorded document names are different documents here (an earlier exchange "
                            f"created them under another name): {state.bindings.names}")
    result.diffs = _compare_step(step, live, state, known)
    if not step.learn_name_first:
        _learn_created_name(request, recorded["response"], live, state.bindings)
    if step.extra_check:
        result.diffs.extend(site.extra_check(step.extra_check, step, state, live, elapsed))
    state.results[step.key] = result


def _options_for(step: Exchange, known) -> dict:
    options = known.options_for(step.source, step.key)
    for key, value in (step.compare_options or {}).items():
        if isinstance(value, dict):
            options[key] = {**options.get(key, {}), **value}
        else:
            options[key] = list(options.get(key, ())) + list(value)
    return options


def _compare_step(step: Exchange, live: LiveResponse, state: TimelineState, known, bindings=None) -> list:
    """Compare with the recording, or with MedGrid's own answer where known_differences lists a
    deliberate difference for this exchange."""
    bindings = bindings or state.bindings
    answer = known.deliberate_answer(step.source, step.key) if hasattr(known, "deliberate_answer") else None
    if answer is not None:
        return answer.check(live, state)
    expected = bindings.rename(step.record["response"])
    return compare_exchange(expected, live, bindings, _options_for(step, known), capture_prefix=f"{step.key}:")


def _run_parallel(step: Parallel, site, state: TimelineState, known) -> None:
    import threading

    requests = []
    for ex in step.exchanges:
        state.sources[ex.key] = ex.source
        requests.append(build_request(ex.record["request"], state.subs))
    answers: list = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def send(i):
        try:
            barrier.wait(30)
            answers[i] = site.send(requests[i])
        except Exception:  # reported per exchange below
            answers[i] = traceback.format_exc()

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    notes = list(state.pending_notes)
    state.pending_notes.clear()
    lives = []
    for ex, request, live in zip(step.exchanges, requests, answers):
        if not isinstance(live, LiveResponse):
            state.results[ex.key] = ExchangeResult(ex.key, request, None, notes=notes,
                                                   error=f"the request did not complete: {live}")
            continue
        lives.append(live)
        # which of the racing requests wins is not part of the contract: a match with any recorded
        # answer of the group passes
        best = None
        for candidate in step.exchanges:
            scratch = cmp.Bindings(dict(state.bindings.sids), dict(state.bindings.captures), dict(state.bindings.names))
            diffs = _compare_step(candidate, live, state, known, bindings=scratch)
            if not diffs:
                best = []
                break
            if best is None or len(diffs) < len(best):
                best = diffs
        result = ExchangeResult(ex.key, request, live, notes=list(notes))
        if state.bindings.names:
            result.notes.append(f"recorded document names are different documents here: {state.bindings.names}")
        if best:
            result.notes.append("no recorded answer of the parallel group matches; differences from the closest one:")
        result.diffs = best or []
        state.results[ex.key] = result
    if step.aggregate_check:
        diffs = site.aggregate_check(step.aggregate_check, step, state, lives)
        for ex in step.exchanges:
            if ex.key in state.results:
                state.results[ex.key].diffs.extend(diffs)


def compare_exchange(expected: dict, live: LiveResponse, bindings: cmp.Bindings, options: dict, capture_prefix="") -> list:
    diffs: list = []
    if live.status != expected["status"]:
        diffs.append(cmp.Difference("status", expected["status"], live.status))
    if (live.content_type or None) != expected.get("content_type"):
        diffs.append(cmp.Difference("content_type", expected.get("content_type"), live.content_type))

    actual_cookies = [cmp.parse_set_cookie(h) for h in live.set_cookies]
    if not options.get("skip_cookies"):
        diffs.extend(cmp.compare_cookies(expected.get("set_cookies", []), actual_cookies, bindings))
    diffs.extend(cmp.compare_headers(expected.get("headers", {}), live.headers, options.get("headers_relaxed", {}),
                                     options.get("headers_ignored", ())))

    json_options = {k: options.get(k, ()) for k in ("unordered", "ignore", "shape", "project")}
    json_options["table_keys_any_order"] = options.get("table_keys_any_order", False)
    json_options["truncated"] = options.get("truncated", {})
    if "body_json" in expected:
        try:
            body = live.json()
        except ValueError:
            diffs.append(cmp.Difference("body", expected["body_json"], live.text[:600], "response body is not JSON"))
        else:
            # a recording that kept a summary of the body (security-desk E): the same summary of the live body
            for reduce_body in options.get("reduce_body", ()):
                body = reduce_body(body)
            diffs.extend(cmp.compare_frappe_body(expected["body_json"], body, bindings, json_options, capture_prefix))
    else:
        diffs.extend(cmp.compare_text_body(expected, live.text))
    return diffs


def render_failure(source: str, key: str, result: ExchangeResult, limit: int = 40) -> str:
    lines = [f"{source} exchange {key!r}"]
    if result.request:
        lines.append(f"  request: {result.request.get('method')} {result.request.get('path')}")
    for note in result.notes:
        lines.append(f"  setup note: {note}")
    if result.error:
        lines.append(f"  harness error: {result.error}")
    if result.response is not None:
        lines.append(f"  response: {result.response.status} {result.response.content_type}")
    for diff in result.diffs[:limit]:
        lines.append("  - " + diff.render())
    if len(result.diffs) > limit:
        lines.append(f"  … and {len(result.diffs) - limit} more differences")
    if result.response is not None and result.diffs:
        lines.append("  actual body (first 800 chars): " + result.response.text[:800])
    return "\n".join(lines)


def _short(value, limit: int = 4000):
    """Request bodies in reports are cut (security-desk B13 sends 5 MiB)."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"… ({len(value)} characters)"
    return value


def summarize(state: TimelineState) -> dict:
    """A JSON-able report of a timeline run (written under artifacts/ for debugging)."""
    out = {}
    for key, res in state.results.items():
        out[key] = {
            "source": state.sources.get(key),
            "request": {k: _short(v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
                        for k, v in res.request.items()},
            "status": res.response.status if res.response else None,
            "content_type": res.response.content_type if res.response else None,
            "headers": res.response.headers if res.response else None,
            "set_cookies": res.response.set_cookies if res.response else None,
            "diffs": [d.render() for d in res.diffs],
            "notes": res.notes,
            "error": res.error,
            "body": res.response.text[:4000] if res.response else None,
        }
    return json.loads(json.dumps(out, default=str))
