"""Named cache keys and the helpers that invalidate them (Frappe v15's ``frappe.cache_manager``).

Keys live in the site cache (``frappe.cache``, see ``frappe.utils.redis_wrapper``). Process-local
caches (meta, hooks, documents) are cleared by ``frappe.clear_cache``; the helpers here clear what
is shared between processes.
"""

from __future__ import annotations

import copy
import os
import time

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
    # the runtime's per-request reads (roles, login info, User Permissions, defaults): dropped whole,
    # they are rebuilt from one query each
    forget_hashes(RUNTIME_HASHES)
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


# ---------------------------------------------------------------- per-request reads kept in the site cache
#
# What Frappe keeps in Redis instead of reading it on every request: the table list, roles, a user's
# login info, User Permissions, defaults and Singles. Each lives in a site-cache hash (field = user,
# defaults parent or Single doctype). The database layer drops a hash whenever a statement writes one
# of its source tables (Database.sql sees every write, raw SQL included) — at the write, and again at
# commit or rollback, so no process keeps what a transaction wrote before it became final or after it
# was undone. While a connection has such a write pending, the hash is read from the database directly
# and not refilled, so other processes never see uncommitted rows.

SOURCE_TABLE_HASHES = {
    "tabUser": ("roles", "user_info"),
    "tabHas Role": ("roles",),
    "tabRole": ("roles",),
    "tabUser Permission": ("user_permission_rules",),
    "tabDefaultValue": ("defaults",),
    "tabSingles": ("singles",),
}
RUNTIME_HASHES = ("roles", "user_info", "user_permission_rules", "defaults", "singles")
TABLE_LIST_KEY = "db_tables"

# one file per site whose content changes with every invalidation: processes that keep the cache in
# their own memory (no redis_cache) compare it once per request and drop their copies when it moved
_GENERATION_FILE = ".runtime-cache-generation"
_seen_generation: dict[str, tuple] = {}


def _pending(db) -> set:
    return getattr(db, "pending_cache_invalidations", None) or set()


def cached_field(hash_name: str, field: str, generator):
    """``generator()`` kept in the site cache under ``hash_name``/``field`` (see above), with a
    per-request copy in ``frappe.local.cache``. Values must be plain data (they are pickled on Redis)."""
    request_cache = getattr(frappe.local, "cache", None)
    if request_cache is None or not getattr(frappe.local, "site", None):
        return generator()  # no site context (install-time connections): nothing to share
    local_layer = request_cache.setdefault(("runtime_hash", hash_name), {})
    if field in local_layer:
        return local_layer[field]
    db = getattr(frappe.local, "db", None)
    if hash_name in _pending(db):
        # this transaction changed the source rows: read them, share nothing until commit/rollback
        return generator()
    cache = _cache()
    value = cache.hget(hash_name, field)
    if value is None:
        value = generator()
        if hash_name not in _pending(db):
            cache.hset(hash_name, field, value)
    elif _is_memory(cache):
        # the memory store hands out its own object: callers may change what they get
        value = copy.deepcopy(value)
    local_layer[field] = value
    return value


def forget_hashes(hash_names) -> None:
    """Drop ``hash_names`` from the site cache and this request's copies."""
    hash_names = tuple(hash_names)
    if not hash_names:
        return
    local = getattr(frappe.local, "cache", None)
    if local is not None:
        for name in hash_names:
            local.pop(("runtime_hash", name), None)
            if name == "roles":
                local.pop("roles", None)
    if "roles" in hash_names and getattr(frappe.local, "role_permissions", None):
        frappe.local.role_permissions = {}
    cache = _cache()
    cache.delete_value(list(hash_names))
    _bump_generation(cache)


def drop_request_copies() -> None:
    """Forget this request's copies of the shared hashes (a transaction ended: the next one reads the
    site cache again, which follows commits made elsewhere meanwhile)."""
    local = getattr(frappe.local, "cache", None)
    if not local:
        return
    cache = None
    for name in RUNTIME_HASHES:
        if local.pop(("runtime_hash", name), None) is not None:
            cache = cache or _cache()
            if not _is_memory(cache):
                local.pop(cache.make_key(name), None)  # RedisWrapper's own per-request copy


