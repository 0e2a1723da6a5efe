"""A Frappe v15 compatible core for running MedGrid without a bench.

Public names and signatures follow Frappe v15 so that app code written for a real bench runs here
unchanged. Request/job state lives on ``frappe.local`` (a Werkzeug ``Local``), exactly like Frappe.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
import os
import re
import secrets
import sys
import time
import traceback
from typing import Any

from werkzeug.local import Local, LocalProxy, release_local

from frappe.exceptions import *  # noqa: F401,F403  (Frappe re-exports every exception class)
from frappe import exceptions as _exc

__version__ = "15.0.0-medgrid-runtime"
__title__ = "Frappe Framework (MedGrid runtime)"


class _dict(dict):
    """dict with attribute access, as Frappe's ``frappe._dict``."""

    __slots__ = ()
    __getattr__ = dict.get

    def __setattr__(self, key, value):
        self[key] = value

    def __delattr__(self, key):
        self.pop(key, None)

    def __getstate__(self):
        return self

    def __setstate__(self, d):
        self.update(d)

    def update(self, *args, **kwargs):
        super().update(*args, **kwargs)
        return self

    def copy(self):
        return _dict(dict(self).copy())


local = Local()

db = LocalProxy(local, "db")
qb = LocalProxy(local, "qb")
conf = LocalProxy(local, "conf")
form_dict = LocalProxy(local, "form_dict")
request = LocalProxy(local, "request")
response = LocalProxy(local, "response")
session = LocalProxy(local, "session")
flags = LocalProxy(local, "flags")
lang = LocalProxy(local, "lang")
message_log = LocalProxy(local, "message_log")
debug_log = LocalProxy(local, "debug_log")

# whitelist registries (module level, as in Frappe: they are filled at import time)
whitelisted: list = []
guest_methods: list = []
xss_safe_methods: list = []
allowed_http_methods_for_whitelisted_func: dict = {}

_site_config_cache: dict = {}


# ---------------------------------------------------------------- sites, init, connect

def get_sites_path() -> str:
    """Where sites live: env ``MEDGRID_SITES_PATH``, else ``./sites``."""
    return os.path.abspath(os.environ.get("MEDGRID_SITES_PATH") or "sites")


