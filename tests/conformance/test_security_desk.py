"""Replay security-desk.json (sections A–D) on the MedGrid fixture site and compare every exchange.

MedGrid's deliberate differences from real Frappe (issue 12: holes it closes, 4xx where Frappe answers
500 to caller input) are listed in known_differences.py with the answer MedGrid gives instead.
"""

import pytest

from conformance_harness.security_desk import SOURCE, replayed_keys, security_desk_timeline, skipped_exchanges
from conformance_harness.testing import check_exchange, exchange_params

_TIMELINE = security_desk_timeline()
_PARAMS = exchange_params(SOURCE, [(_TIMELINE.name, key) for key in replayed_keys(_TIMELINE)])


@pytest.mark.parametrize(("timeline", "key"), _PARAMS)
def test_exchange(security_desk_replay, timeline, key):
    check_exchange(security_desk_replay, SOURCE, timeline, key)


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.skip(reason=why), id=k)
                                 for k, why in skipped_exchanges()])
def test_not_replayed(key):
    """Listed so that the report shows what is left out, and why."""


def test_fixture_site_built(medgrid_conformance_site):
    assert not medgrid_conformance_site.fixture_notes, "\n".join(medgrid_conformance_site.fixture_notes)
