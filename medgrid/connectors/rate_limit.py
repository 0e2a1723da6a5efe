"""Rate limits shared across processes: the ``limits`` library (moving window), stored in Redis when the
site has ``redis_cache`` (gunicorn and RQ workers then share one budget), in memory otherwise. Limit keys
are fingerprints of credentials, never the credentials.

A caller whose account has no free slot sleeps until one frees, up to ``max_wait``; past that it gets a
:class:`RateLimitWait` naming when to come back. A dispatch job waits at most :data:`DISPATCH_MAX_WAIT`
(:func:`waiting_at_most`): the workers are shared by every vendor, and one vendor's spent window (ShipStation
takes 40 requests a minute) must not hold the jobs that carry other vendors' orders. Each such caller is
given its own later slot (``window / amount`` apart), so a queue of deferred sends comes back spread over
the window instead of all at once.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import frappe
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from medgrid.connectors.base import VendorError
from medgrid.connectors.clock import get_clock

WINDOW_EDGE_SECONDS = 0.01
# ShipStation's steady pace is one request every 1.5 s: a dispatch job waits out that much, not a window
DISPATCH_MAX_WAIT = 2.0

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


class RateLimitWait(VendorError):
    """The account's window stays spent for longer than this caller may wait: come back in ``retry_after``
    seconds (a slot booked for it). Nothing was sent and the vendor refused nothing."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message, retryable=True, status_code=429, retry_after=retry_after)


@contextmanager
def waiting_at_most(seconds: float):
    """Within the block, no rate limit holds this worker longer than ``seconds``."""
    previous = frappe.flags.medgrid_rate_limit_max_wait
    frappe.flags.medgrid_rate_limit_max_wait = seconds
    try:
        yield
    finally:
        frappe.flags.medgrid_rate_limit_max_wait = previous


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

    def _booking_key(self) -> str:
        return f"medgrid:ratelimit-booked:{self.vendor}:{self.key}"

    def _max_wait(self) -> float:
        cap = frappe.flags.medgrid_rate_limit_max_wait
        return self.max_wait if cap is None else min(self.max_wait, cap)

    def book(self, wait: float) -> float:
        """Seconds until a slot of its own for a caller told to wait ``wait``: the first after ``wait`` that
        no earlier deferred caller was given (a hint, spaced ``window / amount`` apart; the limiter still
        decides when that caller comes back)."""
        cache, now = frappe.cache(), get_clock().time()
        booked = cache.get_value(self._booking_key())
        slot = max(now + wait, float(booked) if booked else 0.0)
        following = slot + self.window_seconds / self.amount
        cache.set_value(self._booking_key(), following,
                        expires_in_sec=max(1, math.ceil(following - now)) + self.window_seconds)
        return slot - now

    def pause(self, seconds: float) -> None:
        """Hold every worker's calls on this account for ``seconds`` (vendor said the window is spent)."""
        until = get_clock().time() + max(0.0, seconds)
        frappe.cache().set_value(self._pause_key(), until, expires_in_sec=max(1, math.ceil(seconds) + 1))

    def acquire(self) -> None:
        """Block until a slot is free (sleeping on the clock), or raise :class:`RateLimitWait`."""
        clock = get_clock()
        limiter, _storage = get_rate_limiter()
        max_wait = self._max_wait()
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
            if waited + wait > max_wait:
                slot = self.book(wait)
                raise RateLimitWait(
                    f"{self.vendor}: local rate limit of {self.amount} requests per {self.window_seconds} s "
                    f"is spent; next slot in {wait:.0f} s, this call's in {slot:.0f} s", retry_after=slot)
            clock.sleep(wait)
            waited += wait
