"""Server errors of the contract run whose cause is known, reported, and outside this folder's owners.

Each entry names one cause precisely: the exception and the function it is raised in (read from the
traceback the test site sends back; the run turns ``allow_error_traceback`` on for its own site).
A 500 that matches an entry is not counted against the operation — schemathesis reports only one
500 per operation, so an accepted known cause would otherwise hide any other 500 there — but it is
recorded, and ``test_known_causes_are_still_open`` lists every hit as an expected failure (xfail).
When the cause is fixed the entry stops matching, that test XPASSes, and the entry must go.

Nothing else is filtered: a 500 with any other traceback, a wrong status code, content type or body
fails its operation's test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KnownCause:
    key: str
    owner: str  # the file to fix (not this folder's)
    summary: str
    exception: str  # regex on the last traceback line ("<Exception>: <message>")
    frame: str  # a function the traceback must pass through

    def matches(self, traceback_text: str) -> bool:
        lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
        if not lines or not re.search(self.exception, lines[-1]):
            return False
        return re.search(rf'File ".*", line \d+, in {re.escape(self.frame)}\b', traceback_text) is not None


KNOWN_CAUSES = (
)


def traceback_of(body: bytes | str | None) -> str:
    """The server traceback in a Frappe v1 error body (``exc``: a JSON list of tracebacks), or ''."""
    try:
        data = json.loads(body or b"")
        tracebacks = json.loads(data.get("exc") or "[]") if isinstance(data, dict) else []
    except (TypeError, ValueError):
        return ""
    return "\n".join(t for t in tracebacks if isinstance(t, str))


def known_cause(status_code: int, body: bytes | str | None) -> KnownCause | None:
    """The known cause of a 500 answer, if it is one of :data:`KNOWN_CAUSES`."""
    if status_code != 500:
        return None
    text = traceback_of(body)
    return next((cause for cause in KNOWN_CAUSES if text and cause.matches(text)), None)
