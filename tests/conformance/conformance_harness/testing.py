"""Glue between pytest and the runner: parameters, xfail marks, assertions."""

from __future__ import annotations

import json
import os

import pytest

from .runner import render_failure, run_timeline, summarize
from .scenarios import all_timelines, exchanges_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ARTIFACTS = os.path.join(REPO, "artifacts", "conformance")


def exchange_params(source: str, pairs: list | None = None) -> list:
    """pytest params of one recordings file: (timeline, exchange key) pairs, with the xfail marks of
    expected_failures.py; ``pairs`` defaults to the file's exchanges in scenarios.all_timelines()."""
    from expected_failures import EXPECTED_FAILURES

    params = []
    for timeline, key in (exchanges_for(source) if pairs is None else pairs):
        marks = []
        failure = EXPECTED_FAILURES.get((source, key))
        if failure:
            marks.append(pytest.mark.xfail(strict=True, reason=f"{failure[1]}: {failure[0]}"))
        params.append(pytest.param(timeline, key, id=f"{timeline}:{key}", marks=marks))
    return params


class ReplayRegistry:
    """Runs each timeline once (on first use) and keeps its results for the whole session."""

    def __init__(self, site, known, timelines: dict | None = None):
        self.site = site
        self.known = known
        self.timelines = all_timelines() if timelines is None else timelines
        self.states: dict = {}

    def state(self, name: str):
        if name not in self.states:
            self.states[name] = run_timeline(self.timelines[name], self.site, self.known)
            os.makedirs(ARTIFACTS, exist_ok=True)
            with open(os.path.join(ARTIFACTS, f"{name}.json"), "w") as fh:
                json.dump(summarize(self.states[name]), fh, indent=1)
        return self.states[name]


def check_exchange(registry: ReplayRegistry, source: str, timeline: str, key: str) -> None:
    state = registry.state(timeline)
    result = state.results.get(key)
    if result is None:
        pytest.fail(f"{source} exchange {key!r} was not replayed (timeline {timeline})")
    if result.error or result.diffs:
        pytest.fail(render_failure(source, key, result), pytrace=False)
