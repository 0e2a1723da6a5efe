"""Turning ``frappe.local.response`` into a Werkzeug response.

JSON is written the way Frappe v15 writes it: compact separators, ASCII-only output, dates through
``str()``, decimals as floats and documents as ``as_dict(no_nulls=True)``. Errors get the v1 keys
(``exception``, ``exc_type``, ``_exc_source``, ``exc``, ``_server_messages``, ``_error_message``) or
the v2 ``errors`` list, depending on the API version of the request path.
"""

from __future__ import annotations

import datetime
import decimal
import json
import mimetypes
import os
import sys
import uuid
from collections.abc import Sequence
from urllib.parse import quote

from werkzeug.exceptions import Forbidden, NotFound
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

import frappe


# ---------------------------------------------------------------- errors

def report_error(status_code: int) -> Response:
    """Build the JSON error response for the exception being handled right now.

    Must be called from inside an ``except`` block: the traceback comes from ``sys.exc_info()``.
    """
    from frappe.api import ApiVersion, get_api_version

    allow_traceback = is_traceback_allowed() and (status_code != 404 or frappe.conf.get("logging"))
    traceback_text = _current_traceback()
    exc_type, exc_value, _tb = sys.exc_info()
    type_name = exc_type.__name__ if exc_type else "Exception"

    if get_api_version() == ApiVersion.V2:
        error = {"type": type_name}
        if allow_traceback:
            error["exception"] = traceback_text
        _attach_matching_message(error, exc_value, frappe.local.message_log)
        frappe.local.response["errors"] = [error]
    else:
        if allow_traceback:
            frappe.errprint(traceback_text)
            lines = traceback_text.splitlines()
            frappe.local.response["exception"] = lines[-1] if lines else type_name
        frappe.local.response["exc_type"] = type_name

    response = build_response("json")
    response.status_code = status_code
    return response


def _current_traceback() -> str:
    """The formatted traceback of the exception being handled (empty outside ``except``)."""
    getter = getattr(frappe, "get_traceback", None)
    if getter:
        return getter()
    import traceback

    return "".join(traceback.format_exception(*sys.exc_info()))


def is_traceback_allowed() -> bool:
    """Tracebacks go to clients when System Settings allow them and the request did not opt out.

    An unset ``allow_error_traceback`` counts as its documented default (1).
    """
    if not getattr(frappe.local, "db", None):
        return False
    log = getattr(frappe.local, "message_log", None)
    queued = len(log) if log is not None else 0
    try:
        setting = frappe.get_system_settings("allow_error_traceback")
    except Exception:
        if log is not None:
            del log[queued:]
        setting = None
    if setting is None:
        setting = 1
    if not _cint(setting):
        return False
    flags = getattr(frappe.local, "flags", None) or {}
    return not flags.get("disable_traceback") or bool(getattr(frappe.local, "dev_server", False))


