"""Replay app-patterns.json (portal pages, user permissions, custom fields, overrides, raw bodies,
custom exception status codes, naming series, jobs after commit, selling defaults)."""

import pytest

from conformance_harness.testing import check_exchange, exchange_params

SOURCE = "app-patterns.json"


@pytest.mark.parametrize(("timeline", "key"), exchange_params(SOURCE))
def test_exchange(replay, timeline, key):
    check_exchange(replay, SOURCE, timeline, key)
