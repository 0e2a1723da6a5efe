"""What MedGrid answers where it deliberately differs from the recorded Frappe answer.

Used by ``known_differences.py`` entries of kind ``deliberate``: instead of the recorded response,
the live one is checked against an ``Answer`` (status, ``exc_type``, message, words the body must
not contain, and an optional check of the rows). Every ``Answer`` states the reason in the
known-differences entry that holds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from .compare import Difference, decode_server_messages


def _messages(body: dict) -> list[str]:
    out = []
    raw = body.get("_server_messages")
    if isinstance(raw, str):
        try:
            out.extend(str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in decode_server_messages(raw))
        except (ValueError, TypeError):
            out.append(raw)
    for key in ("exception", "_error_message", "message"):
        if isinstance(body.get(key), str):
            out.append(body[key])
    return out


@dataclass
class Answer:
    """MedGrid's answer to one exchange.

    status       an int, or a collection of allowed ints (e.g. ``CLIENT_ERRORS``)
    exc_type     None (no error expected), a string, a collection of allowed strings, or ANY (any
                 exc_type, but one must be there)
    message      a text one of the error's messages must contain (``_server_messages``, ``exception``…)
    forbid       texts the raw body must not contain (SQL, server paths)
    rows         (json body, timeline state) -> list of problems: what a successful answer must hold
    describe     one line for failure reports
    """

    status: Any
    exc_type: Any = None
    message: str | None = None
    forbid: tuple = ()
    rows: Callable[[Any, Any], list] | None = None
    describe: str = ""
    extra: dict = field(default_factory=dict)

    def _allowed(self, value, wanted) -> bool:
        if isinstance(wanted, (set, frozenset, tuple, list, range)):
            return value in wanted
        return value == wanted

    def check(self, live, state) -> list[Difference]:
        diffs: list[Difference] = []
        label = f"MedGrid's answer ({self.describe})" if self.describe else "MedGrid's answer"
        if not self._allowed(live.status, self.status):
            wanted = sorted(self.status) if isinstance(self.status, (set, frozenset)) else self.status
            if isinstance(self.status, range):
                wanted = f"{self.status.start}..{self.status.stop - 1}"
            diffs.append(Difference("status", wanted, live.status, label))
        if (live.content_type or "").split(";")[0] != "application/json":
            diffs.append(Difference("content_type", "application/json", live.content_type, label))
            return diffs
        try:
            body = live.json()
        except ValueError:
            diffs.append(Difference("body", "a JSON body", live.text[:300], label))
            return diffs
        body = body if isinstance(body, dict) else {"<list>": body}
        actual_exc = body.get("exc_type")
        if self.exc_type == ANY:
            if not actual_exc:
                diffs.append(Difference("body.exc_type", "an exc_type", actual_exc, label))
        elif self.exc_type is None:
            if actual_exc is not None:
                diffs.append(Difference("body.exc_type", None, actual_exc, label))
        elif not self._allowed(actual_exc, self.exc_type):
            wanted = sorted(self.exc_type) if isinstance(self.exc_type, (set, frozenset)) else self.exc_type
            diffs.append(Difference("body.exc_type", wanted, actual_exc, label))
        if self.message is not None and not any(self.message in m for m in _messages(body)):
            diffs.append(Difference("body(messages)", self.message, _messages(body)[:3], label + ": message not found"))
        text = live.text
        for word in self.forbid:
            if word.lower() in text.lower():
                diffs.append(Difference("body", f"no {word!r}", text[:300], label + ": the body must not contain it"))
        if self.rows is not None and not diffs:
            for problem in self.rows(body, state):
                diffs.append(Difference("body(rows)", self.describe, problem, label))
        return diffs


CLIENT_ERRORS = range(400, 500)
ANY = "<any exc_type>"
# what an error body must never echo (issue 12 item 16): the SQL the runtime built
SQL_WORDS = ("select ", "`tab", "from `", "syntax")


def same_error_as_4xx(recorded_response: dict, describe: str) -> Answer:
    """The issue's rule for a recorded 500 caused by caller input: a 4xx with the same exc_type and
    message."""
    body = recorded_response.get("body_json") or {}
    exception = body.get("exception") or ""
    _, _, message = exception.partition(": ")
    return Answer(status=CLIENT_ERRORS, exc_type=body.get("exc_type"), message=message or None,
                  describe=describe)


def rows_where(key: str, predicate: Callable[[dict, Any], bool], what: str, total: Callable[[Any], int] | None = None):
    """A ``rows`` check: every row of ``body[key]`` satisfies ``predicate(row, state)``; ``total``
    (state -> int) is the number of rows expected."""

    def check(body: dict, state) -> list:
        rows = body.get(key)
        if not isinstance(rows, list):
            return [f"body.{key} is not a list: {json.dumps(rows)[:200]}"]
        problems = [f"row {json.dumps(r)[:200]} is not {what}" for r in rows if not predicate(r, state)][:5]
        if total is not None:
            wanted = total(state)
            if len(rows) != wanted:
                problems.append(f"{len(rows)} rows, expected {wanted} ({what})")
        return problems

    return check