def get_file_json(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_site_config(sites_path: str | None = None, site_path: str | None = None) -> _dict:
    """common_site_config.json overlaid with the site's site_config.json."""
    sites_path = sites_path or getattr(local, "sites_path", None) or get_sites_path()
    site_path = site_path or getattr(local, "site_path", None)
    config = {}
    common = _read_config_file(os.path.join(sites_path, "common_site_config.json"))
    if common is not None:
        config.update(common)
    if site_path:
        site_config = _read_config_file(os.path.join(site_path, "site_config.json"))
        if site_config is not None:
            config.update(site_config)
        elif local.site and not local.flags.new_site:
            raise IncorrectSitePath(f"{local.site} does not exist")
    return _dict(config)


# path → ((mtime_ns, size, inode), text): every request reads both config files, as on Frappe; the
# text is read again only when the file changed (set-config, an edit, a restore), then parsed anew
# so that no caller shares a nested value with another. File times tick in jiffies, so two writes of
# the same size in one tick look alike: a file changed in the last two seconds is always read.
_config_texts: dict[str, tuple] = {}
_CONFIG_SETTLED_NS = 2_000_000_000


def _read_config_file(path: str) -> dict | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    kept = _config_texts.get(path)
    if kept is None or kept[0] != stamp or time.time_ns() - st.st_mtime_ns < _CONFIG_SETTLED_NS:
        with open(path, encoding="utf-8") as f:
            kept = _config_texts[path] = (stamp, f.read())
    return json.loads(kept[1])


def init(site: str, sites_path: str | None = None, new_site: bool = False, force: bool = False) -> None:
    """Prepare ``frappe.local`` for one site (no DB connection yet)."""
    if getattr(local, "initialised", None) and not force:
        return
    local.error_log = []
    local.message_log = []
    local.debug_log = []
    local.realtime_log = []
    local.flags = _dict({"currently_saving": [], "redirect_location": "", "in_install_db": False,
                         "in_install_app": False, "in_import": False, "in_test": False,
                         "mute_messages": False, "ignore_links": False, "mute_emails": False,
                         "has_dataurl": False, "new_site": new_site, "read_only": False})
    local.rollback_observers = []
    local.before_commit = []
    local.test_objects = {}
    local.site = site
    local.sites_path = os.path.abspath(sites_path or get_sites_path())
    local.site_path = os.path.join(local.sites_path, site)
    local.all_apps = None
    local.request_ip = None
    local.response = _dict({"docs": []})
    local.task_id = None
    local.conf = get_site_config(local.sites_path, local.site_path)
    local.lang = local.conf.lang or "en"
    local.module_app = None
    local.app_modules = None
    local.user = None
    local.user_perms = None
    local.session = None
    local.role_permissions = {}
    local.valid_columns = {}
    local.new_doc_templates = {}
    local.request = None
    local.form_dict = _dict()
    local.preload_assets = {"style": [], "script": []}
    local.session = _dict({"user": "Guest", "sid": "Guest", "data": _dict()})
    local.db = None
    local.qb = None
    local.cache = {}
    local.document_cache = {}
    local.meta_cache = {}
    local.dev_server = bool(os.environ.get("DEV_SERVER"))
    local.initialised = True
    from frappe.query_builder import get_query_builder

    local.qb = get_query_builder(local.conf.db_type or "sqlite")


def connect(site: str | None = None, db_name: str | None = None, set_admin_as_user: bool = True) -> None:
    """Open ``frappe.local.db`` for the initialised site."""
    from frappe.database import get_db

    if site:
        init(site)
    local.db = get_db(local.conf)
    from frappe.cache_manager import sync_process_cache

    # another process may have changed what this one keeps (Metas; without Redis, the site cache too)
    sync_process_cache(metas=True)
    if set_admin_as_user:
        set_user("Administrator")


def destroy() -> None:
    """Close the DB connection and forget everything on ``frappe.local``."""
    if getattr(local, "db", None):
        try:
            local.db.close()
        except Exception:
            pass
    release_local(local)


def set_user(username: str) -> None:
    """Switch the session user (clears per-user caches)."""
    local.session = _dict(user=username, sid=username, data=_dict())
    local.role_permissions = {}
    local.new_doc_templates = {}
    local.user_perms = None
    local.cache.pop("roles", None)


def get_user():
    from frappe.utils.user import UserPermissions

    return UserPermissions(session.user)


# ---------------------------------------------------------------- messages

def _(msg: str, lang: str | None = None, context: str | None = None) -> str:
    """Translate ``msg``. The runtime ships English only, so this returns it unchanged."""
    return msg


def _lt(msg: str, lang: str | None = None, context: str | None = None) -> str:
    return msg


def msgprint(msg, title=None, raise_exception=0, as_table=False, as_list=False, indicator=None,
             alert=False, primary_action=None, is_minimizable=None, wide=None, realtime=False) -> None:
    """Queue a message for the client (``_server_messages``), optionally raising."""
    from frappe.utils import strip_html_tags  # noqa: F401  (kept for parity of import side effects)

    msg = _safe_message(msg)
    out = _dict(message=msg)

    def _raise():
        if not raise_exception:
            return
        if inspect.isclass(raise_exception) and issubclass(raise_exception, Exception):
            exc = raise_exception(msg)
        elif isinstance(raise_exception, Exception):
            # an instance carries extra attributes (e.g. DoesNotExistError(doctype=...))
            exc = raise_exception
            exc.args = (msg,)
        else:
            exc = ValidationError(msg)
        if out.get("__frappe_exc_id"):
            exc.__frappe_exc_id = out["__frappe_exc_id"]
        raise exc

    if flags.mute_messages:
        _raise()
        return
    if as_table and isinstance(msg, (list, tuple)):
        out.as_table = 1
    if as_list and isinstance(msg, (list, tuple)):
        out.as_list = 1
    if flags.print_messages and out.message:
        print(f"Message: {strip_html_tags(str(out.message))}")
    out.title = title or _("Message")
    if raise_exception and not indicator:
        indicator = "red"
    if indicator:
        out.indicator = indicator
    if is_minimizable:
        out.is_minimizable = is_minimizable
    if alert:
        out.alert = 1
    if raise_exception:
        out.raise_exception = 1
        out.__frappe_exc_id = generate_hash()
    if primary_action:
        out.primary_action = primary_action
    if wide:
        out.wide = wide
    local.message_log.append(out)
    _raise()


def _safe_message(msg):
    if isinstance(msg, (list, tuple, dict)):
        return msg
    return "" if msg is None else str(msg) if not isinstance(msg, str) else msg


def throw(msg, exc=ValidationError, title=None, is_minimizable=None, wide=None, as_list=False,
          primary_action=None) -> None:
    """Queue ``msg`` as a red message and raise ``exc`` with it."""
    msgprint(msg, raise_exception=exc, title=title, indicator="red", is_minimizable=is_minimizable,
             wide=wide, as_list=as_list, primary_action=primary_action)


def clear_messages():
    local.message_log = []


def clear_last_message():
    if local.message_log:
        local.message_log = local.message_log[:-1]


def get_message_log() -> list:
    return [m for m in local.message_log]


def log(msg: str) -> None:
    local.debug_log.append(str(msg))


def errprint(msg: str) -> None:
    local.error_log.append({"exc": msg})


def publish_realtime(*args, **kwargs) -> None:
    """Realtime (socket.io) is not part of the runtime; events are dropped."""


def publish_progress(*args, **kwargs) -> None:
    """Progress bars are a Desk feature; the runtime prints nothing."""


# ---------------------------------------------------------------- whitelisting

def whitelist(allow_guest: bool = False, xss_safe: bool = False, methods: list | None = None):
    """Register a function as callable through ``/api/method/<dotted.path>``."""
    if not methods:
        methods = ["GET", "POST", "PUT", "DELETE"]

    def innerfn(fn):
        fn = getattr(fn, "__func__", fn)
        fn = _with_argument_types(fn)
        whitelisted.append(fn)
        allowed_http_methods_for_whitelisted_func[fn] = methods
        if allow_guest:
            guest_methods.append(fn)
            if xss_safe:
                xss_safe_methods.append(fn)
        return fn

    return innerfn


_COERCIBLE = {int: "int", float: "float", bool: "bool", str: "str"}


def _with_argument_types(fn):
    """Coerce request strings to the annotated int/float/bool of a whitelisted function.

    Frappe v15 validates annotated arguments (pydantic, lax mode); a value that cannot be
    converted raises FrappeTypeError (417).
    """
    try:
        hints = {k: v for k, v in inspect.get_annotations(fn, eval_str=True).items() if k != "return"}
    except Exception:
        return fn
    typed = {name: hint for name, hint in hints.items() if hint in _COERCIBLE}
    if not typed:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for name, hint in typed.items():
            if name in kwargs and kwargs[name] is not None:
                kwargs[name] = _coerce_argument(name, hint, kwargs[name])
        return fn(*args, **kwargs)

    return wrapper


def _coerce_argument(name, hint, value):
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    try:
        if hint is bool:
            if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
                return True
            if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
                return False
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise ValueError
        if hint is int:
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                return int(value.strip())
            raise ValueError
        if hint is float and isinstance(value, (int, str)) and not isinstance(value, bool):
            return float(value)
        if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        pass
    raise FrappeTypeError(f"Argument '{name}' should be of type '{_COERCIBLE[hint]}' but got "
                          f"'{type(value).__name__}' instead.")


def is_whitelisted(method) -> None:
    """Raise PermissionError unless ``method`` may be called by the session user."""
    method = getattr(method, "__func__", method)
    is_guest = session["user"] == "Guest"
    if method not in whitelisted or (is_guest and method not in guest_methods):
        summary = _("You are not permitted to access this resource.") + " " + _("Login to access")
        detail = _("Function {0} is not whitelisted.").format(
            bold(f"{method.__module__}.{method.__name__}")) if hasattr(method, "__name__") else ""
        msg = f"<details><summary>{summary}</summary>{detail}</details>"
        throw(msg, PermissionError, title=_("Method Not Allowed"))
    if is_guest and method not in xss_safe_methods:
        from frappe.utils import sanitize_html

        for key, value in form_dict.items():
            if isinstance(value, str):
                form_dict[key] = sanitize_html(value)


def connect_replica() -> bool:
    """Point ``frappe.db`` at the site's read replica (``replica_host`` …), keeping the primary in
    ``local.primary_db``. False when already on the replica or the engine has none (SQLite)."""
    from frappe.database import get_db

    if getattr(local, "replica_db", None) is not None and getattr(local, "primary_db", None) is not None:
        return False
    conf = local.conf
    if (conf.db_type or "sqlite") == "sqlite":
        return False  # one file, no server to replicate: reads stay where they are
    user, password = conf.db_user, conf.db_password
    if conf.different_credentials_for_replica:
        user = conf.replica_db_user or conf.replica_db_name
        password = conf.replica_db_password
    replica_conf = _dict(conf)
    replica_conf.update(db_host=conf.replica_host, db_port=conf.replica_db_port, db_user=user,
                        db_password=password)
    local.replica_db = get_db(replica_conf)
    local.primary_db = local.db
    local.db = local.replica_db
    return True


def read_only():
    """Decorator: with ``read_from_replica`` in the site config, run the function on the replica and
    come back to the primary afterwards (nested calls stay on the replica opened by the outer one)."""

    def innfn(fn):
        @functools.wraps(fn)
        def wrapper_fn(*args, **kwargs):
            conf = getattr(local, "conf", None) or {}
            switched = bool(conf.get("read_from_replica")) and connect_replica()
            try:
                return fn(*args, **kwargs)
            finally:
                if switched:
                    try:
                        local.replica_db.close()
                    finally:
                        local.db = local.primary_db
                        del local.replica_db
                        del local.primary_db

        return wrapper_fn

    return innfn


def only_for(roles, message: bool = False) -> None:
    """Raise PermissionError unless the session user has one of ``roles``."""
    if local.flags.in_test or session.user == "Administrator":
        return
    if isinstance(roles, str):
        roles = (roles,)
    if set(roles).isdisjoint(get_roles()):
        if not message:
            raise PermissionError
        throw(_("This action is only allowed for {}").format(bold(", ".join(roles))), PermissionError,
              _("Not Permitted"))


# ---------------------------------------------------------------- apps, hooks, modules

def get_installed_apps(*, _ensure_on_bench: bool = False) -> list[str]:
    """Installed apps of the connected site, in install order ('frappe' first)."""
    if getattr(local, "all_apps", None) is not None and local.all_apps:
        return list(local.all_apps)
    apps = ["frappe"]
    if getattr(local, "db", None):
        stored = local.db.get_default("installed_apps")
        if stored:
            apps = json.loads(stored)
        local.all_apps = apps
    return list(apps)


def get_all_apps(with_internal_apps=True, sites_path=None):
    return get_installed_apps()


def get_app_path(app_name: str, *joins: str) -> str:
    return get_pymodule_path(app_name, *joins)


def get_pymodule_path(modulename: str, *joins: str) -> str:
    module = importlib.import_module(modulename)
    return os.path.join(os.path.dirname(module.__file__), *joins)


def get_site_path(*joins: str) -> str:
    return os.path.join(local.site_path, *joins)


def get_module_list(app_name: str) -> list[str]:
    path = get_app_path(app_name, "modules.txt")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def get_module_path(module: str, *joins: str) -> str:
    app = local_module_app().get(scrub(module))
    if not app:
        raise ValidationError(f"Module {module} not found")
    return get_pymodule_path(f"{app}.{scrub(module)}", *joins)


def local_module_app() -> dict:
    """Map of scrubbed module name → app, over every installed app."""
    mapping = {}
    for app in get_installed_apps():
        for module in get_module_list(app):
            mapping[scrub(module)] = app
    return mapping


def get_module(modulename: str):
    return importlib.import_module(modulename)


def _load_app_hooks(app_name: str) -> dict:
    try:
        module = importlib.import_module(f"{app_name}.hooks")
    except ImportError as e:
        if f"{app_name}.hooks" in str(e) or app_name in str(e):
            return {}
        raise
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and not inspect.ismodule(v)
            and not inspect.isfunction(v)}


