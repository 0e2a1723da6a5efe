"""The WSGI application (``frappe.app:application``), following Frappe v15's request pipeline.

1. set-up: site from the module override, ``X-Frappe-Site-Name`` or Host; DB connection; maintenance
   mode; ``form_dict``; ``HTTPRequest`` (session, CSRF, cookies); ``before_request`` hooks (the
   site-wide rate limiter among them);
2. ``validate_auth`` (Authorization header, ``auth_hooks``);
3. dispatch: OPTIONS, legacy ``cmd``, ``/api/``, backups, private files, website pages;
4. commit for POST/PUT/DELETE/PATCH (or ``flags.commit``), otherwise roll back;
5. errors: Werkzeug HTTP exceptions go out as they are, everything else through ``handle_exception``;
6. ``after_request`` hooks and response headers (cookies, X-RateLimit-*, X-Frappe-Request-Id, CORS);
7. after the response is sent: rate-limit accounting, ``after_response`` callbacks, ``frappe.destroy``.

``/assets/<app>/...`` (each app's ``public/`` folder) and ``/files/...`` (the site's public files)
are served in front of all that, so static requests carry no cookies.
"""

from __future__ import annotations

import functools
import json
import logging
import mimetypes
import os
import uuid

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import ClosingIterator, wrap_file

import frappe
import frappe.api
import frappe.handler
import frappe.rate_limiter
import frappe.utils.response
from frappe import _
from frappe.auth import SAFE_HTTP_METHODS, UNSAFE_HTTP_METHODS, HTTPRequest, validate_auth  # noqa: F401

# set by the dev server (``serve --site``): every request goes to this site
_site: str | None = None
# where sites live; None means frappe.get_sites_path() (env MEDGRID_SITES_PATH, else ./sites)
_sites_path: str | None = None

DEFAULT_MAX_CONTENT_LENGTH = 25 * 1024 * 1024
logger = logging.getLogger("frappe.app")


# ---------------------------------------------------------------- after the response

def _after_response() -> None:
    """Runs once the body has been sent: budget accounting, deferred callbacks, teardown."""
    try:
        frappe.rate_limiter.update()
    except Exception:
        logger.exception("rate limiter update failed")
    request = getattr(frappe.local, "request", None)
    callbacks = getattr(request, "after_response", None) if request is not None else None
    if callbacks is not None:
        try:
            callbacks.run()
        except Exception:
            logger.exception("after_response callback failed")
    frappe.destroy()


def after_response_wrapper(app):
    """Wrap a WSGI app so that ``_after_response`` runs when the server closes the body iterator."""

    @functools.wraps(app)
    def application(environ, start_response):
        return ClosingIterator(app(environ, start_response), (_after_response,))

    return application


class CallbackManager:
    """Callables to run later, in the order they were added (``request.after_response``)."""

    def __init__(self):
        self._functions = []

    def add(self, func) -> None:
        self._functions.append(func)

    def run(self) -> None:
        while self._functions:
            self._functions.pop(0)()

    def reset(self) -> None:
        self._functions.clear()


# ---------------------------------------------------------------- the application

@Request.application
def _frappe_application(request: Request):
    response = None
    rollback = True
    try:
        init_request(request)
        validate_auth()

        if request.method == "OPTIONS":
            response = Response()
        elif frappe.form_dict.cmd:
            # legacy RPC: checked before the path, even for /api/... URLs
            returned = frappe.handler.handle()
            response = returned if isinstance(returned, Response) else frappe.utils.response.build_response("json")
        elif request.path.startswith("/api/"):
            response = frappe.api.handle(request)
        elif request.path.startswith("/backups"):
            response = frappe.utils.response.download_backup(request.path)
        elif request.path.startswith("/private/files/"):
            response = frappe.utils.response.download_private_file(request.path)
        elif request.method in ("GET", "HEAD", "POST"):
            from frappe.website.serve import get_response

            response = get_response()
        else:
            raise NotFound

    except HTTPException as e:
        # Werkzeug's own pages (404, 405, 403 ...) go out untouched, without cookies
        response = None
        return e

    except json.JSONDecodeError as e:
        # JSON that does not decode came from the caller (a body or an argument): Frappe lets it out
        # as a 500; here it is a 400 with the decoder's type and message
        from frappe.utils.caller_input import bad_request

        try:
            raise bad_request(e) from e
        except Exception as stand_in:
            response = handle_exception(stand_in)

    except Exception as e:
        response = handle_exception(e)

    else:
        rollback = sync_database(rollback)

    finally:
        if rollback and request.method in UNSAFE_HTTP_METHODS and getattr(frappe.local, "db", None):
            try:
                frappe.db.rollback()
            except Exception:
                logger.exception("rollback failed")
        try:
            run_after_request_hooks(request, response)
        except Exception:
            # nothing sensible can be sent any more; the response stands
            logger.exception("after_request hook failed")
        process_response(response)

    return response


