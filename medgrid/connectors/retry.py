"""How a vendor call is retried: the vendor's :class:`RetryPolicy`, its wait hints (``Retry-After`` and the
like) and the tenacity wait that obeys them."""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import datetime, timezone

import tenacity

from medgrid.connectors.clock import get_clock

RETRY_AFTER_HEADER = "Retry-After"


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


class RetryableOutcome(Exception):
    """One attempt ended in a way the policy retries (a status in ``retry_statuses`` or a network error)."""

    def __init__(self, message: str, *, response=None, retry_after: float | None = None):
        super().__init__(message)
        self.response = response
        self.retry_after = retry_after


class WaitHintOrBackoff(tenacity.wait.wait_base):
    """The vendor's hinted wait (plus a little jitter) when it gave one, else exponential backoff."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        # base × 2^(n-1) plus up to base of jitter (wait_exponential_jitter's sum, spelled with the two waits
        # every tenacity release has: its ``initial`` is deprecated in 9.2, the ``multiplier`` it asks for is new)
        self.backoff = (tenacity.wait_exponential(multiplier=policy.backoff_base, max=policy.backoff_max)
                        + tenacity.wait_random(0, policy.backoff_base))

    def __call__(self, retry_state) -> float:
        outcome = retry_state.outcome.exception() if retry_state.outcome else None
        hinted = getattr(outcome, "retry_after", None)
        if hinted is not None:
            return hinted + random.uniform(0, self.policy.retry_after_jitter)
        return min(self.backoff(retry_state), self.policy.backoff_max)