_hooks_cache: dict = {}


def get_hooks(hook: str | None = None, default: Any = "_KEEP_DEFAULT_LIST", app_name: str | None = None):
    """Hooks of the installed apps merged the Frappe way (lists appended, dicts merged into lists)."""
    apps = [app_name] if app_name else get_installed_apps()
    key = tuple(apps)
    hooks = _hooks_cache.get(key)
    if hooks is None:
        hooks = _dict()
        for app in apps:
            for name, value in _load_app_hooks(app).items():
                _append_hook(hooks, name, value)
        _hooks_cache[key] = hooks
    if hook:
        if default == "_KEEP_DEFAULT_LIST":
            default = []
        return hooks.get(hook, default)
    return hooks


def _append_hook(target: dict, key: str, value) -> None:
    if isinstance(value, dict):
        target.setdefault(key, {})
        for inkey in value:
            _append_hook(target[key], inkey, value[inkey])
    else:
        target.setdefault(key, [])
        if not isinstance(value, list):
            value = [value]
        target[key].extend(value)


def get_doc_hooks() -> dict:
    """doc_events with tuple keys expanded to one entry per doctype."""
    if "doc_events_hooks" not in local.cache:
        hooks = {}
        for app in get_installed_apps():
            for dt, events in (_load_app_hooks(app).get("doc_events") or {}).items():
                doctypes = dt if isinstance(dt, tuple) else (dt,)
                for d in doctypes:
                    for event, fns in events.items():
                        hooks.setdefault(d, {}).setdefault(event, [])
                        hooks[d][event].extend(fns if isinstance(fns, list) else [fns])
        local.cache["doc_events_hooks"] = hooks
    return local.cache["doc_events_hooks"]


