"""Rate limits shared across processes: the ``limits`` library (moving window), stored in Redis when the
site has ``redis_cache`` (gunicorn and RQ workers then share one budget), in memory otherwise. Limit keys
are fingerprints of credentials, never the credentials.

A caller whose account has no free slot sleeps until one frees, up to ``max_wait``; past that it gets a
:class:`RateLimitWait` naming when to come back. The workers are shared by every vendor, and one vendor's
spent window (ShipStation takes 40 requests a minute) must not hold the jobs that carry other vendors'
orders: within :func:`one_waiter_per_account` (every dispatch job) only one caller per account sleeps, the
waiter; the others are deferred, each to a later slot of its own (``window / amount`` apart, so they come
back spread over the window), and the waiter hands the line on when it has sent
(``medgrid.fulfillment_router.dispatch``). So at most one worker per spent account is asleep.
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
WAITER_GRACE_SECONDS = 10

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
def one_waiter_per_account():
    """Within the block, a caller that finds its account's window spent sleeps only as the account's one
    waiter; otherwise it gets :class:`RateLimitWait` at once."""
    previous = frappe.flags.medgrid_rate_limit_one_waiter
    frappe.flags.medgrid_rate_limit_one_waiter = True
    try:
        yield
    finally:
        frappe.flags.medgrid_rate_limit_one_waiter = previous


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

    def _waiter_key(self) -> bytes:
        return frappe.cache().make_key(f"medgrid:ratelimit-waiter:{self.vendor}:{self.key}")

    def _become_waiter(self) -> bytes | None:
        """Take this account's one waiting place (a token), or None when another caller holds it."""
        token = frappe.generate_hash(length=12).encode()
        # held no longer than the longest sleep: a worker killed asleep frees it by itself
        taken = frappe.cache().set(self._waiter_key(), token, ex=math.ceil(self.max_wait) + WAITER_GRACE_SECONDS,
                                   nx=True)
        return token if taken else None

    def _stop_waiting(self, token: bytes) -> None:
        cache = frappe.cache()
        if cache.get(self._waiter_key()) == token:
            cache.delete(self._waiter_key())

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
        """Block until a slot is free (sleeping on the clock), or raise :class:`RateLimitWait`.

        Under :func:`one_waiter_per_account` only one caller per account sleeps at a time (the waiter); the
        others are deferred to slots booked for them."""
        clock = get_clock()
        limiter, _storage = get_rate_limiter()
        one_waiter = bool(frappe.flags.medgrid_rate_limit_one_waiter)
        waited, waiter = 0.0, None
        try:
            while True:
                paused_until = frappe.cache().get_value(self._pause_key(), expires=True)
                wait = (paused_until - clock.time()) if paused_until else 0.0
                if wait <= 0:
                    if limiter.hit(self.item, "medgrid", self.vendor, self.key):
                        return
                    stats = limiter.get_window_stats(self.item, "medgrid", self.vendor, self.key)
                    # a request exactly ``window`` old still counts: wake just after it leaves the window
                    wait = max(0.0, stats.reset_time - clock.time()) + WINDOW_EDGE_SECONDS
                if one_waiter and not waiter:
                    waiter = self._become_waiter()
                # turned away: another caller holds this account's one waiting place
                if (one_waiter and not waiter) or waited + wait > self.max_wait:
                    slot = self.book(wait)
                    raise RateLimitWait(
                        f"{self.vendor}: local rate limit of {self.amount} requests per {self.window_seconds} s "
                        f"is spent; next slot in {wait:.0f} s, this call's in {slot:.0f} s", retry_after=slot)
                clock.sleep(wait)
                waited += wait
        finally:
            if waiter:
                self._stop_waiting(waiter)
