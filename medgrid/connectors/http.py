"""The HTTP client every vendor connector sends through.

One place decides, for every outbound vendor call:

* **timeouts** — every request carries ``MedGrid System Settings.http_timeout_seconds`` (default 20 s);
* **short in-call retries** — tenacity, exponential backoff with jitter, on network errors and on the
  statuses a vendor's :class:`RetryPolicy` names (never on a 4xx other than 429). A ``Retry-After``
  header (delay-seconds or HTTP-date), ShipStation's ``X-Rate-Limit-Reset`` and Centre Research's
  ``retryAfter`` body field replace the computed backoff. A hinted wait longer than the policy's
  ``max_in_call_wait`` is not slept in a worker: it becomes a retryable :class:`VendorError` whose
  ``retry_after`` the fulfilment router turns into the dispatch's ``next_retry_at``;
* **rate limits shared across processes** — the ``limits`` library (moving window), stored in Redis when
  the site has ``redis_cache`` (gunicorn and RQ workers then share one budget), in memory otherwise.
  Limit keys are fingerprints of credentials, never the credentials;
* **an audit trail** — each attempt (request + response, or the network error) becomes one
  ``MedGrid Integration Log`` row with secrets redacted (:func:`redact`), written so that it survives a
  rollback of the caller's transaction (see :func:`medgrid.connectors.integration_log.write_integration_log`);
* **a controllable clock** — :func:`medgrid.connectors.clock.set_clock` swaps the time source and
  ``sleep`` (tests advance a fake clock instead of sleeping).

Each job has its module: :mod:`~medgrid.connectors.retry`, :mod:`~medgrid.connectors.rate_limit`,
:mod:`~medgrid.connectors.redaction`, :mod:`~medgrid.connectors.integration_log`,
:mod:`~medgrid.connectors.clock`; this one is the client that puts them together.
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
from dataclasses import dataclass, field

import frappe
import requests
import tenacity

from medgrid.connectors.base import VendorError
from medgrid.connectors.clock import get_clock
from medgrid.connectors.environment import check_request_url
from medgrid.connectors.integration_log import json_text, truncate, write_integration_log
from medgrid.connectors.rate_limit import RateLimit
from medgrid.connectors.redaction import redact, redact_url
from medgrid.connectors.retry import RETRY_AFTER_HEADER, RetryableOutcome, RetryPolicy, WaitHintOrBackoff, parse_retry_after
from medgrid.constants import SYSTEM_SETTINGS

DEFAULT_TIMEOUT_SECONDS = 20
USER_AGENT = "MedGrid/1.0 (+https://app.medgrid.com)"


_sessions = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per thread (requests.Session is not safe to share across threads)."""
    session = getattr(_sessions, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        # Vendors authenticate by header; a cookie kept by a shared session could carry one site's (or
        # one key pair's) vendor session into another's calls
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        _sessions.session = session
    return session


def http_timeout() -> float:
    """Seconds every vendor call may take (MedGrid System Settings, default 20)."""
    try:
        value = frappe.db.get_single_value(SYSTEM_SETTINGS, "http_timeout_seconds")
    except Exception:
        value = None
    return float(value or DEFAULT_TIMEOUT_SECONDS)


@dataclass
class VendorClient:
    """A vendor's outbound HTTP: base URL, default headers/auth, its retry policy and rate limit.

    ``secrets`` are literal credential values scrubbed from every log row; ``reference`` is the
    (doctype, name) each log row points at (usually the Sales Order).
    """

    vendor: str
    base_url: str = ""
    headers: dict = field(default_factory=dict)
    auth: tuple | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit: RateLimit | None = None
    secrets: tuple = ()
    reference: tuple = (None, None)
    # seconds per attempt when a caller waits on it (a connect check); None: the site's http_timeout_seconds
    timeout: float | None = None

    def url(self, path: str) -> str:
        """``path`` joined to the base URL (an absolute URL is used as given)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, json_body=None, data=None, params=None, headers=None,
                accept_statuses=(), policy: RetryPolicy | None = None, allow_redirects: bool = True,
                error_messages: dict | None = None) -> requests.Response:
        """Send one logical request (with the policy's retries) and return the final response.

        2xx responses and statuses in ``accept_statuses`` are returned for the caller to read. Any other
        final status raises :class:`VendorError` — retryable for the policy's retry statuses and 5xx —
        with ``error_messages[status]`` as the message when given.
        """
        policy = policy or self.policy
        # the site's environment decides which hosts may be called at all (never retried)
        check_request_url(self.vendor, self.url(path))
        clock = get_clock()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_retries + 1),
            wait=WaitHintOrBackoff(policy),
            retry=tenacity.retry_if_exception_type(RetryableOutcome),
            sleep=clock.sleep,
            reraise=True,
        )
        try:
            response = retrying(self._attempt, method, self.url(path), json_body, data, params, headers,
                                accept_statuses, policy, allow_redirects, error_messages or {})
        except RetryableOutcome as exhausted:
            status = exhausted.response.status_code if exhausted.response is not None else None
            raise VendorError(str(exhausted), retryable=True, status_code=status,
                              retry_after=exhausted.retry_after) from None
        return response

    # ------------------------------------------------------------------------------------ internals

    def _prepare(self, method, url, json_body, data, params, headers):
        merged = {"Accept": "application/json", **self.headers, **(headers or {})}
        if json_body is not None:
            merged.setdefault("Content-Type", "application/json")
            data = json.dumps(json_body, separators=(",", ":"), default=str)
        request = requests.Request(method.upper(), url, headers=merged, data=data, params=params, auth=self.auth)
        return _session().prepare_request(request)

    def _hinted_wait(self, response, policy: RetryPolicy) -> float | None:
        wait = parse_retry_after(response.headers.get(RETRY_AFTER_HEADER))
        if wait is None and policy.reset_header:
            wait = parse_retry_after(response.headers.get(policy.reset_header))
        if wait is None and policy.body_retry_after:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict):
                wait = parse_retry_after(body.get(policy.body_retry_after))
        return wait

    def _attempt(self, method, url, json_body, data, params, headers, accept_statuses, policy, allow_redirects,
                 error_messages):
        if self.rate_limit:
            self.rate_limit.acquire()
        prepared = self._prepare(method, url, json_body, data, params, headers)
        clock = get_clock()
        started = clock.time()
        timeout = self.timeout or http_timeout()
        try:
            response = _session().send(prepared, timeout=timeout, allow_redirects=allow_redirects)
        except (requests.ConnectionError, requests.Timeout) as exc:
            kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
            message = f"{self.vendor}: {method.upper()} {redact_url(url, self.secrets)} {kind}: {exc}"
            self._log(prepared, None, started, error=message)
            if policy.retry_network_errors:
                raise RetryableOutcome(redact(message, self.secrets)) from None
            raise VendorError(redact(message, self.secrets), retryable=True) from None
        except requests.RequestException as exc:
            message = f"{self.vendor}: {method.upper()} {redact_url(url, self.secrets)} failed: {exc}"
            self._log(prepared, None, started, error=message)
            raise VendorError(redact(message, self.secrets), retryable=False) from None

        self._log(prepared, response, started)
        self._note_rate_headers(response, policy)
        status = response.status_code
        if 200 <= status < 300 or status in accept_statuses:
            return response
        if 300 <= status < 400 and not allow_redirects:
            return response
        # Only "slow down" answers carry a wait hint worth obeying (RFC 9110 sends Retry-After with 429/503)
        hinted = self._hinted_wait(response, policy) if status in (429, 503) else None
        message = error_messages.get(status) or self._error_message(method, url, response)
        if status in policy.retry_statuses:
            if hinted is not None and hinted > policy.max_in_call_wait:
                raise VendorError(message, retryable=True, status_code=status, retry_after=hinted)
            raise RetryableOutcome(message, response=response, retry_after=hinted)
        retryable = status == 429 or status >= 500
        raise VendorError(message, retryable=retryable, status_code=status,
                          retry_after=hinted if retryable else None)

    def _note_rate_headers(self, response, policy: RetryPolicy) -> None:
        # ShipStation says how much of the window is left: when it is spent (or a 429 says so), every
        # worker on this key pair holds off until the reset instead of spending calls on more 429s
        if not (self.rate_limit and policy.reset_header):
            return
        remaining = str(response.headers.get("X-Rate-Limit-Remaining", "")).strip()
        reset = parse_retry_after(response.headers.get(policy.reset_header))
        if reset and (remaining == "0" or response.status_code == 429):
            self.rate_limit.pause(reset)

    def _error_message(self, method, url, response) -> str:
        text = (response.text or "").strip()
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            detail = body.get("error") or body.get("message") or body.get("Message") or body.get("errors") or ""
            if not isinstance(detail, str):
                detail = json.dumps(detail, default=str)
        detail = detail or text[:500]
        message = f"{self.vendor} answered HTTP {response.status_code} to {method.upper()} " \
                  f"{redact_url(url, self.secrets)}" + (f": {detail}" if detail else "")
        return redact(message, self.secrets)

    def _log(self, prepared, response, started: float, error: str | None = None) -> None:
        elapsed_ms = int(max(0.0, get_clock().time() - started) * 1000)
        if response is not None and response.elapsed:
            elapsed_ms = int(response.elapsed.total_seconds() * 1000) or elapsed_ms
        status_code = response.status_code if response is not None else None
        # a 3xx only reaches here when the caller follows redirects itself (ShipStation resource_url)
        ok = response is not None and 200 <= response.status_code < 400
        values = {
            "vendor": self.vendor,
            "status": "Success" if ok else "Error",
            "method": prepared.method,
            "url": truncate(redact_url(prepared.url, self.secrets)),
            "status_code": status_code,
            "duration_ms": elapsed_ms,
            "reference_doctype": self.reference[0],
            "reference_name": self.reference[1],
            "request_headers": json_text(redact(dict(prepared.headers), self.secrets)),
            "request_body": truncate(json_text(redact(prepared.body, self.secrets))),
            "response_body": truncate(json_text(redact(response.content, self.secrets)))
            if response is not None else None,
            "error": truncate(redact(error, self.secrets)) if error else
            (None if ok or response is None else f"HTTP {status_code}"),
        }
        write_integration_log(**values)


def response_json(response: requests.Response, vendor: str):
    """The response's JSON body, or a retryable VendorError when a 2xx carries something else."""
    try:
        return response.json()
    except ValueError:
        raise VendorError(f"{vendor} answered HTTP {response.status_code} without a JSON body",
                          retryable=True, status_code=response.status_code) from None
