"""Rate limits: the per-endpoint ``@rate_limit`` decorator and the site-wide request-time budget.

Site-wide (site config ``"rate_limit": {"limit": <seconds>, "window": <seconds>}``): all requests of
the site share one budget of processing time per window, counted in microseconds in the cache key
``rate-limit-counter-<window number>``. A request that starts when the budget is spent gets 429.
Every response then carries ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from werkzeug.wrappers import Response

import frappe
from frappe import _


def _cint(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def apply() -> None:
    """``before_request`` hook: start the limiter for this request (rejecting it if over budget)."""
    rate_limit = frappe.conf.get("rate_limit")
    if rate_limit:
        frappe.local.rate_limiter = RateLimiter(rate_limit["limit"], rate_limit["window"])
        frappe.local.rate_limiter.apply()


def update() -> None:
    """After the response went out: add this request's duration to the shared counter."""
    limiter = getattr(frappe.local, "rate_limiter", None)
    if limiter is not None:
        limiter.update()


def respond():
    """The plain-text 429 for page requests rejected by the site-wide limiter."""
    limiter = getattr(frappe.local, "rate_limiter", None)
    if limiter is not None:
        return limiter.respond()
    return Response(_("Too Many Requests"), status=429)


class RateLimiter:
    """The site-wide budget as seen by one request."""

    __slots__ = (
        "counter",
        "duration",
        "end",
        "key",
        "limit",
        "rejected",
        "remaining",
        "reset",
        "spent",
        "start",
        "window",
        "window_number",
    )

    def __init__(self, limit, window):
        self.limit = int(float(limit) * 1000000)
        self.window = int(window)
        self.start = time.time()
        # windows are aligned to multiples of `window` since the epoch
        self.window_number, self.spent = divmod(int(self.start), self.window)
        cache = frappe.cache()
        self.key = cache.make_key(f"rate-limit-counter-{self.window_number}")
        self.counter = _cint(cache.get(self.key))
        self.remaining = max(self.limit - self.counter, 0)
        self.reset = self.window - self.spent
        self.end = None
        self.duration = None
        self.rejected = False

    def apply(self) -> None:
        if self.counter > self.limit:
            self.rejected = True
            self.reject()

    def reject(self) -> None:
        raise frappe.TooManyRequestsError

    def update(self) -> None:
        self.record_request_end()
        cache = frappe.cache()
        if hasattr(cache, "pipeline"):
            pipeline = cache.pipeline(transaction=False)
            pipeline.incrby(self.key, self.duration)
            pipeline.expire(self.key, self.window)
            pipeline.execute()
        else:
            cache.incrby(self.key, self.duration)
            cache.expire(self.key, self.window)

    def headers(self) -> dict:
        """The X-RateLimit-* headers; Remaining is rounded to whole seconds of budget."""
        self.record_request_end()
        headers = {
            "X-RateLimit-Reset": self.reset,
            "X-RateLimit-Limit": self.limit,
            "X-RateLimit-Remaining": int(round(self.remaining, -6)),
        }
        if self.rejected:
            headers["Retry-After"] = self.reset
        return headers

    def record_request_end(self) -> None:
        if self.end is not None:
            return
        self.end = time.time()
        self.duration = int((self.end - self.start) * 1000000)

    def respond(self):
        if self.rejected:
            return Response(_("Too Many Requests"), status=429)
        return None


def rate_limit(
    key: str | None = None,
    limit: int | Callable = 5,
    seconds: int = 24 * 60 * 60,
    methods: str | list = "ALL",
    ip_based: bool = True,
):
    """Allow at most ``limit`` calls per ``seconds`` (fixed window) for one caller of an endpoint.

    The caller is ``ip:form_dict[key]`` with both ``key`` and ``ip_based``, else the IP, else the
    value of ``form_dict[key]``. Put the decorator under ``@frappe.whitelist()``.
    """

    def ratelimit_decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            request = getattr(frappe.local, "request", None)
            # no limits outside a request, or for verbs the endpoint did not opt in
            if not request or (methods != "ALL" and request.method and request.method.upper() not in methods):
                return fn(*args, **kwargs)

            _limit = limit() if callable(limit) else limit
            ip = frappe.local.request_ip if ip_based is True else None
            user_key = frappe.form_dict.get(key, "") if key else ""

            identity = None
            if key and ip_based:
                identity = ":".join([str(ip), str(user_key)])
            identity = identity or ip or user_key
            if not identity:
                frappe.throw(_("Either key or IP flag is required."))

            cache = frappe.cache()
            cache_key = cache.make_key(f"rl:{frappe.form_dict.cmd}:{identity}")
            value = cache.get(cache_key) or 0
            if not value:
                cache.setex(cache_key, seconds, 0)
            value = cache.incrby(cache_key, 1)
            if value > _limit:
                frappe.throw(
                    _("You hit the rate limit because of too many requests. Please try after sometime."),
                    frappe.RateLimitExceededError,
                )
            return fn(*args, **kwargs)

        return wrapper

    return ratelimit_decorator