def clear_hooks_cache() -> None:
    _hooks_cache.clear()
    if getattr(local, "cache", None) is not None:
        local.cache.pop("doc_events_hooks", None)


def get_attr(method_string: str):
    """Import and return ``module.attr`` from a dotted path."""
    if "." not in method_string:
        return globals()[method_string]
    app_name = method_string.split(".")[0]
    if not local.flags.in_uninstall and not local.flags.in_install and app_name not in get_installed_apps():
        throw(_("App {0} is not installed").format(app_name), AppNotInstalledError)
    modulename, methodname = method_string.rsplit(".", 1)
    return getattr(importlib.import_module(modulename), methodname)


def call(fn, *args, **kwargs):
    """Call ``fn`` (callable or dotted path) with only the kwargs its signature accepts."""
    if isinstance(fn, str):
        fn = get_attr(fn)
    newargs = get_newargs(fn, kwargs)
    return fn(*args, **newargs)


@functools.lru_cache(maxsize=2048)
def _accepted_kwargs(fn) -> frozenset | None:
    """The parameter names ``fn`` takes, or None when it takes ``**kwargs`` (a signature is read once per
    function: building it was a measurable part of every request)."""
    parameters = inspect.signature(fn).parameters
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(parameters)


def get_newargs(fn, kwargs: dict) -> dict:
    """Keep the kwargs ``fn`` accepts; ``ignore_permissions`` and ``flags`` never pass through."""
    fn = getattr(fn, "__func__", fn)
    try:
        try:
            accepted = _accepted_kwargs(fn)
        except TypeError:  # an unhashable callable: read its signature each time
            accepted = _accepted_kwargs.__wrapped__(fn)
    except (TypeError, ValueError):
        return dict(kwargs)
    if accepted is None:
        newargs = dict(kwargs)
    else:
        newargs = {k: v for k, v in kwargs.items() if k in accepted}
    newargs.pop("ignore_permissions", None)
    newargs.pop("flags", None)
    return newargs


