"""The RQ worker's parent builds once what every forked job needs (issue 17), and never keeps it stale."""

from __future__ import annotations

import contextlib
import sys

import pytest


@contextlib.contextmanager
def site_context(site, sites_path):
    import frappe

    frappe.init(site, sites_path=sites_path, force=True)
    try:
        frappe.connect()
        yield frappe
        frappe.db.commit()
    finally:
        frappe.destroy()


@pytest.fixture()
def preloaded(test_site, sites_path):
    from frappe.model.meta import clear_meta_cache
    from frappe.utils import worker_preload

    clear_meta_cache()
    modules_before = set(sys.modules)
    done = worker_preload.preload(sites_path)
    added = set(sys.modules) - modules_before
    yield {d["site"]: {**d, "imported": added} for d in done}
    worker_preload._preloaded.clear()


def test_preload_imports_the_apps_and_builds_their_metas(preloaded, test_site):
    from frappe.model.meta import _meta_cache

    entry = preloaded[test_site]
    assert entry["apps"][:2] == ["frappe", "erpnext"]
    assert entry["modules"] > 50 and entry["metas"] > 20
    assert (test_site, "Item") in _meta_cache and (test_site, "Sales Order") in _meta_cache
    for module in ("pymysql", "psycopg", "erpnext.selling.doctype.sales_order.sales_order"):
        assert module in sys.modules
    # the preload imports no tests into a worker (other tests of this run may have imported some already)
    assert not any(name.startswith("erpnext.tests") or ".tests." in name or name.endswith(".tests")
                   or name.split(".")[-1].startswith("test_") for name in entry["imported"])


def test_a_meta_change_elsewhere_is_rebuilt_before_the_next_fork(preloaded, test_site, sites_path):
    from frappe import cache_manager
    from frappe.model.meta import _meta_cache
    from frappe.utils import worker_preload

    before = _meta_cache[(test_site, "Item")]
    worker_preload.refresh(sites_path)
    assert _meta_cache[(test_site, "Item")] is before  # nothing changed: nothing rebuilt

    # another process saves a Custom Field: it moves the site's meta stamp
    with site_context(test_site, sites_path):
        cache_manager.bump_meta_generation()
    worker_preload.refresh(sites_path)
    assert _meta_cache[(test_site, "Item")] is not before


def test_a_forked_job_drops_inherited_metas_when_the_stamp_moved(preloaded, test_site, sites_path):
    """What a child does at frappe.connect(): compare the stamp it inherited with the current one."""
    from frappe import cache_manager
    from frappe.model.meta import _meta_cache

    with site_context(test_site, sites_path):
        assert cache_manager.sync_meta_generation() is False
        inherited = dict(cache_manager._seen_meta_generation)
        cache_manager.bump_meta_generation()  # as another process saving a Custom Field would
    cache_manager._seen_meta_generation.clear()
    cache_manager._seen_meta_generation.update(inherited)  # what the fork inherited from its parent
    assert (test_site, "Item") in _meta_cache
    with site_context(test_site, sites_path):
        # connect() already ran the check: the inherited Metas are gone, a fresh one is built on use
        assert (test_site, "Item") not in _meta_cache
