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
  rollback of the caller's transaction (see :func:`write_integration_log`);
* **a controllable clock** — :func:`set_clock` swaps the time source and ``sleep`` (tests advance a fake
  clock instead of sleeping).
"""

from __future__ import annotations

import email.utils
import hashlib
import http.cookiejar
import json
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import frappe
import requests
import tenacity
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from medgrid.connectors.base import VendorError

LOG_DOCTYPE = "MedGrid Integration Log"
SYSTEM_SETTINGS = "MedGrid System Settings"
DEFAULT_TIMEOUT_SECONDS = 20
USER_AGENT = "MedGrid/1.0 (+https://app.medgrid.com)"

# Long Text holds far more, but a megabyte label or catalog page is noise in an audit row
MAX_LOGGED_CHARS = 64_000
REDACTED = "***"

# Header / JSON / form / query keys whose values are secrets, compared lower-cased. Exact names cover
# short generic keys (SINQ's ``key`` header) without hiding ``orderKey`` or ``lineItemKey``.
SENSITIVE_KEYS = frozenset({
    "authorization", "proxy-authorization", "key", "x-api-key", "api-key", "apikey", "api_key",
    "x-shopify-access-token", "cookie", "set-cookie", "pwd", "code", "hmac", "signature",
})
# …and any key containing one of these fragments (clientSecret, access_token, refresh_token, password…)
SENSITIVE_FRAGMENTS = ("secret", "password", "passwd", "token")
# Authorization schemes kept in the log so a reader still sees *how* a call authenticated
AUTH_SCHEMES = ("basic", "bearer", "token")

RETRY_AFTER_HEADER = "Retry-After"
WINDOW_EDGE_SECONDS = 0.01


# --------------------------------------------------------------------------------------------- clock

class Clock:
    """Wall-clock time and sleep; tests install a fake with the same two methods."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


_clock: Clock = Clock()


def get_clock() -> Clock:
    """The clock every connector reads (token expiry, rate-limit waits, backoff sleeps)."""
    return _clock


def set_clock(clock: Clock | None) -> Clock:
    """Install ``clock`` (None restores the real one); returns the previous clock."""
    global _clock
    previous = _clock
    _clock = clock or Clock()
    return previous


# ----------------------------------------------------------------------------------------- redaction

def is_sensitive_key(key) -> bool:
    """Whether a header / field / parameter name carries a secret."""
    lowered = str(key).strip().lower()
    return lowered in SENSITIVE_KEYS or any(fragment in lowered for fragment in SENSITIVE_FRAGMENTS)


def _mask_header_value(key: str, value) -> str:
    if str(key).lower() in ("authorization", "proxy-authorization"):
        scheme = str(value).split(" ", 1)[0]
        if scheme.lower() in AUTH_SCHEMES:
            return f"{scheme} {REDACTED}"
    return REDACTED


