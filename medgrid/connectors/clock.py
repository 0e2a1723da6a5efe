"""The clock every connector reads (token expiry, rate-limit waits, backoff sleeps); tests install a fake."""

from __future__ import annotations

import time


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
