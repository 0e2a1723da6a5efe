"""Shared fixtures: one test site per session on the engine named by ``MEDGRID_TEST_DB``.

``MEDGRID_TEST_DB`` is ``sqlite`` (default), ``mariadb`` or ``postgres``. The session site has
frappe and erpnext installed (tests/medgrid/ adds the MedGrid app on its own site); each test gets it initialised and connected, and whatever the test
did not commit is rolled back afterwards.
"""

from __future__ import annotations

import os
import secrets
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_DB = os.environ.get("MEDGRID_TEST_DB", "sqlite")

# a tiny Frappe app with doctypes and hooks that exercise every runtime feature
sys.path.insert(0, os.path.join(ROOT, "tests", "apps", "runtime_test_app"))
# fake vendor connectors that replace the real ones on the router tests' own site
sys.path.insert(0, os.path.join(ROOT, "tests", "apps", "medgrid_fake_vendors"))


def pytest_report_header(config):
    return f"MedGrid test database: {TEST_DB}"


@pytest.fixture(scope="session")
def sites_path(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("sites"))
    os.environ["MEDGRID_SITES_PATH"] = path
    return path


def create_test_site(sites_path: str, site: str, apps=("erpnext",)) -> dict:
    """Create a site on the test engine with ``apps`` installed; returns its site_config."""
    import frappe
    from frappe.installer import new_site

    db_name = None if TEST_DB == "sqlite" else f"_mgtest_{secrets.token_hex(5)}"
    new_site(site, sites_path=sites_path, db_type=TEST_DB, db_name=db_name, admin_password="admin",
             install_apps=list(apps), force=True)
    return frappe.get_site_config(sites_path, os.path.join(sites_path, site))


def drop_test_site(conf: dict) -> None:
    from frappe.installer import drop_site_database

    if conf.get("db_type") in ("mariadb", "postgres"):
        drop_site_database(conf)


@pytest.fixture(scope="session")
def test_site(sites_path):
    """Name of the runtime's session site (frappe, erpnext and the runtime test app installed).

    tests/medgrid/ overrides this with a site that also has the MedGrid app.
    """
    site = "test.localhost"
    conf = create_test_site(sites_path, site, apps=("erpnext", "runtime_test_app"))
    yield site
    drop_test_site(conf)


@pytest.fixture()
def site(test_site, sites_path):
    """The session site, initialised and connected as Administrator; uncommitted work is rolled back."""
    import frappe

    frappe.init(test_site, sites_path=sites_path, force=True)
    frappe.connect()
    frappe.set_user("Administrator")
    try:
        yield test_site
    finally:
        if getattr(frappe.local, "db", None):
            try:
                frappe.db.rollback()
            except Exception:
                pass
        frappe.destroy()