# ---------------------------------------------------------------- documents

def get_meta(doctype, cached: bool = True):
    from frappe.model.meta import get_meta as _get_meta

    return _get_meta(doctype, cached=cached)


def get_doc(*args, **kwargs):
    """``get_doc(doctype, name)``, ``get_doc(doctype)`` for Singles, or ``get_doc(dict)`` for a new doc."""
    from frappe.model.document import get_doc as _get_doc

    return _get_doc(*args, **kwargs)


def get_cached_doc(*args, **kwargs):
    """Like get_doc, but kept per request; saving the doc drops the copy."""
    key = _doc_cache_key(*args)
    if key and key in local.document_cache:
        return local.document_cache[key]
    doc = get_doc(*args, **kwargs)
    local.document_cache[_doc_cache_key(doc.doctype, doc.name)] = doc
    return doc


def _doc_cache_key(*args):
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        return f"{args[0]}::{args[1]}"
    if len(args) == 1 and isinstance(args[0], str):
        return f"{args[0]}::{args[0]}"
    return None


def clear_document_cache(doctype: str, name: str | None = None) -> None:
    cache_ = getattr(local, "document_cache", None)
    if cache_ is None:
        return
    if name is None:
        for key in [k for k in cache_ if k.startswith(f"{doctype}::")]:
            cache_.pop(key, None)
    else:
        cache_.pop(f"{doctype}::{name}", None)


