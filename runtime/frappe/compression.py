"""gzip and long caching for ``/assets`` (the Desk's JS and CSS), as nginx gives them on a bench.

A bench's nginx serves ``/assets`` itself (gzip, ``expires``); the standalone runtime serves them from
the WSGI app, so this wrapper does the same for them. Everything else — ``/api`` answers, pages,
``/files`` — leaves the app exactly as Frappe's own app answers it (no compression, no ``Vary``: the
recorded exchanges of a real site pin that); in production the nginx site that ``setup production``
writes compresses JSON in front of it. HTML would carry the session's CSRF token next to text a visitor
can put in the URL (BREACH) anyway. Answers that are not a complete 200 are never touched.
"""

from __future__ import annotations

import functools
import gzip
import os
from collections import OrderedDict

from werkzeug.wsgi import ClosingIterator

COMPRESSIBLE_TYPES = ("application/json", "application/javascript", "text/javascript", "text/css", "image/svg+xml")
MIN_SIZE = 1024
# an /assets URL with ?v=<version> changes whenever the file does, so the browser may keep it for a year
VERSIONED_ASSET_CACHE = "public, max-age=31536000, immutable"
# compressed static files by (path, mtime, size): each is gzipped once per change, not per request
_ASSET_CACHE: OrderedDict = OrderedDict()
_ASSET_CACHE_ENTRIES = 64


def _accepts_gzip(environ) -> bool:
    from werkzeug.http import parse_accept_header

    return parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING", "")).quality("gzip") > 0


def _header(headers, name: str) -> str | None:
    name = name.lower()
    return next((value for key, value in headers if key.lower() == name), None)


def _static_cache_key(environ, path: str):
    """(file, mtime, size) of an /assets file, so its gzip can be reused; None for anything else."""
    if not path.startswith("/assets/"):
        return None
    from frappe.app import _static_path

    full = _static_path(environ, path)
    if not full or not os.path.isfile(full):
        return None
    stat = os.stat(full)
    return (full, stat.st_mtime_ns, stat.st_size)


def _gzip(body: bytes, cache_key) -> bytes:
    if cache_key and cache_key in _ASSET_CACHE:
        _ASSET_CACHE.move_to_end(cache_key)
        return _ASSET_CACHE[cache_key]
    compressed = gzip.compress(body, compresslevel=6, mtime=0)
    if cache_key:
        _ASSET_CACHE[cache_key] = compressed
        while len(_ASSET_CACHE) > _ASSET_CACHE_ENTRIES:
            _ASSET_CACHE.popitem(last=False)
    return compressed


def compression_wrapper(app):
    """Wrap a WSGI app: gzip complete /assets answers for clients that accept it, and cache versioned
    assets for a year."""

    @functools.wraps(app)
    def application(environ, start_response):
        path = environ.get("PATH_INFO") or ""
        versioned_asset = path.startswith("/assets/") and "v=" in (environ.get("QUERY_STRING") or "")
        if not path.startswith("/assets/") or environ.get("REQUEST_METHOD") != "GET":
            return app(environ, start_response)
        wants_gzip = _accepts_gzip(environ)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"], captured["exc_info"] = status, list(headers), exc_info
            return lambda data: captured.setdefault("written", []).append(data)

        inner = app(environ, capture)
        headers = captured["headers"]
        status = captured["status"]
        if versioned_asset and status.startswith("200"):
            headers = [(k, v) for k, v in headers if k.lower() != "cache-control"]
            headers.append(("Cache-Control", VERSIONED_ASSET_CACHE))
        content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        if not (wants_gzip and status.startswith("200") and content_type in COMPRESSIBLE_TYPES
                and not _header(headers, "Content-Encoding")):
            start_response(status, headers, captured["exc_info"])
            return inner
        try:
            body = b"".join(captured.get("written", [])) + b"".join(inner)
        except BaseException:
            if hasattr(inner, "close"):
                inner.close()
            raise
        vary = _header(headers, "Vary")
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "vary")]
        headers.append(("Vary", f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"))
        if len(body) >= MIN_SIZE:
            body = _gzip(body, _static_cache_key(environ, path))
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers, captured["exc_info"])
        # the inner answer closes (and the request's after-response work runs) once this body is sent
        return ClosingIterator([body], [inner.close] if hasattr(inner, "close") else [])

    return application
