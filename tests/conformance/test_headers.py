"""Replay headers.json against frappe.app.application and compare every exchange."""

import pytest

from conformance_harness.testing import check_exchange, exchange_params

SOURCE = "headers.json"


@pytest.mark.parametrize(("timeline", "key"), exchange_params(SOURCE))
def test_exchange(replay, timeline, key):
    check_exchange(replay, SOURCE, timeline, key)
