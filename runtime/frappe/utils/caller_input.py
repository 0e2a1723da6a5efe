"""Limits on what a caller may send, applied before any work is done on a request.

* bodies over the site's ``max_request_body_size`` (bytes; default 1 MiB) are refused with 413;
* JSON nested deeper than ``MAX_JSON_DEPTH`` levels (a body, or a JSON argument such as ``filters``)
  is refused with 400, and so is JSON the decoder cannot follow that deep;
* errors that only say the caller's input is malformed (a ``fields`` value that is not JSON …) are
  re-raised as 4xx errors that keep the original type name and message, where Frappe lets them out
  as 500s.

None of this is in Frappe (see runtime/README.md, "Caller input"): Frappe reads a body of any size
up to ``max_file_size`` and answers malformed arguments with a 500.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.exceptions import InvalidRequestBodyError, RequestBodyTooLargeError, ValidationError

DEFAULT_MAX_BODY_SIZE = 1024 * 1024
MAX_JSON_DEPTH = 100


def max_body_size(conf=None) -> int:
    """The body limit in bytes: site config ``max_request_body_size`` (0 or missing: the default)."""
    conf = conf if conf is not None else (getattr(frappe.local, "conf", None) or {})
    try:
        value = int(float(conf.get("max_request_body_size") or 0))
    except (TypeError, ValueError):
        value = 0
    return value if value > 0 else DEFAULT_MAX_BODY_SIZE


def refuse_large_body(limit: int) -> None:
    frappe.throw(_("The request body is larger than the limit of {0} bytes").format(limit),
                 RequestBodyTooLargeError, title=_("Request Too Large"))


def check_body_size(request, limit: int | None = None) -> None:
    """413 for a body over the limit: by its Content-Length, or — sent without one (chunked) — by
    reading at most one byte more than the limit (kept as the request's data for what follows)."""
    limit = limit or max_body_size()
    length = request.content_length
    if length is not None:
        if length > limit:
            refuse_large_body(limit)
        return
    if not request.environ.get("wsgi.input_terminated"):
        # no length and no terminated stream: Werkzeug reads nothing, so there is nothing to limit
        return
    stream = request.stream
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        refuse_large_body(limit)
    # Werkzeug serves get_data() and form parsing from this cache
    request._cached_data = b"".join(chunks)


def nesting_exceeds(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether decoded JSON nests lists/objects more than ``limit`` levels (iterative walk)."""
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def refuse_deep_json(limit: int = MAX_JSON_DEPTH) -> None:
    frappe.throw(_("JSON nested deeper than {0} levels is not accepted").format(limit), InvalidRequestBodyError,
                 title=_("Invalid Request"))


def decode(text, *, limit: int = MAX_JSON_DEPTH):
    """``json.loads`` for caller input, refusing JSON nested deeper than ``limit`` (400). Text that is
    not JSON raises the decoder's own JSONDecodeError, for the caller to handle."""
    too_deep = False
    try:
        value = json.loads(text)
    except RecursionError:
        # refused outside the handler, so the answer does not carry the decoder's RecursionError
        too_deep = True
    if too_deep or (isinstance(value, (dict, list)) and _may_be_deep(text, limit) and nesting_exceeds(value, limit)):
        refuse_deep_json(limit)
    return value


def loads(text, *, limit: int = MAX_JSON_DEPTH):
    """:func:`decode`, with text that is not JSON answered 400 (the decoder's type and message)."""
    try:
        return decode(text, limit=limit)
    except json.JSONDecodeError as e:
        raise bad_request(e) from None


def _may_be_deep(text, limit: int) -> bool:
    if isinstance(text, (bytes, bytearray)):
        return text.count(b"[") + text.count(b"{") > limit
    return text.count("[") + text.count("{") > limit


class CallerInputError(ValidationError):
    """Base of the 4xx stand-ins made by :func:`bad_request`."""

    http_status_code = 400


_STAND_INS: dict = {}


def bad_request(exc: BaseException, status: int = 400, *, keep_class: bool = False) -> Exception:
    """An exception for a 4xx answer that reports itself as ``exc`` does (same class name, module
    and message), so a client sees Frappe's ``exc_type`` and text with a client-error status.
    With ``keep_class`` it is also an instance of ``exc``'s class, for code that catches that."""
    cls = type(exc)
    key = (cls, status, keep_class)
    if key not in _STAND_INS:
        bases = (CallerInputError, cls) if keep_class else (CallerInputError,)
        _STAND_INS[key] = type(cls.__name__, bases, {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__, "http_status_code": status,
        })
    return _STAND_INS[key](str(exc))