def _cint(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _attach_matching_message(error: dict, exception, message_log: list) -> None:
    """Move the message that ``frappe.throw`` queued for ``exception`` into the v2 error entry."""
    exc_id = getattr(exception, "__frappe_exc_id", None)
    exc_text = str(exception) if exception is not None else None
    for message in list(message_log or []):
        if not message.get("raise_exception"):
            continue
        same = (exc_id and message.get("__frappe_exc_id") == exc_id) or (
            not exc_id and exc_text is not None and message.get("message") == exc_text
        )
        if same:
            error.update(message)
            message_log.remove(message)
            error.pop("raise_exception", None)
            error.pop("__frappe_exc_id", None)
            return


def guess_exception_source(traceback_text: str) -> str | None:
    """Name the installed app (other than frappe) whose code most likely raised the error.

    Each traceback frame that lies inside an installed app's package counts for that app, weighted by
    its install position, so app code outweighs the framework frames around it.
    """
    if not traceback_text:
        return None
    try:
        apps = frappe.get_installed_apps()
    except Exception:
        return None
    # tracebacks name an app's files apps/<app>/<app>/... (see frappe.relative_traceback)
    roots = [(app, position, f"apps/{app}/{app}/") for position, app in enumerate(apps)]
    scores: dict[str, int] = {}
    for line in reversed(traceback_text.splitlines()):
        stripped = line.strip()
        if not stripped.startswith('File "'):
            continue
        path = stripped[6:].split('"', 1)[0]
        for app, position, root in roots:
            if path.startswith(root):
                scores[app] = scores.get(app, 0) + position
                break
    if not scores:
        return None
    best = max(scores.items(), key=lambda item: item[1])
    if best[0] == "frappe" or best[1] == 0:
        return None
    return f"{best[0]} (app)"


# ---------------------------------------------------------------- success

def build_response(response_type: str | None = None) -> Response:
    """Serialise ``frappe.local.response`` as ``response_type`` (or the ``type`` it asks for)."""
    if "docs" in frappe.local.response and not frappe.local.response.docs:
        del frappe.local.response["docs"]

    renderers = {
        "csv": as_csv,
        "txt": as_txt,
        "download": as_raw,
        "json": as_json,
        "pdf": as_pdf,
        "page": as_page,
        "redirect": redirect,
        "binary": as_binary,
    }
    return renderers[frappe.response.get("type") or response_type]()


def as_json() -> Response:
    """The whole response dict as compact ASCII JSON."""
    make_logs()
    response = Response()
    if frappe.local.response.http_status_code:
        response.status_code = frappe.local.response["http_status_code"]
        del frappe.local.response["http_status_code"]
    response.mimetype = "application/json"
    response.data = dumps_with_raw_json(frappe.local.response)
    return response


class RawJSON(Sequence):
    """A value whose JSON text is already written, e.g. built by the database in one pass: ``as_json``
    puts the text into the response as it is instead of building and re-encoding Python objects for it.

    The runtime's addition, by protocol: ``as_json`` splices any object whose type has ``__raw_json__()``
    (returning its JSON text), so an app defines its own such type and needs no runtime-only name; real
    Frappe's serialiser meets the same object as an iterable and writes its items. In-process callers see
    the parsed value: a read-only sequence parsed on first use.
    """

    __slots__ = ("text", "_value")

    def __init__(self, text: str):
        self.text = text
        self._value = None

    def value(self):
        if self._value is None:
            self._value = json.loads(self.text)
        return self._value

    def __getitem__(self, index):
        return self.value()[index]

    def __len__(self):
        return len(self.value())

    def __eq__(self, other):
        return self.value() == (other.value() if isinstance(other, RawJSON) else other)

    __hash__ = None

    def __repr__(self):
        return f"RawJSON({self.text[:60]!r}{'…' if len(self.text) > 60 else ''})"

    def __raw_json__(self) -> str:
        return self.text


def dumps_with_raw_json(value) -> str:
    """``json.dumps`` as Frappe writes responses, with each value that has ``__raw_json__`` (:class:`RawJSON`)
    spliced in as its text."""
    raw: dict[str, str] = {}

    def default(obj):
        raw_json = getattr(type(obj), "__raw_json__", None)
        if raw_json is not None:
            marker = f"\x00raw-json-{uuid.uuid4().hex}\x00"
            raw[marker] = raw_json(obj)
            return marker
        return json_handler(obj)

    text = json.dumps(value, default=default, separators=(",", ":"))
    for marker, fragment in raw.items():
        # the marker went through json.dumps as a string: quoted, its NULs escaped
        text = text.replace(json.dumps(marker), fragment, 1)
    return text


def make_logs() -> None:
    """Add the message, debug and error keys of the current API version to the response."""
    from frappe.api import ApiVersion, get_api_version

    if get_api_version() == ApiVersion.V2:
        _make_logs_v2()
    else:
        _make_logs_v1()


def _make_logs_v1() -> None:
    response = frappe.local.response
    error_log = getattr(frappe.local, "error_log", None) or []
    allowed = None

    if error_log:
        allowed = is_traceback_allowed()
        if allowed:
            first = error_log[0]
            source = guess_exception_source(first.get("exc") if isinstance(first, dict) else str(first))
            if source:
                response["_exc_source"] = source
            response["exc"] = json.dumps([_as_text(d.get("exc") if isinstance(d, dict) else d) for d in error_log])

    message_log = getattr(frappe.local, "message_log", None) or []
    if message_log:
        response["_server_messages"] = json.dumps([json.dumps(m, default=json_handler) for m in message_log])

    debug_log = getattr(frappe.local, "debug_log", None) or []
    if debug_log:
        if allowed is None:
            allowed = is_traceback_allowed()
        if allowed:
            response["_debug_messages"] = json.dumps(debug_log, default=json_handler)

    if frappe.local.flags.get("error_message"):
        response["_error_message"] = frappe.local.flags.error_message


def _make_logs_v2() -> None:
    response = frappe.local.response
    message_log = getattr(frappe.local, "message_log", None) or []
    if message_log:
        response["messages"] = message_log
    debug_log = getattr(frappe.local, "debug_log", None) or []
    if debug_log:
        response["debug"] = [{"message": m} for m in debug_log]


def _as_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def json_handler(obj):
    """``default=`` hook for json.dumps: the types Frappe knows how to send."""
    from collections.abc import Iterable
    from re import Match

    if isinstance(obj, (datetime.date, datetime.datetime, datetime.time)):
        return str(obj)
    if isinstance(obj, datetime.timedelta):
        return _format_timedelta(obj)
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, LocalProxy):
        return str(obj)
    as_dict = getattr(obj, "as_dict", None)
    if as_dict is not None and _is_document(obj):
        return as_dict(no_nulls=True)
    if isinstance(obj, (bytes, bytearray)):
        return obj.decode("utf-8", errors="replace")
    if isinstance(obj, Iterable):
        return list(obj)
    if isinstance(obj, Match):
        return obj.string
    if isinstance(obj, type) or isinstance(obj, Exception):
        return repr(obj)
    if callable(obj):
        return repr(obj)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    raise TypeError(f"Object of type {type(obj)} with value of {obj!r} is not JSON serializable")


