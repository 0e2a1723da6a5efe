"""Replay meta.json's lifecycle probe: the HTTP exchanges and the controller/doc_events order."""

import pytest

from conformance_harness.testing import check_exchange, exchange_params

SOURCE = "meta.json"


@pytest.mark.parametrize(("timeline", "key"), exchange_params(SOURCE))
def test_exchange(replay, timeline, key):
    check_exchange(replay, SOURCE, timeline, key)
