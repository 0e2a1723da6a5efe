"""Named cache keys and the helpers that invalidate them (Frappe v15's ``frappe.cache_manager``).

Keys live in the site cache (``frappe.cache``, see ``frappe.utils.redis_wrapper``). Process-local
caches (meta, hooks, documents) are cleared by ``frappe.clear_cache``; the helpers here clear what
is shared between processes.
"""

from __future__ import annotations

import frappe

common_default_keys = ["__default", "__global"]

# Doctypes whose rows are cached as a whole under "<scrubbed doctype>_map".
doctypes_for_mapping = {"Assignment Rule", "Document Naming Rule", "Milestone Tracker"}


def get_doctype_map_key(doctype: str) -> str:
    """Hash name under which :func:`get_doctype_map` keeps rows of ``doctype``."""
    return frappe.scrub(doctype) + "_map"


doctype_map_keys = tuple(get_doctype_map_key(d) for d in sorted(doctypes_for_mapping))

bench_cache_keys = ("assets_json",)

global_cache_keys = (
    "app_hooks",
    "installed_apps",
    "all_apps",
    "app_modules",
    "module_app",
    "system_settings",
    "scheduler_events",
    "time_zone",
    "webhooks",
    "active_domains",
    "active_modules",
    "server_script_map",
    "domain_restricted_doctypes",
    "domain_restricted_pages",
    "information_schema:counts",
    "sitemap_routes",
    "db_tables",
) + doctype_map_keys

user_cache_keys = (
    "bootinfo",
    "user_recent",
    "roles",
    "user_doc",
    "lang",
    "defaults",
    "user_permissions",
    "home_page",
    "linked_with",
    "portal_menu_items",
    "user_perm_can_read",
    "has_role:Page",
    "has_role:Report",
    "contacts",
)

doctype_cache_keys = (
    "doctype_meta",
    "doctype_form_meta",
    "table_columns",
    "last_modified",
    "linked_doctypes",
    "notifications",
    "workflow",
)


def _cache():
    from frappe.utils.redis_wrapper import get_cache

    return get_cache()


def clear_user_cache(user: str | None = None) -> None:
    """Forget what is cached for ``user`` (or for every user, plus global keys, when None)."""
    cache = _cache()
    if user:
        for name in user_cache_keys:
            cache.hdel(name, user)
        cache.delete_keys("user:" + user)
        clear_defaults_cache(user)
    else:
        for name in user_cache_keys:
            cache.delete_key(name)
        clear_defaults_cache()
        clear_global_cache()


def clear_domain_cache(user: str | None = None) -> None:
    """Forget the domain-restricted doctype and page lists."""
    _cache().delete_value(("domain_restricted_doctypes", "domain_restricted_pages"))


def clear_global_cache() -> None:
    """Forget site-wide keys (hooks, installed apps, settings …) and every doctype's cache."""
    clear_doctype_cache()
    cache = _cache()
    cache.delete_value(global_cache_keys)
    cache.delete_value(bench_cache_keys)


def clear_defaults_cache(user: str | None = None) -> None:
    """Forget cached defaults of ``user`` (and the global ones), or all defaults when None."""
    cache = _cache()
    if user:
        for parent in [user, *common_default_keys]:
            cache.hdel("defaults", parent)
    elif frappe.flags.in_install != "frappe":
        cache.delete_key("defaults")


def clear_doctype_cache(doctype: str | None = None) -> None:
    """Forget cached meta/columns of ``doctype`` (and of doctypes embedding it), or of all."""
    cache = _cache()
    for key in ("is_table", "doctype_modules", "document_cache"):
        cache.delete_value(key)
    if getattr(frappe.local, "document_cache", None) is not None:
        frappe.local.document_cache = {}

    if not doctype:
        for name in doctype_cache_keys:
            cache.delete_value(name)
        return

    def clear_one(dt):
        for name in doctype_cache_keys:
            cache.hdel(name, dt)

    clear_one(doctype)
    for parent in _parents_embedding(doctype):
        clear_one(parent)


def _parents_embedding(doctype: str) -> set:
    """Doctypes with a Table field pointing at ``doctype`` (standard or custom)."""
    parents = set()
    if not getattr(frappe.local, "db", None):
        return parents
    table_types = ["Table", "Table MultiSelect"]
    for source, column in (("DocField", "parent"), ("Custom Field", "dt")):
        try:
            rows = frappe.get_all(source, fields=[column], filters={"fieldtype": ["in", table_types], "options": doctype})
        except Exception:
            # Early in install the tables may not exist yet; nothing can embed the doctype then.
            continue
        parents.update(r.get(column) for r in rows)
    return parents


def get_doctype_map(doctype: str, name: str, filters=None, order_by=None):
    """Rows of ``doctype`` matching ``filters``, cached under field ``name`` of its map hash."""
    return _cache().hget(
        get_doctype_map_key(doctype),
        name,
        lambda: frappe.get_all(doctype, filters=filters, order_by=order_by),
    )


def clear_doctype_map(doctype: str, name: str) -> None:
    """Drop the cached rows stored by :func:`get_doctype_map` under ``name``."""
    _cache().hdel(get_doctype_map_key(doctype), name)
