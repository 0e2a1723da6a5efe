"""Replays one timeline on the conformance site and keeps every result for the tests to assert on."""

from __future__ import annotations

import json
import re
import time
import traceback
from dataclasses import dataclass, field

from . import compare as cmp
from .replay import LiveResponse, Substitutions, build_request
from .scenarios import Action, Bridge, Exchange, Timeline


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
    if request["method"] != "POST" or not re.match(r"^/api/resource/[^/?]+$", request["path"].split("?")[0]):
        return
    try:
        recorded_name = expected["body_json"]["data"]["name"]
        actual_name = live.json()["data"]["name"]
    except (KeyError, TypeError, ValueError):
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
        except Exception:  # a harness/setup failure must not stop the timeline
            note = f"{type(step).__name__} {getattr(step, 'description', getattr(step, 'key', ''))} raised:\n{traceback.format_exc()}"
            if isinstance(step, Exchange):
                state.results[step.key] = ExchangeResult(step.key, {}, None, error=note)
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
    if state.bindings.names:
        result.notes.append("recorded document names are different documents here (an earlier exchange "
                            f"created them under another name): {state.bindings.names}")
    options = known.options_for(step.source, step.key)
    expected = state.bindings.rename(recorded["response"])
    _learn_created_name(request, recorded["response"], live, state.bindings)
    result.diffs = compare_exchange(expected, live, state.bindings, options, capture_prefix=f"{step.key}:")
    if step.extra_check:
        result.diffs.extend(site.extra_check(step.extra_check, step, state, live, elapsed))
    state.results[step.key] = result


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

    json_options = {k: options.get(k, ()) for k in ("unordered", "ignore", "shape")}
    json_options["table_keys_any_order"] = options.get("table_keys_any_order", False)
    if "body_json" in expected:
        try:
            body = live.json()
        except ValueError:
            diffs.append(cmp.Difference("body", expected["body_json"], live.text[:600], "response body is not JSON"))
        else:
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


def summarize(state: TimelineState) -> dict:
    """A JSON-able report of a timeline run (written under artifacts/ for debugging)."""
    out = {}
    for key, res in state.results.items():
        out[key] = {
            "source": state.sources.get(key),
            "request": {k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v) for k, v in res.request.items()},
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
