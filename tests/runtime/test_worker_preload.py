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


# ---------------------------------------------------------------- the web server (gunicorn --preload)

def test_warm_up_builds_the_url_map_and_the_metas_and_keeps_no_connection(test_site, sites_path, monkeypatch):
    import frappe.app
    from frappe.api import API_URL_MAP, _LazyMap
    from frappe.database.pool import close_all_pools
    from frappe.model.meta import _meta_cache, clear_meta_cache
    from frappe.utils import worker_preload

    monkeypatch.setattr(frappe.app, "_sites_path", sites_path)
    monkeypatch.setattr(_LazyMap, "_map", None)
    clear_meta_cache()
    try:
        done = frappe.app.warm_up_for_workers()
        assert test_site in [d["site"] for d in done]
        assert _LazyMap._map is not None and API_URL_MAP.build() is _LazyMap._map
        assert (test_site, "User") in _meta_cache
        assert close_all_pools() == 0  # nothing left open to cross a fork
    finally:
        worker_preload._preloaded.clear()


def test_gunicorn_preloads_once_and_its_restarted_workers_serve(test_site, sites_path, tmp_path):
    """``-c python:medgrid_runtime.gunicorn_conf --preload``, as `setup production` runs it, with workers
    restarted every 3 requests: the master preloads the site before the first fork and every worker,
    a restarted one too, answers."""
    import os
    import socket
    import subprocess
    import time
    import urllib.request

    pytest.importorskip("gunicorn")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error_log = tmp_path / "error.log"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = [os.path.join(root, "runtime"), os.path.join(root, "tests", "apps", "runtime_test_app")]
    env = dict(os.environ, MEDGRID_SITES_PATH=sites_path, MEDGRID_DEFAULT_SITE=test_site,
               PYTHONPATH=os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:medgrid_runtime.gunicorn_conf", "--access-logfile",
         str(tmp_path / "access.log"), "--error-logfile", str(error_log), "-w", "1", "--max-requests", "3",
         "-b", f"127.0.0.1:{port}", "--preload", "frappe.app:application"],
        cwd=sites_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answers = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/method/ping", timeout=10).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(error_log.read_text() if error_log.exists() else "gunicorn did not start")
                time.sleep(0.2)
        for _ in range(10):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/method/ping", timeout=30) as reply:
                answers.append((reply.status, reply.read()))
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = error_log.read_text()
    assert f"preloaded {test_site}:" in log, log
    assert log.count("Booting worker") >= 3, log  # restarted at least twice
    assert answers == [(200, b'{"message":"pong"}')] * 10