def _is_document(obj) -> bool:
    try:
        from frappe.model.base_document import BaseDocument
    except Exception:
        return hasattr(obj, "doctype") and hasattr(obj, "meta")
    return isinstance(obj, BaseDocument)


def _format_timedelta(value: datetime.timedelta) -> str:
    """'H:MM:SS[.ffffff]' like Frappe's format_timedelta (hours may exceed 24)."""
    total = value.total_seconds()
    hours, remainder = divmod(int(total), 3600)
    minutes, seconds = divmod(remainder, 60)
    text = f"{hours}:{minutes:02d}:{seconds:02d}"
    if value.microseconds:
        text += f".{value.microseconds:06d}"
    return text


# ---------------------------------------------------------------- other response types

def _attachment_name() -> str:
    return frappe.response["filename"].encode("utf-8").decode("unicode-escape", "ignore")


def as_csv() -> Response:
    response = Response()
    response.mimetype = "text/csv"
    filename = f"{frappe.response['doctype']}.csv".encode("utf-8").decode("unicode-escape", "ignore")
    response.headers.add("Content-Disposition", "attachment", filename=filename)
    response.data = frappe.response["result"]
    return response


def as_txt() -> Response:
    response = Response()
    response.mimetype = "text"
    filename = f"{frappe.response['doctype']}.txt".encode("utf-8").decode("unicode-escape", "ignore")
    response.headers.add("Content-Disposition", "attachment", filename=filename)
    response.data = frappe.response["result"]
    return response


def as_raw() -> Response:
    response = Response()
    response.mimetype = (
        frappe.response.get("content_type")
        or mimetypes.guess_type(frappe.response["filename"])[0]
        or "application/unknown"
    )
    response.headers.add(
        "Content-Disposition", frappe.response.get("display_content_as", "attachment"), filename=_attachment_name()
    )
    response.data = frappe.response["filecontent"]
    return response


def as_pdf() -> Response:
    response = Response()
    response.mimetype = "application/pdf"
    response.headers.add("Content-Disposition", None, filename=_attachment_name())
    response.data = frappe.response["filecontent"]
    return response


def as_binary() -> Response:
    response = Response()
    response.mimetype = "application/octet-stream"
    response.headers.add("Content-Disposition", None, filename=_attachment_name())
    response.data = frappe.response["filecontent"]
    return response


def as_page() -> Response:
    """Render the website route named in ``frappe.response.route``."""
    from frappe.website.serve import get_response

    return get_response(frappe.response["route"], http_status_code=frappe.response.get("http_status_code"))


def redirect() -> Response:
    import werkzeug.utils

    return werkzeug.utils.redirect(frappe.response.location)


# ---------------------------------------------------------------- files

def download_backup(path: str) -> Response:
    """Backups are for System Managers only."""
    try:
        frappe.only_for(("System Manager", "Administrator"))
    except frappe.PermissionError:
        raise Forbidden(
            frappe._("You need to be logged in and have System Manager Role to be able to access backups.")
        )
    return send_private_file(path)


def download_private_file(path: str) -> Response:
    """Send a private file to a logged-in user who may read the File record pointing at it."""
    if frappe.session.user == "Guest":
        raise Forbidden(frappe._("You don't have permission to access this file"))

    file_name = None
    try:
        file_name = frappe.db.get_value("File", {"file_url": path}, "name")
    except Exception:
        file_name = None
    if not file_name:
        raise Forbidden(frappe._("You don't have permission to access this file"))
    try:
        allowed = frappe.get_doc("File", file_name).has_permission("read")
    except Exception:
        allowed = False
    if not allowed:
        raise Forbidden(frappe._("You don't have permission to access this file"))
    return send_private_file(path.split("/private", 1)[1])


def send_private_file(path: str) -> Response:
    path = os.path.join(frappe.local.conf.get("private_path", "private"), path.strip("/"))
    filename = os.path.basename(path)

    if frappe.local.request.headers.get("X-Use-X-Accel-Redirect"):
        response = Response()
        response.headers["X-Accel-Redirect"] = quote(("/protected/" + path).encode("utf-8"))
    else:
        filepath = frappe.get_site_path(path)
        try:
            f = open(filepath, "rb")
        except OSError:
            raise NotFound
        response = Response(wrap_file(frappe.local.request.environ, f), direct_passthrough=True)

    # files that a browser would execute are only ever offered as downloads
    if os.path.splitext(path)[1].lower() in (".svg", ".html", ".htm", ".xml"):
        response.headers.add("Content-Disposition", "attachment", filename=filename)
    response.mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return response


def handle_session_stopped() -> Response:
    """The 503 page shown while the site is in maintenance mode."""
    from frappe.website.serve import get_response, respond_as_web_page

    respond_as_web_page(
        frappe._("Updating"),
        frappe._("The system is being updated. Please refresh again after a few moments."),
        http_status_code=503,
        indicator_color="orange",
        fullpage=True,
        primary_action=None,
    )
    return get_response("message", http_status_code=503)
