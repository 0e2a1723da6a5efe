"""Fixtures shared by the connector tests (a module declares ``pytest_plugins`` with this module).

* ``clock`` — a fake clock installed in the HTTP client *and* in the ``limits`` memory storage, so backoff
  sleeps, Retry-After waits, token expiry and sliding windows run instantly and are asserted exactly;
* ``mocked`` — a ``responses`` mock of every outbound request;
* ``csite`` — the session site with the connector masters in place.
"""

from __future__ import annotations

import pytest
import responses

from tests.medgrid.connector_helpers import FakeClock


@pytest.fixture()
def clock(monkeypatch):
    import limits.storage.memory

    from medgrid.connectors import clock as vendor_clock
    from medgrid.connectors import rate_limit

    fake = FakeClock()
    # limits' MemoryStorage reads time.time() from its module: point it at the fake clock too
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    rate_limit.reset_rate_limiters()
    previous = vendor_clock.set_clock(fake)
    yield fake
    vendor_clock.set_clock(previous)
    rate_limit.reset_rate_limiters()


@pytest.fixture()
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture()
def csite(site, clock):
    """The test site with the Skydell masters; vendor caches (tokens, buckets) start empty."""
    import frappe

    from tests.medgrid import factories

    factories.masters()
    # Log rows of earlier tests were committed on purpose (they survive rollbacks); hide them from this
    # test — the delete is undone by the fixture's rollback
    frappe.db.delete("MedGrid Integration Log")
    for prefix in ("medgrid:perfectrx:token:", "medgrid:shopify:bucket:", "medgrid:ratelimit-pause:",
                   "medgrid:ratelimit-booked:", "medgrid:ratelimit-waiter:"):
        frappe.cache().delete_keys(prefix)
    return site