def _scrub_text(text: str, secrets) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _redact_structure(value, secrets):
    if isinstance(value, dict):
        return {k: (_mask_header_value(k, v) if is_sensitive_key(k) and v not in (None, "") else
                    _redact_structure(v, secrets)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_structure(v, secrets) for v in value]
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    return value


def redact_url(url: str, secrets=()) -> str:
    """``url`` with secret query parameters (``?token=``, ``?key=``…) and userinfo masked."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _scrub_text(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_sensitive_key(k) else v) for k, v in pairs], safe="*")
    return _scrub_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), secrets)


def redact(value, secrets=()):
    """A copy of ``value`` safe to store: secret-named keys masked, known secret values scrubbed.

    ``value`` may be a dict / list (headers, JSON bodies), ``bytes`` or ``str`` (raw bodies: parsed as
    JSON, else as a form body, else scrubbed as text). ``secrets`` are literal values (API keys,
    tokens) removed wherever they appear, e.g. echoed back inside an error message.
    """
    secrets = tuple(s for s in (secrets or ()) if s)
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.dumps(_redact_structure(json.loads(stripped), secrets), default=str)
            except ValueError:
                pass
        if "=" in stripped and " " not in stripped and "\n" not in stripped:
            pairs = parse_qsl(stripped, keep_blank_values=True)
            if pairs:
                return _scrub_text(urlencode([(k, REDACTED if is_sensitive_key(k) else v) for k, v in pairs],
                                             safe="*"), secrets)
        return _scrub_text(value, secrets)
    if hasattr(value, "items") and not isinstance(value, dict):
        value = dict(value.items())  # e.g. requests' CaseInsensitiveDict of headers
    return _redact_structure(value, secrets)


def fingerprint(*parts: str, length: int = 16) -> str:
    """A short, stable, non-reversible id of credentials (limit and cache keys never hold a secret)."""
    digest = hashlib.sha256("\x1f".join(str(p or "") for p in parts).encode()).hexdigest()
    return digest[:length]


# ------------------------------------------------------------------------------- retry-after parsing

def parse_retry_after(value, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

    Returns None when absent or unparseable; a date in the past gives 0.
    """
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = get_clock().time() if now is None else now
    return max(0.0, (when - datetime.fromtimestamp(now, tz=timezone.utc)).total_seconds())


# -------------------------------------------------------------------------------------------- policy

@dataclass(frozen=True)
class RetryPolicy:
    """How many in-call retries a vendor gets, on what, and how long to wait between them."""

    max_retries: int = 3
    retry_statuses: frozenset = frozenset({429, 500, 502, 503, 504})
    retry_network_errors: bool = True
    backoff_base: float = 1.0        # first backoff ≈ base, then doubling (+ up to ``base`` jitter)
    backoff_max: float = 30.0
    max_in_call_wait: float = 60.0   # a longer hinted wait is handed to the router instead of slept
    retry_after_jitter: float = 0.5  # spread workers that were all told the same Retry-After
    reset_header: str | None = None  # vendor header with seconds until the window resets
    body_retry_after: str | None = None  # JSON body field with seconds to wait (Centre Research)


# ----------------------------------------------------------------------------------------- rate limit

_limiters: dict[str, tuple] = {}
_limiters_lock = threading.Lock()


def _limiter_storage_uri() -> str:
    redis_url = (getattr(frappe.local, "conf", None) or {}).get("redis_cache")
    return redis_url or "memory://"


def get_rate_limiter() -> tuple:
    """(MovingWindowRateLimiter, storage) for the current site's cache backend, one per process."""
    uri = _limiter_storage_uri()
    with _limiters_lock:
        if uri not in _limiters:
            storage = MemoryStorage() if uri == "memory://" else storage_from_string(uri)
            _limiters[uri] = (MovingWindowRateLimiter(storage), storage)
        return _limiters[uri]


def reset_rate_limiters() -> None:
    """Forget every in-process limiter (tests; a changed ``redis_cache``)."""
    with _limiters_lock:
        for _limiter, storage in _limiters.values():
            try:
                storage.reset()
            except Exception:
                pass
        _limiters.clear()


@dataclass
class RateLimit:
    """``amount`` requests per ``window_seconds`` (sliding) for one vendor account.

    ``key`` must be a fingerprint (see :func:`fingerprint`), never a credential: it is stored in Redis.
    """

    vendor: str
    key: str
    amount: int
    window_seconds: int
    max_wait: float = 90.0  # beyond this the call is deferred to the router instead of blocking a worker

    @property
    def item(self):
        return RateLimitItemPerSecond(self.amount, self.window_seconds)

    def _pause_key(self) -> str:
        return f"medgrid:ratelimit-pause:{self.vendor}:{self.key}"

    def pause(self, seconds: float) -> None:
        """Hold every worker's calls on this account for ``seconds`` (vendor said the window is spent)."""
        until = get_clock().time() + max(0.0, seconds)
        frappe.cache().set_value(self._pause_key(), until, expires_in_sec=max(1, math.ceil(seconds) + 1))

    def acquire(self) -> None:
        """Block until a slot is free (sleeping on the clock), or raise a retryable VendorError."""
        clock = get_clock()
        limiter, _storage = get_rate_limiter()
        waited = 0.0
        while True:
            paused_until = frappe.cache().get_value(self._pause_key(), expires=True)
            wait = (paused_until - clock.time()) if paused_until else 0.0
            if wait <= 0:
                if limiter.hit(self.item, "medgrid", self.vendor, self.key):
                    return
                stats = limiter.get_window_stats(self.item, "medgrid", self.vendor, self.key)
                # a request exactly ``window`` old still counts: wake just after it leaves the window
                wait = max(0.0, stats.reset_time - clock.time()) + WINDOW_EDGE_SECONDS
            if waited + wait > self.max_wait:
                raise VendorError(
                    f"{self.vendor}: local rate limit of {self.amount} requests per {self.window_seconds} s "
                    f"is spent; next slot in {wait:.0f} s", retryable=True, status_code=429, retry_after=wait)
            clock.sleep(wait)
            waited += wait


# ------------------------------------------------------------------------------ integration log

def _pending_logs() -> dict:
    pending = getattr(frappe.local, "medgrid_unsettled_logs", None)
    if pending is None:
        pending = {}
        frappe.local.medgrid_unsettled_logs = pending
    return pending


def _settle_logs() -> None:
    """The transaction holding the logs committed: nothing left to protect."""
    _pending_logs().clear()
    frappe.local.medgrid_log_hooks_registered = False


def _restore_logs_before_commit() -> None:
    """Re-insert logs a savepoint rollback removed, so the commit keeps every attempt."""
    pending = _pending_logs()
    if not pending:
        return
    present = set(frappe.get_all(LOG_DOCTYPE, filters={"name": ["in", list(pending)]}, pluck="name"))
    for name, values in pending.items():
        if name not in present:
            _insert_log(values, name)


def _after_rollback() -> None:
    # Frappe runs rollback callbacks in order and a commit clears the ones still queued; queue the
    # re-insert last so committing the logs cannot swallow another app's rollback callback.
    frappe.db.after_rollback.add(_reinsert_logs_after_rollback)


def _reinsert_logs_after_rollback() -> None:
    pending = dict(_pending_logs())
    frappe.local.medgrid_log_hooks_registered = False
    _pending_logs().clear()
    if not pending:
        return
    try:
        for name, values in pending.items():
            _insert_log(values, name)
        # The caller's work is already rolled back: this commit holds the log rows only.
        frappe.db.commit()
    except Exception:
        frappe.logger("medgrid.connectors").exception("could not keep %s integration log rows", len(pending))


def _insert_log(values: dict, name: str | None = None):
    doc = frappe.get_doc({"doctype": LOG_DOCTYPE, **values})
    doc.insert(ignore_permissions=True, set_name=name)
    return doc


def write_integration_log(**values) -> str | None:
    """Insert one ``MedGrid Integration Log`` row that outlives a rollback of the caller's transaction.

    Why not a separate connection: on SQLite a second writer would wait on the caller's write lock, and
    Frappe has no autonomous-transaction API. Why not ``frappe.db.commit()`` here: that would commit the
    caller's half-done work. Instead the row is inserted in the current transaction (visible at once,
    committed with the caller's work) and remembered until the transaction ends:

    * a full ``frappe.db.rollback()`` runs ``after_rollback``: the rows are inserted again under the same
      names and committed on their own (the caller's work is already gone);
    * a rollback to a savepoint runs no callback, so ``before_commit`` re-inserts any row it removed;
    * ``after_commit`` forgets them.

    Only a process killed mid-transaction loses its rows. Logging never raises into the vendor call.
    """
    if not getattr(frappe.local, "db", None) or frappe.flags.read_only:
        frappe.logger("medgrid.connectors").info("integration log (no database): %s", values)
        return None
    try:
        doc = _insert_log(values)
    except Exception:
        frappe.logger("medgrid.connectors").exception("could not write an integration log row")
        return None
    if frappe.flags.medgrid_commit_integration_logs:
        # the caller's transaction holds nothing but these rows (a dispatch send): commit at once, so the
        # row is safe and SQLite's single write lock is not held across the vendor call and its retries
        frappe.db.commit()
        return doc.name
    _pending_logs()[doc.name] = values
    if not getattr(frappe.local, "medgrid_log_hooks_registered", False):
        frappe.local.medgrid_log_hooks_registered = True
        frappe.db.before_commit.add(_restore_logs_before_commit)
        frappe.db.after_commit.add(_settle_logs)
        frappe.db.after_rollback.add(_after_rollback)
    return doc.name


def _truncate(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_LOGGED_CHARS:
        return text
    return text[:MAX_LOGGED_CHARS] + f"\n… [{len(text) - MAX_LOGGED_CHARS} more characters not logged]"


def _json_text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


# ------------------------------------------------------------------------------------------- client

class _RetryableOutcome(Exception):
    """One attempt ended in a way the policy retries (a status in ``retry_statuses`` or a network error)."""

    def __init__(self, message: str, *, response=None, retry_after: float | None = None):
        super().__init__(message)
        self.response = response
        self.retry_after = retry_after


class _WaitHintOrBackoff(tenacity.wait.wait_base):
    """The vendor's hinted wait (plus a little jitter) when it gave one, else exponential backoff."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.backoff = tenacity.wait_exponential_jitter(initial=policy.backoff_base, max=policy.backoff_max,
                                                        jitter=policy.backoff_base)

    def __call__(self, retry_state) -> float:
        outcome = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = getattr(outcome, "retry_after", None)
        if hinted is not None:
            return hinted + random.uniform(0, self.policy.retry_after_jitter)
        return self.backoff(retry_state)


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
        clock = get_clock()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_retries + 1),
            wait=_WaitHintOrBackoff(policy),
            retry=tenacity.retry_if_exception_type(_RetryableOutcome),
            sleep=clock.sleep,
            reraise=True,
        )
        try:
            response = retrying(self._attempt, method, self.url(path), json_body, data, params, headers,
                                accept_statuses, policy, allow_redirects, error_messages or {})
        except _RetryableOutcome as exhausted:
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
        timeout = http_timeout()
        try:
            response = _session().send(prepared, timeout=timeout, allow_redirects=allow_redirects)
        except (requests.ConnectionError, requests.Timeout) as exc:
            kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
            message = f"{self.vendor}: {method.upper()} {redact_url(url, self.secrets)} {kind}: {exc}"
            self._log(prepared, None, started, error=message)
            if policy.retry_network_errors:
                raise _RetryableOutcome(redact(message, self.secrets)) from None
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
            raise _RetryableOutcome(message, response=response, retry_after=hinted)
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
            "url": _truncate(redact_url(prepared.url, self.secrets)),
            "status_code": status_code,
            "duration_ms": elapsed_ms,
            "reference_doctype": self.reference[0],
            "reference_name": self.reference[1],
            "request_headers": _json_text(redact(dict(prepared.headers), self.secrets)),
            "request_body": _truncate(_json_text(redact(prepared.body, self.secrets))),
            "response_body": _truncate(_json_text(redact(response.content, self.secrets)))
            if response is not None else None,
            "error": _truncate(redact(error, self.secrets)) if error else
            (None if ok or response is None else f"HTTP {status_code}"),
        }
        write_integration_log(**values)


def log_rejected_request(vendor: str, method: str, url: str, reason: str, reference=(None, None),
                         secrets=()) -> None:
    """Record a request MedGrid refused to send (e.g. a webhook ``resource_url`` on a foreign host)."""
    write_integration_log(vendor=vendor, status="Rejected", method=method.upper(),
                          url=_truncate(redact_url(url, secrets)), reference_doctype=reference[0],
                          reference_name=reference[1], error=_truncate(redact(reason, secrets)))


def response_json(response: requests.Response, vendor: str):
    """The response's JSON body, or a retryable VendorError when a 2xx carries something else."""
    try:
        return response.json()
    except ValueError:
        raise VendorError(f"{vendor} answered HTTP {response.status_code} without a JSON body",
                          retryable=True, status_code=response.status_code) from None
