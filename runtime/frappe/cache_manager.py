"""Named cache keys and the helpers that invalidate them (Frappe v15's ``frappe.cache_manager``).

Keys live in the site cache (``frappe.cache``, see ``frappe.utils.redis_wrapper``). Process-local
caches (meta, hooks, documents) are cleared by ``frappe.clear_cache``; the helpers here clear what
is shared between processes.
"""

from __future__ import annotations

import os
import threading
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


# ---------------------------------------------------------------- per-request reads kept per process
#
# What Frappe keeps in Redis instead of reading it on every request: the table list, roles, a user's
# login info, User Permissions, defaults and Singles (and, per process, the Metas); the runtime adds
# the owner of each API key with a digest of its secret (Frappe reads both on every token request).
# The runtime keeps them in each process's memory — no round trip at all when nothing changed — and shares only a
# *generation token* per kind: a Redis key (``redis_cache`` set) or, without Redis, a file of the site.
# A process compares the tokens once as a request or job starts (one MGET, or a few ``stat`` calls)
# and again lazily after each transaction, and drops the kinds whose token moved.
#
# The database layer moves a kind's token whenever a statement writes one of its source tables
# (Database.sql sees every write, raw SQL included) — at the write, and again at commit or rollback.
# While a connection has such a write pending, that kind is read from the database and not kept, so
# nothing uncommitted is ever shared. A value read under an older token than the process's current
# one (another thread validated meanwhile) is used but not kept.

SOURCE_TABLE_HASHES = {
    "tabUser": ("roles", "user_info", "api_keys"),
    "__Auth": ("api_keys",),
    "tabHas Role": ("roles",),
    "tabRole": ("roles",),
    "tabUser Permission": ("user_permission_rules",),
    "tabDefaultValue": ("defaults",),
    "tabSingles": ("singles",),
}
RUNTIME_HASHES = ("roles", "user_info", "user_permission_rules", "defaults", "singles", "api_keys")
TABLE_LIST_KEY = "db_tables"
META_KIND = "meta"  # not a store: moving it makes every process drop its Metas
_KINDS = (*RUNTIME_HASHES, TABLE_LIST_KEY, META_KIND)
_TOKEN_FOLDER = ".runtime-cache"

_store_lock = threading.Lock()
# (site key, kind) → [token the fields were read under, {field: value}]
_store: dict[tuple, list] = {}
# site key → meta token this process built its Metas under
_seen_meta_generation: dict[str, object] = {}


def _site_key() -> str | None:
    site_path = getattr(frappe.local, "site_path", None)
    if not site_path or not getattr(frappe.local, "site", None):
        return None
    conf = getattr(frappe.local, "conf", None) or {}
    if not os.path.isabs(site_path):  # frappe.init makes it absolute; abspath was ~14 calls a request
        site_path = os.path.abspath(site_path)
    return f"{site_path}|{conf.get('db_name') or ''}"


def _pending(db) -> set:
    return getattr(db, "pending_cache_invalidations", None) or set()


def _is_memory(cache) -> bool:
    from frappe.utils.redis_wrapper import MemoryCache

    return isinstance(cache, MemoryCache)


def _token_file(kind: str) -> str:
    return os.path.join(frappe.local.site_path, _TOKEN_FOLDER, kind)


def _read_tokens(kinds) -> list:
    """The current token of each kind: a Redis value (one MGET), or a file's stat without Redis."""
    cache = _cache()
    if _is_memory(cache):
        out = []
        for kind in kinds:
            try:
                st = os.stat(_token_file(kind))
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return out
    try:
        return list(cache.mget([cache.make_key(f"runtime_generation:{kind}") for kind in kinds]))
    except Exception:  # Redis unreachable: trust nothing kept
        return [object() for _kind in kinds]


def _bump(kinds) -> None:
    """Move the tokens of ``kinds`` for every process of the site."""
    if not _site_key():
        return
    cache = _cache()
    if _is_memory(cache):
        folder = os.path.join(frappe.local.site_path, _TOKEN_FOLDER)
        try:
            os.makedirs(folder, exist_ok=True)
            for kind in kinds:
                with open(os.path.join(folder, kind), "w", encoding="utf-8") as f:
                    f.write(f"{os.getpid()}-{time.time_ns()}")
        except OSError:
            pass
        return
    try:
        with cache.pipeline() as pipe:
            for kind in kinds:
                pipe.incr(cache.make_key(f"runtime_generation:{kind}"))
            pipe.execute()
    except Exception:
        pass


