"""The small HTTP framework every vendor sandbox is built on.

A :class:`VendorSandbox` is one stdlib ``ThreadingHTTPServer`` bound to a loopback port, with:

* **routes** — methods decorated with :func:`route` (``@route("POST", r"/orders/createorder")``); a
  handler takes a :class:`Request` and returns a :class:`Response` or raises :class:`HTTPError`;
* **in-memory state** guarded by one re-entrant lock (``self.lock``);
* a **request log** with per-minute counts, per-client peaks and the 429s sent (:class:`RequestLog`);
* **fault switches** settable over HTTP (:class:`FaultBoard`): ``5xx``, ``timeout``, ``429``,
  ``malformed``, ``down`` on requests; ``bad_signature``, ``duplicate``, ``drop`` on webhooks;
* a **timeline** (:class:`Timeline`) that plays each order's vendor-side story (received, shipped,
  delivered…) one step every ``step_delay`` seconds, or only when ``POST /__sandbox/advance`` asks;
* a **webhook sender** (:class:`WebhookSender`) that POSTs signed events to MedGrid — only ever to a
  loopback address — and remembers every delivery so it can be inspected or replayed.

The ``/__sandbox/*`` endpoints (state, faults, advance, reset, config, redeliver, action) are the
sandbox's own control surface; they are never logged as vendor traffic and never faulted.
"""

from __future__ import annotations

import copy
import hashlib
import heapq
import ipaddress
import itertools
import json
import re
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime, timezone
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

REQUEST_FAULTS = ("5xx", "timeout", "429", "malformed", "down")
WEBHOOK_FAULTS = ("bad_signature", "duplicate", "drop")
FAULT_MODES = REQUEST_FAULTS + WEBHOOK_FAULTS

# header and body keys whose values never go into the request log
_SECRET_HEADERS = {"authorization", "key", "x-api-key", "x-shopify-access-token", "cookie"}
_SECRET_KEY_RE = re.compile(r"secret|password|^(access_?token|refresh_?token|token|code|api_?key|key)$", re.I)
_LOG_BODY_LIMIT = 8192


# --------------------------------------------------------------------------------------------------
# small helpers

