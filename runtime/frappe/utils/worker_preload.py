"""What an RQ worker builds once, in its parent process, so that every forked job inherits it.

RQ forks a work-horse per job; whatever the parent has imported or built is there in the child at no
cost, whatever the child builds is thrown away with it. Without this each MedGrid dispatch job spent
most of its time importing the app's connectors, ``requests`` and the database driver and rebuilding
the Metas of the doctypes it touches (issue 17). So before the worker starts, for every site under
the sites path, the parent:

* imports the database drivers and HTTP client the jobs use;
* imports every installed app's modules (tests and patches left out) and reads its hooks;
* builds the Meta of every doctype of the installed apps (custom fields included, so it connects).

Metas follow Custom Field / Property Setter / DocPerm changes through the meta generation stamp of
``frappe.cache_manager``: a child that sees the stamp moved drops the inherited Metas at job start, and
the parent, which checks the stamp before each fork (:func:`refresh`), rebuilds them once.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import time

import frappe

logger = logging.getLogger("frappe.worker")

_DRIVERS = ("sqlite3", "pymysql", "psycopg", "requests", "urllib3", "json", "decimal", "cryptography.fernet")
_SKIPPED_PARTS = ("tests", "test_", "patches", "conftest")

# sites preloaded by this process: site → meta generation stamp seen when their Metas were built
_preloaded: dict[str, object] = {}


def sites_under(sites_path: str) -> list[str]:
    """Folders of ``sites_path`` that hold a site (a ``site_config.json``)."""
    try:
        entries = sorted(os.listdir(sites_path))
    except OSError:
        return []
    return [e for e in entries if not e.startswith(".") and os.path.isfile(os.path.join(sites_path, e, "site_config.json"))]


def import_drivers() -> None:
    for name in _DRIVERS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def import_app_modules(app: str) -> int:
    """Import ``app`` and its submodules (no tests or patches); returns how many imported."""
    try:
        package = importlib.import_module(app)
    except ImportError:
        return 0
    count = 1
    paths = getattr(package, "__path__", None)
    if not paths:
        return count
    # walked by hand: pkgutil.walk_packages imports every package to look inside, tests packages too
    pending = [(paths, f"{app}.")]
    while pending:
        search_paths, prefix = pending.pop()
        for info in pkgutil.iter_modules(search_paths, prefix=prefix):
            if info.name.rpartition(".")[2].startswith(_SKIPPED_PARTS):
                continue
            try:
                module = importlib.import_module(info.name)
                count += 1
            except Exception as e:  # a module that cannot import alone is imported by its job as before
                logger.debug("preload: skipped %s (%s)", info.name, e)
                continue
            if info.ispkg and getattr(module, "__path__", None):
                pending.append((module.__path__, f"{info.name}."))
    return count


def build_metas() -> int:
    from frappe.model.meta import get_doctype_index

    count = 0
    for doctype in get_doctype_index():
        try:
            frappe.get_meta(doctype)
            count += 1
        except Exception as e:
            logger.debug("preload: no Meta for %s (%s)", doctype, e)
    return count


def _meta_stamp():
    from frappe import cache_manager

    return cache_manager.meta_token()


def preload_site(site: str, sites_path: str) -> dict:
    """Import the site's apps and build its Metas in this process; the connection is closed after."""
    started = time.perf_counter()
    frappe.init(site, sites_path=sites_path, force=True)
    try:
        frappe.connect()
        from frappe import cache_manager

        # record the stamp first: a change made while the Metas are built moves it past this value
        cache_manager.sync_meta_generation()
        stamp = _meta_stamp()
        apps = frappe.get_installed_apps()
        modules = sum(import_app_modules(app) for app in apps)
        frappe.get_hooks()
        metas = build_metas()
        frappe.db.rollback()
        _preloaded[site] = stamp
        return {"site": site, "apps": apps, "modules": modules, "metas": metas,
                "seconds": round(time.perf_counter() - started, 2)}
    finally:
        frappe.destroy()


def preload(sites_path: str) -> list[dict]:
    """Preload every site under ``sites_path``; a site that fails is logged and left to its jobs."""
    import_drivers()
    done = []
    for site in sites_under(sites_path):
        try:
            done.append(preload_site(site, sites_path))
        except Exception as e:
            logger.warning("preload of %s skipped: %s", site, e)
            try:
                frappe.destroy()
            except Exception:
                pass
    _close_kept_connections()
    return done


def _close_kept_connections() -> None:
    """Connections kept for reuse must not cross into the forked work-horses (every engine's)."""
    from frappe.database.pool import close_all_pools

    close_all_pools()


def refresh(sites_path: str) -> None:
    """Before a fork: rebuild the Metas of a preloaded site whose meta stamp moved since."""
    moved = False
    for site in list(_preloaded):
        try:
            frappe.init(site, sites_path=sites_path, force=True)
            try:
                moved = moved or _meta_stamp() != _preloaded[site]
            finally:
                frappe.destroy()
        except Exception as e:
            logger.warning("preload check of %s failed: %s", site, e)
    if moved:
        from frappe.model.meta import clear_meta_cache

        clear_meta_cache()  # the Meta cache is one per process, for every site
        for site in list(_preloaded):
            try:
                preload_site(site, sites_path)
            except Exception as e:
                logger.warning("preload refresh of %s failed: %s", site, e)
                _preloaded.pop(site, None)
    _close_kept_connections()