def _validated() -> dict:
    """{kind: token} this request validated the process store under (validating now if needed)."""
    tokens = getattr(frappe.local, "runtime_cache_tokens", None)
    if tokens is None:
        tokens = validate_process_cache()
    return tokens


def validate_process_cache(*, metas: bool = False) -> dict:
    """Compare the generation tokens with what this process keeps; drop the kinds that moved (and the
    Metas with ``metas``). Runs as a request or job starts and after each transaction (lazily)."""
    site = _site_key()
    if not site:
        return {}
    current = dict(zip(_KINDS, _read_tokens(_KINDS)))
    with _store_lock:
        for kind in _KINDS:
            if kind == META_KIND:
                continue
            entry = _store.get((site, kind))
            if entry is None:
                _store[(site, kind)] = [current[kind], {}]
            elif entry[0] != current[kind]:
                entry[0], entry[1] = current[kind], {}
    meta_token = current[META_KIND]
    if metas:
        if site in _seen_meta_generation and _seen_meta_generation[site] != meta_token:
            from frappe.model.meta import clear_meta_cache

            clear_meta_cache()
            if getattr(frappe.local, "new_doc_templates", None):
                frappe.local.new_doc_templates = {}
        _seen_meta_generation[site] = meta_token
    frappe.local.runtime_cache_tokens = current
    return current


def cached_field(hash_name: str, field: str, generator, keep=None):
    """``generator()`` kept in this process under ``hash_name``/``field`` until its token moves (see
    above); with ``keep``, only a value ``keep(value)`` accepts is kept. Callers must not change what
    they get."""
    site = _site_key()
    if not site:
        return generator()  # no site context (install-time connections): nothing to keep
    db = getattr(frappe.local, "db", None)
    if hash_name in _pending(db):
        # this transaction changed the source rows: read them, keep nothing until commit/rollback
        return generator()
    token = _validated().get(hash_name)
    entry = _store.get((site, hash_name))
    if entry is not None and entry[0] == token and field in entry[1]:
        return entry[1][field]
    value = generator()
    if keep is not None and not keep(value):
        return value
    with _store_lock:
        entry = _store.get((site, hash_name))
        if entry is not None and entry[0] == token and hash_name not in _pending(db):
            entry[1][field] = value
    return value


def forget_hashes(hash_names) -> None:
    """Drop ``hash_names`` here and make every other process of the site drop them too."""
    hash_names = tuple(hash_names)
    site = _site_key()
    if not hash_names or not site:
        return
    with _store_lock:
        for name in hash_names:
            entry = _store.get((site, name))
            if entry is not None:
                entry[0], entry[1] = None, {}  # nothing read under an older token is kept any more
    if "roles" in hash_names and getattr(frappe.local, "role_permissions", None):
        frappe.local.role_permissions = {}
    _bump(hash_names)
    frappe.local.runtime_cache_tokens = None


def transaction_ended() -> None:
    """The next read validates again: it must see what other processes committed meanwhile."""
    if getattr(frappe.local, "runtime_cache_tokens", None) is not None:
        frappe.local.runtime_cache_tokens = None


def forget_table_list() -> None:
    forget_hashes((TABLE_LIST_KEY,))


def hashes_for_table(table: str) -> tuple:
    return SOURCE_TABLE_HASHES.get(table, ())


def bump_meta_generation() -> None:
    """Tell every process of the site that Metas changed (Custom Field, Property Setter, DocPerm …)."""
    if not _site_key():
        return
    _bump((META_KIND,))
    frappe.local.runtime_cache_tokens = None
    # this process cleared its own Metas already; record the new token so it does not do it twice
    _seen_meta_generation[_site_key()] = _read_tokens((META_KIND,))[0]


def meta_token():
    """The site's current meta token (what a worker parent built its Metas under)."""
    return _read_tokens((META_KIND,))[0] if _site_key() else None


def sync_meta_generation() -> bool:
    """Drop this process's Metas if another process changed them since; True when it did."""
    site = _site_key()
    if not site:
        return False
    before = _seen_meta_generation.get(site, _MISSING)
    validate_process_cache(metas=True)
    return before is not _MISSING and before != _seen_meta_generation.get(site)


_MISSING = object()


def sync_process_cache(*, metas: bool = False) -> None:
    """As a request or job starts: validate this process's copies (and its Metas with ``metas``)."""
    validate_process_cache(metas=metas)
