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
    KnownCause(
        "login-credentials-not-strings",
        "runtime/frappe/auth.py (LoginManager.authenticate)",
        "POST /api/method/login with JSON non-strings: {\"usr\": [null, null], …} reaches the SQL parameters "
        "(sqlite3.ProgrammingError / a MariaDB error), {\"usr\": true, \"pwd\": true} fails len(pwd) with "
        "TypeError; both answer 500 where a failed login (401 AuthenticationError) is due.",
        r"(ProgrammingError|OperationalError|InterfaceError|DataError|TypeError)", "authenticate"),
    KnownCause(
        "sales-order-without-items",
        "runtime/erpnext/selling/doctype/sales_order/sales_order.py (set_payment_schedule)",
        "POST /api/resource/Sales Order with no body (or no items) answers 500 TypeError "
        "(NoneType * float) in set_payment_schedule; ERPNext refuses an order without items with 417.",
        r"TypeError", "set_payment_schedule"),
    KnownCause(
        "list-fields-not-a-list",
        "runtime/frappe/model/db_query.py (DatabaseQuery.execute) — issue 12 item 16",
        "GET /api/resource/Sales Order?fields=0.5 (JSON that is not a list of strings) answers 500 "
        "TypeError: 'float' object is not iterable; caller input (4xx DataError / ValidationError).",
        r"TypeError: '\w+' object is not iterable", "execute"),
    KnownCause(
        "child-row-not-an-object",
        "runtime/frappe/model/base_document.py (BaseDocument.append)",
        "POST /api/resource/Sales Order with \"items\": [[null, null]] answers 500 ValueError 'Document "
        "attached to child table of None must be a dict or BaseDocument' (real Frappe 15 too); caller input (4xx).",
        r"ValueError: Document attached to child table", "append"),
    KnownCause(
        "child-table-not-a-list",
        "runtime/frappe/model/base_document.py / document.py (child tables given a string)",
        "POST /api/resource/Sales Order with \"items\": \"AAA\" answers 500 AttributeError: 'str' object has "
        "no attribute 'modified' (in set_user_and_timestamp: each character became a row); caller input (4xx).",
        r"AttributeError: 'str' object has no attribute", "set_user_and_timestamp"),
    KnownCause(
        "integer-out-of-range",
        "runtime/frappe (cint / Int columns) — issue 12 item 3; reached through the cancel hole in the report",
        "PUT /api/resource/Sales Order/<submitted> {\"docstatus\": 2, \"items\": [{…, \"qty\": 1.7e308, "
        "\"rx_refills\": 461746484313590}]} answers 500 OverflowError 'Python int too large to convert to SQLite "
        "INTEGER' (MariaDB: out of range); caller input (4xx).",
        r"(OverflowError|DataError|OperationalError).*(too large|[Oo]ut of range)", "db_insert"),
    KnownCause(
        "negative-limit-start",
        "runtime/frappe/model/db_query.py (limit / offset) — MariaDB only",
        "GET /api/resource/Sales Order?limit_start=-1 answers 500 pymysql ProgrammingError 1064 (SQL syntax "
        "near '-1', the SQL in the body) on MariaDB; SQLite ignores a negative offset. Caller input (4xx).",
        r"ProgrammingError: \(1064", "execute"),
    KnownCause(
        "resource-post-without-run-method",
        "runtime/frappe/api/v1.py (execute_doc_method)",
        "POST /api/resource/Sales Order/<name> without run_method answers 500 KeyError: 'run_method' "
        "(real Frappe 15 too); caller input, so a 4xx per issue 12's rule.",
        r"KeyError: 'run_method'", "execute_doc_method"),
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