def get_cached_value(doctype: str, name: str, fieldname="name", as_dict: bool = False):
    try:
        doc = get_cached_doc(doctype, name)
    except DoesNotExistError:
        clear_last_message()
        return None
    if isinstance(fieldname, str):
        if as_dict:
            throw("Cannot make dict for single fieldname")
        return doc.get(fieldname)
    values = [doc.get(f) for f in fieldname]
    if as_dict:
        return _dict(zip(fieldname, values))
    return values


def get_single(doctype: str):
    return get_doc(doctype, doctype)


def new_doc(doctype: str, *, parent_doc=None, parentfield=None, as_dict: bool = False, **kwargs):
    """A new document of ``doctype`` with defaults applied (not saved)."""
    from frappe.model.create_new import get_new_doc

    doc = get_new_doc(doctype, parent_doc, parentfield, as_dict=as_dict)
    if kwargs:
        doc.update(kwargs)
    return doc


def copy_doc(doc, ignore_no_copy: bool = True):
    from frappe.model.document import copy_doc as _copy

    return _copy(doc, ignore_no_copy)


def get_list(doctype, *args, **kwargs):
    """List documents the session user may read (permission-checked)."""
    from frappe.model.db_query import DatabaseQuery

    return DatabaseQuery(doctype).execute(*args, **kwargs)


def get_all(doctype, *args, **kwargs):
    """Like get_list, without permission checks; default page is unlimited."""
    kwargs["ignore_permissions"] = True
    if "limit_page_length" not in kwargs and "limit" not in kwargs:
        kwargs["limit_page_length"] = 0
    return get_list(doctype, *args, **kwargs)


def get_value(*args, **kwargs):
    return db.get_value(*args, **kwargs)


def get_last_doc(doctype, filters=None, order_by="creation desc", *, for_update=False):
    d = get_all(doctype, filters=filters, limit_page_length=1, order_by=order_by, pluck="name")
    if d:
        return get_doc(doctype, d[0], for_update=for_update)
    raise DoesNotExistError(doctype=doctype)


def delete_doc(doctype=None, name=None, force=0, ignore_doctypes=None, for_reload=False,
               ignore_permissions=False, flags=None, ignore_on_trash=False, ignore_missing=True,
               delete_permanently=False):
    from frappe.model.delete_doc import delete_doc as _delete

    return _delete(doctype, name, force, ignore_doctypes, for_reload, ignore_permissions, flags,
                   ignore_on_trash, ignore_missing, delete_permanently)


def delete_doc_if_exists(doctype, name, force=0):
    if db.exists(doctype, name):
        delete_doc(doctype, name, force=force)


def rename_doc(*args, **kwargs):
    raise NotImplementedError("rename_doc is not part of the MedGrid runtime")


def is_table(doctype: str) -> bool:
    return bool(get_meta(doctype).istable)


def clear_cache(user=None, doctype=None) -> None:
    """Drop cached meta, hooks and documents (this process)."""
    from frappe.cache_manager import bump_meta_generation
    from frappe.model.meta import clear_meta_cache

    clear_meta_cache(doctype)
    if doctype or not user:
        bump_meta_generation()  # the other processes drop their Metas too
    if user or not doctype:
        # roles, login info, User Permissions, defaults and Singles kept in the site cache
        from frappe.cache_manager import RUNTIME_HASHES, forget_hashes

        forget_hashes(RUNTIME_HASHES)
    if not doctype:
        clear_hooks_cache()
        if getattr(local, "all_apps", None) is not None:
            local.all_apps = None
    if getattr(local, "cache", None) is not None:
        local.cache.clear()
    if getattr(local, "document_cache", None) is not None:
        local.document_cache.clear()
    # new-document templates carry defaults from the meta (Property Setters may have changed them)
    local.new_doc_templates = {}
    local.role_permissions = {}


