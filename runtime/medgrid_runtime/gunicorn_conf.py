"""gunicorn settings for the MedGrid runtime: an access log that keeps secrets out, and workers that
start warm under ``--preload``.

Use it with ``-c python:medgrid_runtime.gunicorn_conf`` (command-line options still win)::

    gunicorn -c python:medgrid_runtime.gunicorn_conf -w 4 -b 0.0.0.0:8000 --preload 'frappe.app:application'

Every access-log line goes through :mod:`frappe.utils.access_log`: webhook and OAuth-callback URLs
lose their query string (ShipStation's ``?token=`` among them), other URLs the values of
secret-looking parameters, and the referrer is treated the same way. The Basic-auth user (an API key)
and the Authorization/Cookie headers are never logged, whatever ``access_log_format`` asks for.

With ``--preload`` the master builds the apps' modules, every site's Metas and the URL map once, before
the first fork (``when_ready``), and brings the Metas up to date before each later fork (``pre_fork``):
see :func:`frappe.app.warm_up_for_workers`.
"""

from __future__ import annotations

import gc

from gunicorn.glogging import Logger

from frappe.utils.access_log import REDACTED, redact_request_line, redact_url

# gunicorn writes no access log unless told where: stdout, next to the error log
accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

_SECRET_HEADERS = ("authorization", "cookie", "x-frappe-csrf-token", "x-shopify-hmac-sha256",
                   "x-perfectrx-signature", "x-webhook-signature", "key")


class RedactingLogger(Logger):
    """gunicorn's logger with the request target, query and referrer redacted in access lines."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = redact_request_line(atoms.get("r") or "")
        path = environ.get("PATH_INFO") or ""
        query = environ.get("QUERY_STRING") or ""
        redacted = redact_url(f"{path}?{query}") if query else path
        atoms["q"] = redacted.partition("?")[2]
        referrer = atoms.get("f")
        if referrer and referrer != "-":
            atoms["f"] = _redact_referrer(referrer)
        atoms["u"] = "-"
        for key in list(atoms):
            lowered = key.lower()
            if lowered in ("{raw_uri}e", "{request_uri}e"):
                atoms[key] = redact_url(str(atoms[key]))
            elif lowered == "{query_string}e":
                atoms[key] = atoms["q"]
            elif lowered.startswith("{") and lowered[1:].rsplit("}", 1)[0] in _SECRET_HEADERS:
                atoms[key] = REDACTED
            elif lowered.startswith("{http_") and lowered.endswith("}e"):
                header = lowered[6:-2].replace("_", "-")
                if header in _SECRET_HEADERS:
                    atoms[key] = REDACTED
        return atoms


def _redact_referrer(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep:
        return redact_url(url)
    host, slash, target = rest.partition("/")
    return f"{scheme}://{host}{redact_url(slash + target) if slash else ''}"


logger_class = RedactingLogger


def when_ready(server):
    if not server.cfg.preload_app:
        return  # without --preload each worker imports the app itself: nothing to inherit
    from frappe.app import warm_up_for_workers

    for done in warm_up_for_workers():
        server.log.info("preloaded %s: %s modules, %s Metas in %s s", done["site"], done["modules"],
                        done["metas"], done["seconds"])


def pre_fork(server, worker):
    if server.cfg.preload_app:
        from frappe.app import refresh_before_fork

        refresh_before_fork()
        # what the master built is never collected: out of the collector's sight, a worker's collections
        # do not write to (and so copy) every page it inherited
        gc.freeze()