def run_after_request_hooks(request, response) -> None:
    if not getattr(frappe.local, "initialised", False):
        return
    for task in frappe.get_hooks("after_request") or []:
        frappe.call(task, response=response, request=request)


def warm_up_for_workers() -> list[dict]:
    """Under ``gunicorn --preload``, in the master before it forks: build what every request needs — the
    installed apps' modules, each site's Metas (:mod:`frappe.utils.worker_preload`) and the API's URL
    map — so that every worker starts warm, those forked later by ``--max-requests`` too. A worker that
    built them itself spent ~150 ms on its first request while the others queued behind it. The master
    keeps no database connection (the pools are closed) and follows Meta changes before each fork
    (:func:`refresh_before_fork`)."""
    from frappe.api import API_URL_MAP
    from frappe.utils import worker_preload

    API_URL_MAP.build()
    return worker_preload.preload(_sites_root())


def refresh_before_fork() -> None:
    """Rebuild the master's Metas of a site whose Custom Fields / Property Setters / DocPerms changed."""
    from frappe.utils import worker_preload

    worker_preload.refresh(_sites_root())


def resolve_site(request: Request) -> str:
    """The site a request is for: module override, ``X-Frappe-Site-Name``, then the Host name.

    With env ``MEDGRID_DEFAULT_SITE`` set, a Host that names no site falls back to that site.
    """
    site = _site or request.headers.get("X-Frappe-Site-Name") or get_site_name(request.host)
    if not _site_exists(site):
        fallback = os.environ.get("MEDGRID_DEFAULT_SITE")
        if fallback and _site_exists(fallback):
            return fallback
    return site


def get_site_name(host: str | None) -> str:
    """'medgrid.localhost:8000' → 'medgrid.localhost'."""
    return (host or "").split(":")[0]


def _sites_root() -> str:
    return os.path.abspath(_sites_path or frappe.get_sites_path())


def _site_exists(site: str | None) -> bool:
    if not site or "/" in site or site.startswith("."):
        return False
    return os.path.isfile(os.path.join(_sites_root(), site, "site_config.json"))


def get_default_site(sites_path: str | None = None) -> str | None:
    """The dev server's site: env ``MEDGRID_DEFAULT_SITE``, ``default_site`` in
    common_site_config.json, else ``sites/currentsite.txt``."""
    if os.environ.get("MEDGRID_DEFAULT_SITE"):
        return os.environ["MEDGRID_DEFAULT_SITE"]
    root = os.path.abspath(sites_path or _sites_path or frappe.get_sites_path())
    common = os.path.join(root, "common_site_config.json")
    if os.path.isfile(common):
        try:
            with open(common, encoding="utf-8") as f:
                value = json.load(f).get("default_site")
            if value:
                return value
        except (OSError, ValueError):
            pass
    current = os.path.join(root, "currentsite.txt")
    if os.path.isfile(current):
        with open(current, encoding="utf-8") as f:
            value = f.read().strip()
        return value or None
    return None


def init_request(request: Request) -> None:
    """Site, DB, form_dict, session and ``before_request`` hooks for one request."""
    # a previous request in this context that was never closed must not leak its connection
    if getattr(frappe.local, "request", None) is not None and getattr(frappe.local, "db", None):
        frappe.destroy()

    site = resolve_site(request)
    if not _site_exists(site):
        raise NotFound(f"{site} does not exist")

    frappe.local.request = request
    frappe.init(site, sites_path=_sites_root(), force=True)
    # init() starts from a clean slate, request included
    frappe.local.request = request
    request.after_response = CallbackManager()
    frappe.local.is_ajax = frappe.get_request_header("X-Requested-With") == "XMLHttpRequest"

    if not (frappe.local.conf and (frappe.local.conf.get("db_name") or frappe.local.conf.get("db_type"))):
        raise NotFound(f"{site} does not exist")

    if frappe.local.conf.get("maintenance_mode"):
        frappe.connect()
        if frappe.local.conf.get("allow_reads_during_maintenance"):
            setup_read_only_mode()
        else:
            raise frappe.SessionStopped("Session Stopped")
    else:
        frappe.connect(set_admin_as_user=False)

    request.max_content_length = _cint(frappe.local.conf.get("max_file_size")) or DEFAULT_MAX_CONTENT_LENGTH
    # bodies over the site's limit are refused before they are read (413; not in Frappe)
    from frappe.utils.caller_input import check_body_size

    check_body_size(request)

    make_form_dict(request)

    if request.method != "OPTIONS":
        frappe.local.http_request = HTTPRequest()

    run_before_request_hooks()