def make_property_setter(args, ignore_validate=False, validate_fields_for_doctype=True, is_system_generated=True):
    """Create a Property Setter from a dict (doctype, fieldname, property, value, property_type)."""
    from frappe.custom.doctype.property_setter.property_setter import make_property_setter as _make

    args = _dict(args)
    return _make(args.doctype, args.fieldname, args.property, args.value, args.property_type or "Data",
                 for_doctype=args.doctype_or_field == "DocType",
                 validate_fields_for_doctype=validate_fields_for_doctype, is_system_generated=is_system_generated)


def set_value(doctype, docname, fieldname, value=None):
    import frappe.client

    return frappe.client.set_value(doctype, docname, fieldname, value)


# ---------------------------------------------------------------- permissions

def get_roles(username: str | None = None) -> list[str]:
    from frappe.permissions import get_roles as _get_roles

    return _get_roles(username or session.user)


def has_permission(doctype=None, ptype="read", doc=None, user=None, verbose=False, throw=False,
                   *, parent_doctype=None, debug=False):
    from frappe.permissions import has_permission as _has_permission

    if not doctype and doc:
        doctype = doc.doctype
    # as in Frappe, the reasons of a refusal of the session user are shown (msgprint) whether or
    # not the caller throws
    out = _has_permission(doctype, ptype, doc=doc, user=user, print_logs=True, parent_doctype=parent_doctype)
    if throw and not out:
        document_label = f"{_(doctype)} {doc if isinstance(doc, str) else doc.name}" if doc else _(doctype)
        flags.error_message = _("No permission for {0}").format(document_label)
        raise PermissionError
    return out


def only_has_select_perm(doctype, user=None, ignore_permissions=False) -> bool:
    """Whether the user's roles give ``select`` on ``doctype`` but not ``read``."""
    if ignore_permissions:
        return False
    from frappe.permissions import get_role_permissions

    permissions = get_role_permissions(doctype, user=user or session.user)
    return bool(permissions.get("select") and not permissions.get("read"))


def has_website_permission(doc=None, ptype="read", user=None, verbose=False, doctype=None):
    return False


# ---------------------------------------------------------------- jobs, cache, logs

def enqueue(*args, **kwargs):
    from frappe.utils.background_jobs import enqueue as _enqueue

    return _enqueue(*args, **kwargs)


def enqueue_doc(*args, **kwargs):
    from frappe.utils.background_jobs import enqueue_doc as _enqueue_doc

    return _enqueue_doc(*args, **kwargs)


def get_traceback(with_context: bool = False) -> str:
    """The current exception's traceback, with file paths as a bench prints them (relative)."""
    exc_type, exc_value, exc_tb = sys.exc_info()
    if not any([exc_type, exc_value, exc_tb]):
        return ""
    return relative_traceback("".join(traceback.format_exception(exc_type, exc_value, exc_tb)))


_TRACEBACK_FILE = re.compile(r'File "([^"]+)"')
_traceback_paths: dict = {}


def relative_traceback(text: str) -> str:
    """Rewrite the absolute paths of a formatted traceback the way a bench shows them, so error
    bodies never reveal where the server keeps its code: a Frappe app's file (a package with
    ``hooks.py``) becomes ``apps/<app>/<app>/...``, a library in the virtualenv ``env/...``, the
    standard library ``python/...``; any other absolute path keeps only its file name."""
    return _TRACEBACK_FILE.sub(lambda m: f'File "{_relative_path(m.group(1))}"', text)


def _relative_path(path: str) -> str:
    if not os.path.isabs(path):
        return path
    directory, filename = os.path.split(path)
    prefix = _traceback_paths.get(directory)
    if prefix is None:
        prefix = _traceback_paths[directory] = _relative_directory(directory)
    return f"{prefix}/{filename}" if prefix else filename


