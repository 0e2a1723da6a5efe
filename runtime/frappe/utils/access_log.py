"""Access-log lines without secrets.

Vendors put credentials in webhook URLs (ShipStation's ``?token=``), OAuth callbacks carry codes and
signatures in their query, and a login can be sent as ``?usr=…&pwd=…``. Whatever writes an access
log — the development server (``medgrid-runtime serve``) and gunicorn with
``medgrid_runtime.gunicorn_conf`` — passes each URL through :func:`redact_url`:

* webhook and OAuth-callback paths (``/api/method/<dotted>`` whose method names a webhook or a
  callback, e.g. ``medgrid.shipstation.webhook``, ``medgrid.webhooks.sinq.webhook``,
  ``medgrid.integrations.shopify_callback``, under ``/api``, ``/api/v1`` or ``/api/v2``) lose their
  whole query string (``?<redacted>``);
* on any other path, the values of parameters whose names look secret (``token``, ``api_key``,
  ``*_secret``, ``pwd``, ``signature``, ``hmac``, ``sid``, OAuth's ``code`` and ``state``…) are
  replaced by ``<redacted>``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote

REDACTED = "<redacted>"

# /api/method/x, /api/v1/method/x, /api/v2/method/x — and the legacy RPC carried in a query (?cmd=)
_METHOD_PATH = re.compile(r"^/api(?:/v[12])?/method/(?P<method>[^/?#]+)", re.IGNORECASE)
# a method that receives vendor webhooks or OAuth redirects: its query may hold the vendor's secret
_SECRET_QUERY_METHOD = re.compile(r"(^|[._])(webhooks?|callback|oauth_callback)($|[._])", re.IGNORECASE)
# parameter names that carry secrets: ``token``, ``api_key``, ``webhook_secret``, ``pwd``, ``hmac``…,
# and OAuth's ``code`` and ``state`` (not ``item_code``)
_SECRET_PARAM = re.compile(
    r"((^|[_-])(token|secret|key|password|passwd|pwd|signature|hmac|sid|authorization)$)|^(code|state)$",
    re.IGNORECASE)


def is_secret_query_path(path: str, query: str = "") -> bool:
    """Whether the whole query string must stay out of logs: a webhook or callback method, named by
    the path or by a legacy ``cmd`` parameter (which the request pipeline honours on any path)."""
    match = _METHOD_PATH.match(unquote(path or ""))
    if match and _SECRET_QUERY_METHOD.search(match.group("method")):
        return True
    return any(key == "cmd" and _SECRET_QUERY_METHOD.search(value)
               for key, value in parse_qsl(query or "", keep_blank_values=True))


def redact_query(query: str) -> str:
    """``query`` with the values of secret-looking parameters replaced."""
    if not query:
        return query
    parts = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        shown = REDACTED if _SECRET_PARAM.search(key) else value
        parts.append(f"{quote(key, safe='')}={quote(shown, safe='<>')}")
    return "&".join(parts)


def redact_url(url: str) -> str:
    """A request target (``/path?query``) safe to write to a log."""
    if not url:
        return url
    path, sep, query = url.partition("?")
    if not sep:
        return url
    if is_secret_query_path(path, query):
        return f"{path}?{REDACTED}"
    return f"{path}?{redact_query(query)}"


def redact_request_line(line: str) -> str:
    """``GET /path?query HTTP/1.1`` with its target redacted."""
    parts = (line or "").split(" ")
    if len(parts) >= 2:
        parts[1] = redact_url(parts[1])
    return " ".join(parts)