def forget_table_list() -> None:
    cache = _cache()
    cache.delete_value(TABLE_LIST_KEY)
    _bump_generation(cache)


def hashes_for_table(table: str) -> tuple:
    return SOURCE_TABLE_HASHES.get(table, ())


def _is_memory(cache) -> bool:
    from frappe.utils.redis_wrapper import MemoryCache

    return isinstance(cache, MemoryCache)


def _generation_path() -> str | None:
    site_path = getattr(frappe.local, "site_path", None)
    return os.path.join(site_path, _GENERATION_FILE) if site_path and os.path.isdir(site_path) else None


def _bump_generation(cache) -> None:
    if not _is_memory(cache):
        return  # Redis is shared already
    path = _generation_path()
    if not path:
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"{os.getpid()}-{time.time_ns()}")
        _seen_generation[path] = _generation_stamp(path)
    except OSError:
        pass


def _generation_stamp(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# Metas are built once per process (frappe.model.meta); a change to Custom Fields, Property Setters or
# DocPerms (frappe.clear_cache(doctype=...)) moves this stamp — a key in Redis, or a file of the site
# without Redis — and every process drops its Metas when it sees the stamp move (at request or job
# start). Worker parents that preload Metas for their forks (frappe.utils.worker_preload) check it too.
_META_GENERATION_KEY = "runtime_meta_generation"
_META_GENERATION_FILE = ".runtime-meta-generation"
_seen_meta_generation: dict[str, object] = {}


def _meta_generation_place(cache):
    if _is_memory(cache):
        site_path = getattr(frappe.local, "site_path", None)
        if not site_path or not os.path.isdir(site_path):
            return None
        return os.path.join(site_path, _META_GENERATION_FILE)
    return cache.make_key(_META_GENERATION_KEY)


def _read_meta_generation(cache, place):
    if isinstance(place, str) and _is_memory(cache):
        return _generation_stamp(place)
    try:
        return cache.get(place)
    except Exception:  # Redis unreachable: keep what this process has
        return _seen_meta_generation.get(place)


def bump_meta_generation() -> None:
    """Tell every process of the site that Metas changed."""
    cache = _cache()
    place = _meta_generation_place(cache)
    if place is None:
        return
    token = f"{os.getpid()}-{time.time_ns()}"
    try:
        if isinstance(place, str) and _is_memory(cache):
            with open(place, "w", encoding="utf-8") as f:
                f.write(token)
        else:
            cache.set(place, token.encode())
    except Exception:
        return
    _seen_meta_generation[place] = _read_meta_generation(cache, place)


def sync_meta_generation() -> bool:
    """Drop this process's Metas if another process changed them since; True when it did."""
    cache = _cache()
    place = _meta_generation_place(cache)
    if place is None:
        return False
    stamp = _read_meta_generation(cache, place)
    if place not in _seen_meta_generation:
        _seen_meta_generation[place] = stamp
        return False
    if stamp == _seen_meta_generation[place]:
        return False
    _seen_meta_generation[place] = stamp
    from frappe.model.meta import clear_meta_cache

    clear_meta_cache()
    if getattr(frappe.local, "new_doc_templates", None):
        frappe.local.new_doc_templates = {}
    return True


def sync_process_cache(*, metas: bool = False) -> None:
    """Called as a request or job starts (``metas=True``) and as a transaction ends: with the
    in-memory cache, drop this process's copies when another process changed what they came from
    (one ``stat``; nothing to do on Redis); at start, the Metas too (see above)."""
    if metas:
        sync_meta_generation()
    cache = _cache()
    if not _is_memory(cache):
        return
    path = _generation_path()
    if not path:
        return
    stamp = _generation_stamp(path)
    if path not in _seen_generation:
        _seen_generation[path] = stamp
        return
    if stamp != _seen_generation[path]:
        _seen_generation[path] = stamp
        cache.delete_value([*RUNTIME_HASHES, TABLE_LIST_KEY])