def _relative_directory(directory: str) -> str:
    # the outermost package holding the file: an app when it has hooks.py (as in apps/<app>/<app>)
    top = None
    current = directory
    while os.path.isfile(os.path.join(current, "__init__.py")):
        top = current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    if top and os.path.isfile(os.path.join(top, "hooks.py")):
        app = os.path.basename(top)
        return "/".join(filter(None, ("apps", app, app, os.path.relpath(directory, top).replace(os.sep, "/")
                                      .removeprefix(".")))).rstrip("/")
    for root, label in ((sys.prefix, "env"), (sys.base_prefix, "python"), (sys.exec_prefix, "env")):
        root = os.path.abspath(root)
        if directory == root or directory.startswith(root + os.sep):
            return "/".join(filter(None, (label, os.path.relpath(directory, root).replace(os.sep, "/")
                                          .removeprefix("."))))
    return ""


def log_error(title=None, message=None, reference_doctype=None, reference_name=None, *, defer_insert=False):
    """Write an Error Log row (title + traceback or message) and return it."""
    traceback_text = get_traceback()
    if not message and not traceback_text:
        message = title
        title = None
    error = (str(message) + "\n" if message else "") + (traceback_text or "")
    title = title or "Error"
    try:
        return get_doc(dict(doctype="Error Log", error=error, method=title,
                            reference_doctype=reference_doctype, reference_name=reference_name)
                       ).insert(ignore_permissions=True)
    except Exception:
        # Logging must never hide the original failure.
        print(f"log_error failed for {title}: {error}", file=sys.stderr)
        return None


def logger(module=None, with_more_info=False, allow_site=True, filter=None, max_size=100_000, file_count=20):
    import logging

    return logging.getLogger(module or "frappe")


def sendmail(*args, **kwargs):
    """Outgoing email is not part of the runtime; the call is logged and dropped."""
    logger("frappe.email").info("sendmail dropped: %s", kwargs.get("subject"))


def get_system_settings(key: str):
    return db.get_single_value("System Settings", key)


# ---------------------------------------------------------------- small helpers

def scrub(txt: str) -> str:
    """'Sales Order' → 'sales_order' (module and doctype folder names)."""
    return (txt or "").replace(" ", "_").replace("-", "_").lower()


def unscrub(txt: str) -> str:
    return (txt or "").replace("_", " ").replace("-", " ").title()


def bold(text) -> str:
    return f"<strong>{text}</strong>"


def generate_hash(txt: str | None = None, length: int = 56) -> str:
    """A random hex string (``txt`` is ignored, as in Frappe v15)."""
    if not length:
        length = 56
    return secrets.token_hex((length + 1) // 2)[:length]


def as_json(obj, indent: int = 1, separators=None, ensure_ascii=True) -> str:
    from frappe.utils.response import json_handler

    if separators is None:
        separators = (",", ": ")
    return json.dumps(obj, indent=indent, sort_keys=True, default=json_handler, separators=separators,
                      ensure_ascii=ensure_ascii)


def parse_json(val):
    from frappe.utils import parse_json as _parse_json

    return _parse_json(val)


def safe_decode(param, encoding="utf-8", fallback_map=None):
    if isinstance(param, bytes):
        return param.decode(encoding, errors="replace")
    return param


def get_request_header(key: str, default=None):
    if not getattr(local, "request", None):
        return default
    return local.request.headers.get(key, default)


def mock(type, size=1, locale="en"):
    raise NotImplementedError


def safe_eval(code, eval_globals=None, eval_locals=None):
    return eval(code, {"__builtins__": {}, "_dict": _dict, **(eval_globals or {})}, eval_locals)


def get_installed_app_version(app: str) -> str:
    return getattr(importlib.import_module(app), "__version__", "0.0.0")


def sha256_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def is_setup_complete() -> bool:
    return True


def respond_as_web_page(*args, **kwargs):
    from frappe.website.serve import respond_as_web_page as _respond

    return _respond(*args, **kwargs)


def redirect(url: str):
    """Raise a redirect to ``url`` (302), as Frappe's helper does."""
    local.flags.redirect_location = url
    raise Redirect(http_status_code=302)


def throw_permission_error():
    throw(_("Not permitted"), PermissionError)


def ping():
    return "pong"


whitelist(allow_guest=True)(ping)

# submodules that Frappe exposes as attributes of ``frappe``
from frappe import utils  # noqa: E402,F401

# ``frappe.cache`` works both as an object and called (``frappe.cache().get_value``), as in v15:
# Redis when ``redis_cache`` is configured, else in-process memory.
from frappe.utils.redis_wrapper import cache_proxy as cache  # noqa: E402