def utcnow_iso(ts: float | None = None) -> str:
    """ISO-8601 UTC timestamp with a ``Z`` suffix (second precision)."""
    return datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible label for a credential (used as the client id in logs)."""
    return "fp-" + hashlib.sha256(value.encode()).hexdigest()[:10]


def deep_merge(base: dict, override: dict | None) -> dict:
    """Return ``base`` with ``override`` merged in, recursing into dicts (inputs are not changed)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def redact(value, depth: int = 0):
    """Copy of a JSON value with secret-looking keys masked (for the request log only)."""
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {k: ("<redacted>" if _SECRET_KEY_RE.search(str(k)) and isinstance(v, (str, int))
                    else redact(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, depth + 1) for v in value]
    return value


def is_loopback_url(url: str) -> bool:
    """True when every address the URL's host resolves to is a loopback address."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def truthy(value) -> bool:
    """Query-string style boolean: ``true``/``True``/``1``/``yes`` are true."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


# --------------------------------------------------------------------------------------------------
# request / response

class Request:
    """One inbound HTTP request as a handler sees it."""

    def __init__(self, method: str, target: str, headers: Message, body: bytes, client_addr: str):
        parts = urlsplit(target)
        self.method = method.upper()
        self.path = parts.path or "/"
        self.query_string = parts.query
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.client_addr = client_addr
        self.params: dict[str, str] = {}
        # who the vendor recognised (a credential fingerprint); set by the vendor's auth check
        self.client: str | None = None
        self._json = None
        self._json_parsed = False

    def arg(self, name: str, default=None):
        """First value of a query parameter, matched case-insensitively (ShipStation mixes cases)."""
        if name in self.query:
            return self.query[name][0]
        lowered = name.lower()
        for key, values in self.query.items():
            if key.lower() == lowered:
                return values[0]
        return default

    def header(self, name: str, default=None):
        """A request header (case-insensitive)."""
        value = self.headers.get(name)
        return default if value is None else value

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def json(self):
        """The body parsed as JSON; raises ``HTTPError(400)`` when it is not JSON."""
        if not self._json_parsed:
            try:
                self._json = json.loads(self.body.decode("utf-8")) if self.body else None
            except (UnicodeDecodeError, ValueError) as exc:
                raise HTTPError(400, {"error": f"body is not valid JSON: {exc}"}) from exc
            self._json_parsed = True
        return self._json

    def form(self) -> dict[str, str]:
        """The body parsed as ``application/x-www-form-urlencoded`` (first value of each key)."""
        try:
            parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
        return {k: v[0] for k, v in parsed.items()}


class Response:
    """What a handler answers: status, headers and raw body bytes."""

    def __init__(self, status: int = 200, body: bytes | str = b"", headers: dict | None = None,
                 content_type: str | None = "application/json; charset=utf-8"):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = dict(headers or {})
        if content_type and "Content-Type" not in self.headers:
            self.headers["Content-Type"] = content_type

    @classmethod
    def json(cls, obj, status: int = 200, headers: dict | None = None) -> "Response":
        """A JSON response (compact separators, like most vendor APIs)."""
        return cls(status, json.dumps(obj, separators=(",", ":"), default=str), headers)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> "Response":
        """A redirect with an empty body."""
        return cls(status, b"", {"Location": location}, content_type="text/html; charset=utf-8")


class HTTPError(Exception):
    """Raised by a handler to answer with an error status and a JSON (or raw) body."""

    def __init__(self, status: int, body=None, headers: dict | None = None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def to_response(self) -> Response:
        if isinstance(self.body, (bytes, str)):
            return Response(self.status, self.body, self.headers, content_type="text/plain; charset=utf-8")
        return Response.json(self.body if self.body is not None else {}, self.status, self.headers)


def route(method: str, pattern: str):
    """Mark a sandbox method as the handler of ``method`` on paths fully matching ``pattern``.

    Named groups in the pattern land in ``request.params``.
    """
    def decorate(fn):
        fn.__sandbox_route__ = (method.upper(), re.compile(pattern + r"/?\Z"), pattern)
        return fn
    return decorate


# --------------------------------------------------------------------------------------------------
# request log

class RequestLog:
    """Every vendor-API request the sandbox answered, with counters for tests and benchmarks."""

    def __init__(self, keep: int = 5000):
        self.keep = keep
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.entries: list[dict] = []
            self.times: list[float] = []
            self.client_times: dict[str, list[float]] = defaultdict(list)
            self.total = 0
            self.per_minute: Counter = Counter()
            self.by_endpoint: Counter = Counter()
            self.by_status: Counter = Counter()
            self.rate_limited = 0
            self.faults_injected: Counter = Counter()

    def record(self, request: Request, status: int, endpoint: str, fault: str | None,
               rate_limited: bool, started: float) -> None:
        """Add one answered request."""
        body = None
        if request.body:
            if len(request.body) > _LOG_BODY_LIMIT:
                body = f"<{len(request.body)} bytes>"
            else:
                try:
                    body = redact(json.loads(request.body.decode("utf-8")))
                except (UnicodeDecodeError, ValueError):
                    body = "<non-JSON body redacted>" if request.content_type.endswith("urlencoded") \
                        else request.body.decode("utf-8", "replace")
        headers = {k: ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in request.headers.items()}
        entry = {
            "ts": started, "time": utcnow_iso(started), "method": request.method, "path": request.path,
            "query": request.query_string, "endpoint": endpoint, "status": status, "client": request.client,
            "fault": fault, "rate_limited": rate_limited,
            "duration_ms": round((time.time() - started) * 1000, 2), "headers": headers, "body": body,
        }
        with self._lock:
            self.total += 1
            self.times.append(started)
            if request.client:
                self.client_times[request.client].append(started)
            self.per_minute[utcnow_iso(started)[:16]] += 1
            self.by_endpoint[endpoint] += 1
            self.by_status[str(status)] += 1
            if rate_limited:
                self.rate_limited += 1
            if fault:
                self.faults_injected[fault] += 1
            self.entries.append(entry)
            if len(self.entries) > self.keep:
                del self.entries[: len(self.entries) - self.keep]

    @staticmethod
    def peak(times: list[float], window: float = 60.0) -> int:
        """Most requests seen in any sliding ``window`` seconds."""
        ordered = sorted(times)
        best = lo = 0
        for hi, t in enumerate(ordered):
            while t - ordered[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def snapshot(self, log_limit: int | None = 50) -> dict:
        """Counters plus the last ``log_limit`` entries (all when None)."""
        with self._lock:
            entries = list(self.entries if log_limit is None else self.entries[-log_limit:] if log_limit else [])
            return {
                "total": self.total,
                "per_minute": dict(sorted(self.per_minute.items())),
                "peak_per_minute": self.peak(self.times),
                "by_endpoint": dict(self.by_endpoint),
                "by_status": dict(self.by_status),
                "by_client": {c: {"total": len(t), "peak_per_minute": self.peak(t)}
                              for c, t in self.client_times.items()},
                "rate_limited": self.rate_limited,
                "faults_injected": dict(self.faults_injected),
                "log": entries,
            }


# --------------------------------------------------------------------------------------------------
# faults

class FaultBoard:
    """Fault switches: each is a mode, an optional remaining count and optional filters.

    A fault dict: ``{"mode": "5xx", "count": 2, "path": "regex", "method": "POST", "status": 503,
    "delay": 30, "after": false}``. ``count`` missing or null means "until cleared". Request faults
    match on path and method; webhook faults match on the event name through ``event`` (a regex).
    ``after`` (request faults) lets the vendor handle the request before the answer is spoiled.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[dict] = []
        self._ids = itertools.count(1)

    def set(self, spec: dict | list, replace: bool = False) -> list[dict]:
        """Add faults (a dict or a list of dicts); ``replace`` drops the existing ones first."""
        specs = spec if isinstance(spec, list) else [spec]
        parsed = []
        for item in specs:
            if not isinstance(item, dict) or item.get("mode") not in FAULT_MODES:
                raise HTTPError(400, {"error": f"mode must be one of {list(FAULT_MODES)}", "got": item})
            fault = {"id": next(self._ids), "mode": item["mode"], "count": item.get("count"),
                     "path": item.get("path"), "method": (item.get("method") or "").upper() or None,
                     "event": item.get("event"), "status": item.get("status"),
                     "delay": item.get("delay"), "after": bool(item.get("after")), "hits": 0}
            if fault["count"] is not None:
                fault["count"] = int(fault["count"])
            for key in ("path", "event"):
                if fault[key]:
                    try:
                        re.compile(fault[key])
                    except re.error as exc:
                        raise HTTPError(400, {"error": f"bad {key} regex: {exc}"}) from exc
            parsed.append(fault)
        with self._lock:
            if replace:
                self._faults = []
            self._faults.extend(parsed)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def list(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._faults]

    def _take(self, modes, predicate) -> dict | None:
        with self._lock:
            for fault in self._faults:
                if fault["mode"] in modes and predicate(fault):
                    fault["hits"] += 1
                    if fault["count"] is not None:
                        fault["count"] -= 1
                        if fault["count"] <= 0:
                            self._faults.remove(fault)
                    return dict(fault)
        return None

    def take_request(self, request: Request) -> dict | None:
        """The first request fault that matches this request (consuming one of its count)."""
        def matches(f):
            return ((not f["method"] or f["method"] == request.method)
                    and (not f["path"] or re.search(f["path"], request.path)))
        return self._take(REQUEST_FAULTS, matches)

    def take_webhook(self, event: str) -> dict | None:
        """The first webhook fault that matches this event name (consuming one of its count)."""
        return self._take(WEBHOOK_FAULTS, lambda f: not f["event"] or re.search(f["event"], event or ""))


# --------------------------------------------------------------------------------------------------
# rate limiting

class FixedWindowLimiter:
    """``limit`` requests per ``window`` seconds per key; windows start at a key's first request.

    ``check`` answers ``(allowed, limit, remaining, reset_seconds)``.
    """

    def __init__(self, limit: int, window: float):
        self.limit = int(limit)
        self.window = float(window)
        self._lock = threading.Lock()
        self._windows: dict[str, list] = {}

    def check(self, key: str, now: float | None = None) -> tuple[bool, int, int, int]:
        now = time.monotonic() if now is None else now
        with self._lock:
            start, count = self._windows.get(key, (None, 0))
            if start is None or now - start >= self.window:
                start, count = now, 0
            reset = max(0, int(round(start + self.window - now + 0.499)))
            if count >= self.limit:
                self._windows[key] = [start, count]
                return False, self.limit, 0, reset
            count += 1
            self._windows[key] = [start, count]
            return True, self.limit, self.limit - count, reset

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


# --------------------------------------------------------------------------------------------------
# timeline

class Timeline:
    """Each order's vendor-side story as a chain of steps.

    ``schedule(key, steps)`` queues the first step ``step_delay`` seconds from now; when a step has
    run, the next one of the same chain is queued ``step_delay`` seconds later. With ``step_delay``
    null (manual mode) nothing runs by itself: ``advance()`` runs pending steps at once, in order.
    Steps run outside the sandbox lock, so a webhook they send may call back into the sandbox.
    """

    def __init__(self, sandbox: "VendorSandbox"):
        self.sandbox = sandbox
        self._cond = threading.Condition()
        self._heap: list = []
        self._seq = itertools.count()
        self._stopped = False
        self._running = 0
        self.executed: list[dict] = []
        self._thread = threading.Thread(target=self._loop, name=f"{sandbox.name}-timeline", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    @property
    def step_delay(self) -> float | None:
        delay = self.sandbox.config.get("step_delay")
        return None if delay is None else float(delay)

    def schedule(self, key: str, steps: list[tuple[str, callable]]) -> None:
        """Queue a chain of ``(label, fn)`` steps for ``key`` (an order id)."""
        if steps:
            self._push(key, list(steps))

    def _push(self, key: str, steps: list) -> None:
        delay = self.step_delay
        due = float("inf") if delay is None else time.monotonic() + delay
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._seq), key, steps))
            self._cond.notify_all()

    def pending(self) -> list[dict]:
        """Queued steps (the next one of each chain), earliest first."""
        with self._cond:
            now = time.monotonic()
            return [{"key": key, "next": steps[0][0], "remaining": [s[0] for s in steps],
                     "due_in": None if due == float("inf") else round(max(0.0, due - now), 3)}
                    for due, _seq, key, steps in sorted(self._heap)]

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()
            self.executed = []

    def clear_key(self, key: str) -> int:
        """Drop the pending steps of one chain (e.g. a cancelled order); returns how many were dropped."""
        with self._cond:
            kept = [item for item in self._heap if item[2] != key]
            dropped = sum(len(item[3]) for item in self._heap if item[2] == key)
            self._heap = kept
            heapq.heapify(self._heap)
            return dropped

    def _run(self, key: str, steps: list) -> dict:
        label, fn = steps[0]
        record = {"key": key, "step": label, "time": utcnow_iso()}
        try:
            fn()
        except Exception as exc:  # a broken step must not kill the timeline thread
            record["error"] = repr(exc)
            traceback.print_exc(file=sys.stderr)
        with self._cond:
            self.executed.append(record)
        if len(steps) > 1:
            self._push(key, steps[1:])
        return record

    def _pop_where(self, pred, any_item: bool = False) -> tuple | None:
        with self._cond:
            if any_item:
                if not self._heap:
                    return None
                self._running += 1
                return heapq.heappop(self._heap)
            for item in sorted(self._heap):
                if pred(item):
                    self._heap.remove(item)
                    heapq.heapify(self._heap)
                    self._running += 1
                    return item
        return None

    def advance(self, steps: int | None = 1, key: str | None = None, limit: int = 10000) -> list[dict]:
        """Run up to ``steps`` pending steps now (all chains to completion when ``steps`` is None)."""
        done = []
        while (steps is None or len(done) < steps) and len(done) < limit:
            item = self._pop_where(lambda it: it[2] == key, any_item=key is None)
            if item is None:
                break
            try:
                done.append(self._run(item[2], item[3]))
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
        return done

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = None if not self._heap or self._heap[0][0] == float("inf") \
                        else max(0.0, self._heap[0][0] - time.monotonic())
                    self._cond.wait(timeout if timeout is None else min(timeout, 1.0))
                if self._stopped:
                    return
                _due, _seq, key, steps = heapq.heappop(self._heap)
                self._running += 1
            try:
                self._run(key, steps)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no step is due within the timeout and none is running (for tests)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while time.monotonic() < deadline:
                busy = self._running or any(d != float("inf") for d, *_ in self._heap)
                if not busy:
                    return True
                self._cond.wait(0.05)
        return False


# --------------------------------------------------------------------------------------------------
# webhooks

class WebhookSender:
    """POSTs webhooks to MedGrid (loopback only) and remembers each delivery."""

    def __init__(self, sandbox: "VendorSandbox"):
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.deliveries: list[dict] = []

    def clear(self) -> None:
        with self._lock:
            self.deliveries = []

    def send(self, event: str, url: str | None, body: bytes, sign, extra_headers: dict | None = None,
             order: str | None = None) -> list[dict]:
        """Deliver one event. ``sign(body, tamper)`` returns the signature headers for ``body``.

        Webhook faults apply here: ``drop`` records the event without sending it, ``bad_signature``
        signs with a wrong secret, ``duplicate`` sends the identical request twice.
        """
        fault = self.sandbox.faults.take_webhook(event)
        mode = fault["mode"] if fault else None
        headers = {"Content-Type": "application/json", "User-Agent": f"medgrid-sandbox/{self.sandbox.name}"}
        headers.update(extra_headers or {})
        headers.update(sign(body, mode == "bad_signature") or {})
        host_header = self.sandbox.config.get("medgrid_host_header")
        if host_header:
            headers["Host"] = host_header
        if mode == "drop":
            return [self._remember(event, url, headers, body, order, fault="drop", status=None,
                                   error="dropped by fault switch")]
        attempts = 2 if mode == "duplicate" else 1
        return [self._post(event, url, headers, body, order, mode) for _ in range(attempts)]

    def redeliver(self, delivery_id: int) -> dict:
        """Send a remembered delivery again: same bytes, same headers (a replay)."""
        with self._lock:
            found = next((d for d in self.deliveries if d["id"] == delivery_id), None)
        if not found:
            raise HTTPError(404, {"error": f"no delivery {delivery_id}"})
        return self._post(found["event"], found["url"], dict(found["headers"]), found["raw"].encode("utf-8"),
                          found["order"], "redelivery")

    def _post(self, event, url, headers, body, order, mode) -> dict:
        if not url:
            return self._remember(event, url, headers, body, order, fault=mode, status=None,
                                  error="no webhook URL configured")
        if not is_loopback_url(url):
            return self._remember(event, url, headers, body, order, fault=mode, status=None,
                                  error="refused: webhook target is not a loopback address")
        req = urllib.request.Request(url, data=body, method="POST", headers=headers)
        status, error, answer = None, None, None
        timeout = float(self.sandbox.config.get("webhook_timeout") or 10)
        try:
            with _NO_PROXY_OPENER.open(req, timeout=timeout) as resp:
                status = resp.status
                answer = resp.read(2048).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status = exc.code
            answer = exc.read(2048).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            error = repr(getattr(exc, "reason", exc))
        return self._remember(event, url, headers, body, order, fault=mode, status=status, error=error,
                              answer=answer)

    def _remember(self, event, url, headers, body, order, fault, status, error, answer=None) -> dict:
        try:
            parsed = json.loads(body.decode("utf-8"))
        except ValueError:
            parsed = None
        record = {"id": next(self._ids), "time": utcnow_iso(), "event": event, "order": order, "url": url,
                  "headers": headers, "body": parsed, "raw": body.decode("utf-8", "replace"),
                  "status": status, "error": error, "fault": fault, "answer": answer}
        with self._lock:
            self.deliveries.append(record)
        return record

    def snapshot(self, limit: int | None = None) -> dict:
        with self._lock:
            items = list(self.deliveries if limit is None else self.deliveries[-limit:])
            by_status = Counter(str(d["status"]) for d in self.deliveries)
            return {"sent": sum(1 for d in self.deliveries if d["status"] is not None),
                    "by_status": dict(by_status), "deliveries": items}


# never route loopback webhooks through an HTTP(S)_PROXY from the environment
_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --------------------------------------------------------------------------------------------------
# the server

class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MedGridSandbox/1.0"

    def setup(self):
        super().setup()
        # headers and body go out as two writes; without NODELAY, Nagle + delayed ACK add ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # access log only when asked for
        if self.server.sandbox.config.get("verbose"):
            sys.stderr.write(f"[{self.server.sandbox.name}] {fmt % args}\n")

    def _read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        body = self._read_body()
        request = Request(self.command, self.path, self.headers, body, self.client_address[0])
        response = self.server.sandbox.dispatch(request)
        if response is None:  # "down" or "timeout": hang up without an answer
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class VendorSandbox:
    """Base class of one vendor's sandbox. Subclasses add routes, state and timeline steps.

    Subclass hooks: ``default_config`` (dict), ``reset_state()``, ``snapshot()``, ``actions`` (name →
    method taking the action payload), ``rate_limit_response()`` for the ``429`` fault.
    """

    name = "vendor"
    default_port = 0
    default_config: dict = {}
    # the MedGrid endpoint this vendor's webhooks go to (joined to ``medgrid_url``)
    webhook_path: str | None = None

    def __init__(self, config: dict | None = None, host: str = "127.0.0.1", port: int | None = None):
        base = deep_merge({"step_delay": 2.0, "medgrid_url": None, "webhook_url": None,
                           "medgrid_host_header": None, "webhook_timeout": 10, "verbose": False,
                           "public_base_url": None, "timeout_fault_delay": 30}, self.default_config)
        self.config = deep_merge(base, config)
        if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
            raise ValueError("sandboxes listen on loopback addresses only")
        self.host = host
        self.port = self.default_port if port is None else port
        self.lock = threading.RLock()
        self.log = RequestLog()
        self.faults = FaultBoard()
        self.timeline = Timeline(self)
        self.webhooks = WebhookSender(self)
        self._stop_event = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = []
        for attr in dir(type(self)):
            fn = getattr(type(self), attr, None)
            spec = getattr(fn, "__sandbox_route__", None)
            if spec:
                self._routes.append((spec[0], spec[1], getattr(self, attr), spec[2]))
        self.reset_state()

    # ---- lifecycle
    def start(self) -> "VendorSandbox":
        """Bind the port (0 = any free one), start serving and the timeline; returns self."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.sandbox = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"{self.name}-http", daemon=True)
        self._thread.start()
        self.timeline.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any handler sleeping in a ``timeout`` fault, stop the timeline."""
        self._stop_event.set()
        self.timeline.stop()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def medgrid_settings(self) -> dict:
        """The MedGrid settings (doctype → field → value) that point MedGrid at this sandbox."""
        return {}

    @property
    def base_url(self) -> str:
        """Where this sandbox listens, e.g. ``http://127.0.0.1:9101``."""
        return f"http://{self.host}:{self.port}"

    @property
    def public_base_url(self) -> str:
        """The base URL the sandbox writes into links it hands out (ShipStation ``resource_url``)."""
        return (self.config.get("public_base_url") or self.base_url).rstrip("/")

    @property
    def webhook_url(self) -> str | None:
        """MedGrid's webhook URL for this vendor: ``webhook_url``, else ``medgrid_url`` + the path."""
        if self.config.get("webhook_url"):
            return self.config["webhook_url"]
        if self.config.get("medgrid_url") and self.webhook_path:
            return self.config["medgrid_url"].rstrip("/") + self.webhook_path
        return None

    # ---- hooks for subclasses
    def reset_state(self) -> None:
        """Forget every vendor-side record (orders, tokens…)."""

    def snapshot(self) -> dict:
        """Vendor-specific state for ``GET /__sandbox/state``."""
        return {}

    actions: dict = {}

    def rate_limit_response(self, request: Request) -> Response:
        """The answer for the ``429`` fault; vendors override with their own headers and body."""
        return Response.json({"error": "Too Many Requests"}, 429, {"Retry-After": "1"})

    def schedule(self, key: str, steps: list) -> None:
        """Queue an order's timeline (shorthand for ``self.timeline.schedule``)."""
        self.timeline.schedule(key, steps)

    # ---- dispatch
    def dispatch(self, request: Request) -> Response | None:
        """Answer one request: control endpoints, then faults, then the vendor route.

        A request fault with ``"after": true`` lets the vendor process the request first and then
        spoils the answer (a created order whose acknowledgement was lost), which is how a client's
        retry-and-dedupe path is exercised; without it the vendor never sees the request.
        """
        if request.path.startswith("/__sandbox"):
            try:
                return self._control(request)
            except HTTPError as exc:
                return exc.to_response()
            except Exception as exc:  # a bad control payload must not kill the handler thread
                traceback.print_exc(file=sys.stderr)
                return Response.json({"error": "bad control request", "detail": repr(exc)}, 400)
        started = time.time()
        fault = self.faults.take_request(request)
        mode = fault["mode"] if fault else None
        endpoint = self._endpoint_name(request)
        response, rate_limited = None, False
        if mode in (None, "malformed") or (fault and fault.get("after")):
            response, rate_limited = self._route(request)
            self.finalize_response(request, response)
        if mode == "down":
            self.log.record(request, 0, endpoint, mode, False, started)
            return None
        if mode == "timeout":
            self._stop_event.wait(float(fault.get("delay") or self.config.get("timeout_fault_delay") or 30))
            self.log.record(request, 0, endpoint, mode, False, started)
            return None
        if mode == "5xx":
            response = Response.json({"error": "sandbox injected server error"}, int(fault.get("status") or 500))
        elif mode == "429":
            response = self.rate_limit_response(request)
            rate_limited = True
        elif mode == "malformed":
            response = Response(200, b'{"truncated": tr', {k: v for k, v in response.headers.items()
                                                           if k.lower() != "content-type"})
        self.log.record(request, response.status, endpoint, mode, rate_limited, started)
        return response

    def _endpoint_name(self, request: Request) -> str:
        for method, pattern, _fn, raw in self._routes:
            if method == request.method and pattern.match(request.path):
                return f"{method} {raw}"
        return f"{request.method} {request.path}"

    def _route(self, request: Request) -> tuple[Response, bool]:
        allowed = set()
        for method, pattern, fn, _raw in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed.add(method)
                continue
            request.params = match.groupdict()
            try:
                result = fn(request)
            except HTTPError as exc:
                return exc.to_response(), exc.status == 429
            except Exception as exc:  # a sandbox bug: say so loudly, answer 500
                traceback.print_exc(file=sys.stderr)
                return Response.json({"error": "sandbox internal error", "detail": repr(exc)}, 500), False
            return result, result.status == 429
        if allowed:
            return Response.json({"error": "method not allowed"}, 405, {"Allow": ", ".join(sorted(allowed))}), False
        return self.not_found(request), False

    def finalize_response(self, request: Request, response: Response) -> None:
        """Last touch on a routed answer (ShipStation adds its rate-limit headers here)."""

    def not_found(self, request: Request) -> Response:
        """Answer for an unknown path (vendors override to match their own 404 shape)."""
        return Response.json({"error": "not found", "path": request.path}, 404)

    # ---- control surface
    def _control(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        payload = request.json() if request.body else {}
        payload = payload or {}
        if path == "/__sandbox/state" and request.method == "GET":
            return Response.json(self.state(request.arg("log", "50")))
        if path == "/__sandbox/faults":
            if request.method == "GET":
                return Response.json({"faults": self.faults.list()})
            if request.method == "DELETE" or (request.method == "POST" and isinstance(payload, dict)
                                              and payload.get("clear")):
                self.faults.clear()
                return Response.json({"faults": []})
            if request.method == "POST":
                spec = payload.get("faults", payload) if isinstance(payload, dict) else payload
                added = self.faults.set(spec, replace=bool(isinstance(payload, dict) and payload.get("replace")))
                return Response.json({"added": added, "faults": self.faults.list()})
        if path == "/__sandbox/advance" and request.method == "POST":
            steps = None if payload.get("all") else int(payload.get("steps", 1))
            done = self.timeline.advance(steps, payload.get("order"))
            return Response.json({"ran": done, "pending": self.timeline.pending()})
        if path == "/__sandbox/reset" and request.method == "POST":
            self.reset()
            return Response.json({"ok": True})
        if path == "/__sandbox/config":
            if request.method == "POST":
                with self.lock:
                    self.config = deep_merge(self.config, payload)
                    self.on_config_change()
            return Response.json({"config": redact(self.config)})
        if path == "/__sandbox/redeliver" and request.method == "POST":
            return Response.json(self.webhooks.redeliver(int(payload.get("delivery", 0))))
        if path == "/__sandbox/action" and request.method == "POST":
            action = self.actions.get(payload.get("action"))
            if not action:
                raise HTTPError(400, {"error": f"action must be one of {sorted(self.actions)}"})
            return Response.json(action(self, payload))
        raise HTTPError(404, {"error": "unknown sandbox control endpoint", "path": request.path})

    def on_config_change(self) -> None:
        """Called after ``POST /__sandbox/config`` merged new values (e.g. to rebuild limiters)."""

    def reset(self) -> None:
        """Clear state, log, faults, timeline and deliveries."""
        self.timeline.clear()
        self.faults.clear()
        self.log.clear()
        self.webhooks.clear()
        with self.lock:
            self.reset_state()

    def state(self, log: str | int | None = "50") -> dict:
        """The introspection document served at ``GET /__sandbox/state``."""
        limit = None if str(log) == "all" else int(log)
        requests = self.log.snapshot(limit)
        with self.lock:
            vendor = self.snapshot()
        return {"vendor": self.name, "base_url": self.base_url, "now": utcnow_iso(),
                "webhook_url": self.webhook_url, "requests": {k: v for k, v in requests.items() if k != "log"},
                "log": requests["log"], "webhooks": self.webhooks.snapshot(),
                "timeline": {"step_delay": self.timeline.step_delay, "pending": self.timeline.pending(),
                             "executed": list(self.timeline.executed)},
                "faults": self.faults.list(), **vendor}