def run_before_request_hooks() -> None:
    """The request trace id, the site-wide rate limiter, then the apps' ``before_request`` hooks."""
    if frappe.local.conf.get("monitor"):
        frappe.local.request_trace_id = str(uuid.uuid4())
    hooks = list(frappe.get_hooks("before_request") or [])
    if "frappe.rate_limiter.apply" not in hooks:
        frappe.rate_limiter.apply()
    for task in hooks:
        if task.startswith(("frappe.recorder.", "frappe.monitor.")):
            # Frappe's own profiling hooks have no counterpart in the runtime
            continue
        frappe.call(task)


def setup_read_only_mode() -> None:
    """Maintenance with reads allowed: writes fail with InReadOnlyMode (503)."""
    frappe.flags.read_only = True
    begin = getattr(frappe.db, "begin", None)
    if begin is not None:
        try:
            begin(read_only=True)
        except TypeError:
            pass


def _cint(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def make_form_dict(request: Request) -> None:
    """Request arguments → ``frappe.local.form_dict``.

    A non-empty JSON body is used alone (the query string is ignored); otherwise query arguments
    updated by form fields, first value of repeated keys. A JSON array goes to ``data``; any other
    JSON value is refused. The jQuery cache-buster ``_`` is dropped.
    """
    from frappe.utils import caller_input

    # read (and cache) the raw body first so that form parsing cannot consume it
    request_data = request.get_data(as_text=True)
    if request_data and request.is_json:
        # malformed or over-deep JSON is the caller's error: 400 (Frappe: 500)
        args = caller_input.loads(request_data)
    else:
        args = {}
        args.update(request.args.items() if request.args else {})
        args.update(request.form.items() if request.form else {})

    if isinstance(args, dict):
        frappe.local.form_dict = frappe._dict(args)
        frappe.local.form_dict.pop("_", None)
    elif isinstance(args, list):
        frappe.local.form_dict = frappe._dict()
        frappe.local.form_dict["data"] = args
    else:
        frappe.throw(_("Invalid request arguments"))


def _fallback_does_not_exist_override(fn):
    """Turn a DoesNotExistError on an unreadable doctype into the PermissionError (no leak)."""

    @functools.wraps(fn)
    def wrapper(e, *args, **kwargs):
        if isinstance(e, frappe.DoesNotExistError) and (doctype := getattr(e, "doctype", None)):
            saved = frappe.local.message_log
            frappe.local.message_log = []
            try:
                frappe.has_permission(doctype, "read", throw=True)
            except frappe.PermissionError as permission_error:
                frappe.flags.disable_traceback = True
                return fn(permission_error, *args, **kwargs)
            except Exception:
                pass
            frappe.local.message_log = saved
        return fn(e, *args, **kwargs)

    return wrapper


def _does_not_exist_override(fn):
    try:
        from frappe.permissions import handle_does_not_exist_error
    except Exception:
        return _fallback_does_not_exist_override(fn)
    return handle_does_not_exist_error(fn)


def _handle_exception(e: Exception) -> Response:
    response = None
    http_status_code = getattr(e, "http_status_code", None) or 500
    accept = frappe.get_request_header("Accept") or ""
    request = getattr(frappe.local, "request", None)
    path = request.path if request is not None else ""
    respond_as_json = bool(
        (accept and (getattr(frappe.local, "is_ajax", False) or "application/json" in accept))
        or (path.startswith("/api/") and not accept.startswith("text"))
    )

    session = getattr(frappe.local, "session", None)
    if session is not None and not session.get("user"):
        # a failed session set-up leaves no user; the rest of the code expects one
        session["user"] = "Guest"

    if respond_as_json:
        response = frappe.utils.response.report_error(http_status_code)
    elif isinstance(e, frappe.SessionStopped):
        response = frappe.utils.response.handle_session_stopped()
    else:
        response = _html_error_page(e, http_status_code)

    retry_after = getattr(e, "retry_after", None)
    if retry_after and response is not None:
        response.headers["Retry-After"] = str(retry_after)

    if e.__class__ == frappe.AuthenticationError:
        login_manager = getattr(frappe.local, "login_manager", None)
        if login_manager is not None:
            login_manager.clear_cookies()

    if http_status_code >= 500:
        logger.error("Request Error", exc_info=True)

    return response


handle_exception = _does_not_exist_override(_handle_exception)


def _html_error_page(e: Exception, http_status_code: int) -> Response:
    """The message page a browser gets for an error (429 is plain text)."""
    from frappe.website.serve import get_response, respond_as_web_page

    if http_status_code == 500 and _is_deadlock_or_timeout(e):
        http_status_code = 508

    if http_status_code == 401:
        respond_as_web_page(
            _("Session Expired"),
            _("Your session has expired, please login again to continue."),
            http_status_code=http_status_code,
            indicator_color="red",
        )
    elif http_status_code == 403:
        respond_as_web_page(
            _("Not Permitted"),
            _("You do not have enough permissions to complete the action"),
            http_status_code=http_status_code,
            indicator_color="red",
        )
    elif http_status_code == 404:
        respond_as_web_page(
            _("Not Found"),
            _("The resource you are looking for is not available"),
            http_status_code=http_status_code,
            indicator_color="red",
        )
    elif http_status_code == 429:
        return frappe.rate_limiter.respond()
    else:
        from html import escape

        from frappe.utils.response import is_traceback_allowed

        traceback_html = "<pre>" + escape(frappe.get_traceback()) + "</pre>"
        if not is_traceback_allowed():
            traceback_html = ""
        respond_as_web_page(
            _("Server Error"), traceback_html, http_status_code=http_status_code, indicator_color="red", width=640
        )
    return get_response("message", http_status_code=http_status_code)


def _is_deadlock_or_timeout(e: Exception) -> bool:
    db = getattr(frappe.local, "db", None)
    if not db:
        return False
    for check in ("is_deadlocked", "is_timedout"):
        fn = getattr(db, check, None)
        try:
            if fn and fn(e):
                return True
        except Exception:
            continue
    return False


def sync_database(rollback: bool) -> bool:
    """Commit writes of state-changing requests; discard everything else. Then refresh the session."""
    db = getattr(frappe.local, "db", None)
    if db:
        if frappe.local.flags.get("commit") or frappe.local.request.method in UNSAFE_HTTP_METHODS:
            frappe.db.commit()
        else:
            frappe.db.rollback()
        rollback = False

    session = getattr(frappe.local, "session_obj", None)
    if session is not None:
        try:
            if session.update():
                rollback = False
        except Exception:
            logger.exception("session refresh failed")
    return rollback


def process_response(response) -> None:
    """Cookies, X-RateLimit-*, X-Frappe-Request-Id and CORS headers."""
    if not response:
        return
    cookie_manager = getattr(frappe.local, "cookie_manager", None)
    if cookie_manager is not None:
        cookie_manager.flush_cookies(response=response)

    limiter = getattr(frappe.local, "rate_limiter", None)
    if limiter is not None:
        for key, value in limiter.headers().items():
            response.headers.add(key, str(value))

    trace_id = getattr(frappe.local, "request_trace_id", None)
    if trace_id:
        response.headers.add("X-Frappe-Request-Id", trace_id)

    if getattr(frappe.local, "conf", None) is not None:
        set_cors_headers(response)


def set_cors_headers(response) -> None:
    """Echo an allowed ``Origin`` (``allow_cors``: '*', one origin, or a list)."""
    allowed = frappe.conf.get("allow_cors")
    request = getattr(frappe.local, "request", None)
    origin = request.headers.get("Origin") if request is not None else None
    if not (allowed and request is not None and origin):
        return
    if allowed != "*":
        if not isinstance(allowed, list):
            allowed = [allowed]
        if origin not in allowed:
            return

    headers = {
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Origin": origin,
        "Vary": "Origin",
    }
    if request.method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = request.headers.get("Access-Control-Request-Method")
        if allowed_headers := request.headers.get("Access-Control-Request-Headers"):
            headers["Access-Control-Allow-Headers"] = allowed_headers
        # browsers may cache the preflight for a day, except while developing
        if not frappe.conf.get("developer_mode"):
            headers["Access-Control-Max-Age"] = "86400"
    for key, value in headers.items():
        if value is not None:
            response.headers.add(key, value)


# ---------------------------------------------------------------- static files

def _app_public_dir(app: str) -> str | None:
    """``<app package>/public`` for an importable Frappe app (one with ``hooks.py``)."""
    if not app or not app.replace("_", "").isalnum():
        return None
    try:
        import importlib.util

        spec = importlib.util.find_spec(app)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    package_dir = list(spec.submodule_search_locations)[0]
    public = os.path.join(package_dir, "public")
    if os.path.isfile(os.path.join(package_dir, "hooks.py")) and os.path.isdir(public):
        return public
    return None


def _file_response(environ, path: str) -> Response:
    f = open(path, "rb")
    response = Response(wrap_file(environ, f), direct_passthrough=True)
    response.mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response.headers["Content-Length"] = str(os.path.getsize(path))
    response.headers["Cache-Control"] = "max-age=3600"
    return response


def static_files_wrapper(app):
    """Serve ``/assets/<app>/...`` from the app's ``public/`` and ``/files/...`` from the site."""

    @functools.wraps(app)
    def application(environ, start_response):
        path = environ.get("PATH_INFO") or ""
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("GET", "HEAD") and (path.startswith("/assets/") or path.startswith("/files/")):
            full = _static_path(environ, path)
            if full and os.path.isfile(full):
                return _file_response(environ, full)(environ, start_response)
            if path.startswith("/assets/"):
                return NotFound()(environ, start_response)
        return app(environ, start_response)

    return application


def _static_path(environ, path: str) -> str | None:
    if path.startswith("/assets/"):
        parts = path[len("/assets/"):].split("/", 1)
        if len(parts) != 2:
            return None
        public = _app_public_dir(parts[0])
        return safe_join(public, parts[1]) if public else None
    request = Request(environ)
    site = resolve_site(request)
    if not _site_exists(site):
        return None
    return safe_join(os.path.join(_sites_root(), site, "public", "files"), path[len("/files/"):])


# gzip and long asset caching outermost, as nginx does on a bench (frappe/compression.py)
from frappe.compression import compression_wrapper  # noqa: E402

application = compression_wrapper(after_response_wrapper(static_files_wrapper(_frappe_application)))


# ---------------------------------------------------------------- dev server

def serve(port=8000, profile=False, no_reload=False, no_threading=False, site=None, sites_path=None, proxy=False, host="127.0.0.1"):
    """Run the Werkzeug development server (reloader and debugger as ``bench serve``)."""
    global application, _site, _sites_path
    _site = site
    _sites_path = sites_path
    os.environ["DEV_SERVER"] = "1"

    from werkzeug.serving import run_simple

    app = application
    if proxy or os.environ.get("USE_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
    if profile or os.environ.get("USE_PROFILER"):
        from werkzeug.middleware.profiler import ProfilerMiddleware

        app = ProfilerMiddleware(app, sort_by=("cumtime", "calls"))

    in_ci = os.environ.get("CI")
    run_simple(
        host,
        int(port),
        app,
        use_reloader=False if in_ci else not no_reload,
        use_debugger=not in_ci,
        use_evalex=not in_ci,
        threaded=not no_threading,
        request_handler=_redacting_request_handler(),
    )


def _redacting_request_handler():
    """Werkzeug's request handler, logging each request line without secrets in its query
    (webhook tokens, OAuth codes, passwords: see frappe.utils.access_log)."""
    from werkzeug.serving import WSGIRequestHandler

    from frappe.utils.access_log import redact_request_line, redact_url

    class RedactingRequestHandler(WSGIRequestHandler):
        def log_request(self, code="-", size="-"):
            path, line = getattr(self, "path", None), getattr(self, "requestline", None)
            if path is not None:
                self.path = redact_url(path)
            if line is not None:
                self.requestline = redact_request_line(line)
            try:
                super().log_request(code, size)
            finally:
                if path is not None:
                    self.path = path
                if line is not None:
                    self.requestline = line

        def log_error(self, format, *args):
            # errors about malformed requests quote the request line
            super().log_error(format, *(redact_request_line(a) if isinstance(a, str) else a for a in args))

    return RedactingRequestHandler
