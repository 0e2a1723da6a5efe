"""Rate limits shared across processes: the ``limits`` library (moving window), stored in Redis when the
site has ``redis_cache`` (gunicorn and RQ workers then share one budget), in memory otherwise. Limit keys
are fingerprints of credentials, never the credentials."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import frappe
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from medgrid.connectors.base import VendorError
from medgrid.connectors.clock import get_clock

WINDOW_EDGE_SECONDS = 0.01

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
