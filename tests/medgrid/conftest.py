"""Fixtures for the MedGrid API tests (their own site, with fake vendor connectors)."""

from __future__ import annotations

import pytest

from tests.conftest import create_test_site, drop_test_site
from tests.medgrid.api_site import SITE, ApiSite


@pytest.fixture(scope="session")
def test_site(sites_path):
    """MedGrid tests' session site: frappe, erpnext and medgrid (the ``site`` fixture uses it)."""
    site = "medgrid.localhost"
    conf = create_test_site(sites_path, site, apps=("erpnext", "medgrid"))
    yield site
    drop_test_site(conf)


@pytest.fixture(scope="session")
def api(sites_path):
    conf = create_test_site(sites_path, SITE, apps=("erpnext", "medgrid", "medgrid_fake_vendors"))
    site = ApiSite(sites_path)
    site.build()
    yield site
    drop_test_site(conf)
