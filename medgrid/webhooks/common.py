"""What every webhook endpoint shares: raw body, rejection, store-with-dedupe, and the apply job.

The fast path (``store_event``) only writes one row and commits: no vendor call, no order lookup, so
a vendor's 5-second budget (guide "Webhook Best Practices") is never spent on MedGrid's work.
Duplicates are decided by the database, not by a look-up: ``MedGrid Webhook Event.dedupe_key`` has a
unique index, so of two concurrent deliveries exactly one insert wins and the other is answered 200
as a duplicate — a check-then-insert would let both through.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.utils import cint, convert_utc_to_system_timezone, get_datetime, now_datetime

from medgrid.connectors.redaction import redact_mapping
from medgrid.constants import SALES_ORDER, WEBHOOK_EVENT
from medgrid.exceptions import InvalidParameterError, WebhookVerificationError
from medgrid.vendors import get_vendor

LOGGER_NAME = "medgrid.webhooks"
APPLY_JOB = "medgrid.webhooks.common.apply_event"
APPLY_QUEUE = "short"

# Event statuses (the doctype's Select options)
RECEIVED = "Received"
PROCESSED = "Processed"
IGNORED = "Ignored"
UNMATCHED = "Unmatched"
FAILED = "Failed"

MAX_ERROR_CHARS = 10_000

VERIFICATION_FAILED = "Webhook verification failed"


class WebhookRejected(Exception):
    """Raised by a pure verify function; ``reason`` goes to the log, never to the caller."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class StoredEvent:
    """What the fast path did with a delivery."""

    name: str | None
    duplicate: bool


@dataclass
class Outcome:
    """What a vendor's apply did with one stored event."""

    status: str
    sales_order: str | None = None
    note: str | None = None


# ------------------------------------------------------------------------------------- request

def logger():
    """The webhook logger (a site-aware Frappe logger in production)."""
    return frappe.logger(LOGGER_NAME)


def raw_body() -> bytes:
    """The request body exactly as sent — signatures are computed over these bytes, before parsing."""
    return frappe.request.get_data() or b""


def request_header(name: str) -> str | None:
    """A request header (names are case-insensitive), stripped; None when absent or empty."""
    value = frappe.get_request_header(name)
    value = value.strip() if isinstance(value, str) else value
    return value or None


def query_param(name: str) -> str | None:
    """A query-string parameter. Read from the URL itself: Frappe ignores the query string for
    ``form_dict`` when the body is JSON, and vendors put their tokens in the webhook URL."""
    value = frappe.request.args.get(name)
    return value.strip() if value else None


def reject(vendor: str, reason: str):
    """Log one rejection line and answer 401 in Frappe's error shape; nothing is stored.

    The caller learns only that verification failed: which check failed (or that a vendor has no
    secret configured) is for MedGrid's log, not for whoever sent the request.
    """
    logger().warning("webhook rejected: vendor=%s reason=%s ip=%s", vendor, reason,
                     getattr(frappe.local, "request_ip", None))
    frappe.throw(_(VERIFICATION_FAILED), WebhookVerificationError, title=_("Unauthorized"))


def parse_json_object(raw: bytes) -> dict:
    """The verified body as a JSON object; anything else is a 400 (nothing stored)."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidParameterError(_("The webhook body must be a JSON object"))
    return body


def sha256_hex(data: bytes | str) -> str:
    """Lowercase hex SHA-256 of bytes or text (UTF-8)."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------- store

def make_dedupe_key(vendor: str, source: str) -> str:
    """SHA-256 (hex) of ``<vendor>:<the vendor's event identity>``: a fixed-width unique key whatever the
    identity's length (a ShipStation resource_url runs to 200 characters); the identity itself is kept
    readable in ``dedupe_source``."""
    return sha256_hex(f"{vendor}:{source}")


def store_event(*, vendor: str, event_type: str | None, dedupe_source: str, dedupe_origin: str, raw: bytes,
                occurred_at: datetime | None = None, context: dict | None = None,
                status: str = RECEIVED) -> StoredEvent:
    """Insert the event under its unique dedupe key, commit, and (for ``Received``) enqueue the apply.

    A delivery whose key is already stored is a duplicate: the insert fails on the unique index, the
    transaction is rolled back, and the caller answers 200 without applying anything again.
    """
    key = make_dedupe_key(vendor, dedupe_source)
    request = frappe.request
    doc = frappe.get_doc({
        "doctype": WEBHOOK_EVENT,
        "vendor": vendor,
        "event_type": (event_type or "")[:140] or None,
        "dedupe_key": key,
        "dedupe_source": f"{dedupe_origin}: {dedupe_source}"[:1000],
        "status": status,
        "occurred_at": occurred_at,
        "received_at": now_datetime(),
        "attempts": 0,
        # the same redaction as the vendor calls' integration log (medgrid/connectors/redaction.py)
        "headers": json.dumps({"headers": redact_mapping(request.headers), "query": redact_mapping(request.args),
                               "context": context or {}}, default=str),
        "payload": raw.decode("utf-8", "replace"),
    })
    messages_before = len(frappe.get_message_log())
    try:
        doc.insert(ignore_permissions=True)
    except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
        # The insert is the request's only write, so the whole transaction is undone (PostgreSQL
        # must, after a failed statement). No savepoint on purpose: on SQLite an explicit BEGIN
        # before the insert's own reads pins a read snapshot, and a concurrent delivery committing
        # first then makes the insert fail with "database is locked" instead of waiting its turn.
        frappe.db.rollback()
        # the insert's "must be unique" message is not an error for the vendor: a repeat is fine
        while len(frappe.get_message_log()) > messages_before:
            frappe.clear_last_message()
        existing = frappe.db.get_value(WEBHOOK_EVENT, {"dedupe_key": key}, "name")
        logger().info("webhook duplicate: vendor=%s key=%s event=%s", vendor, key, existing)
        return StoredEvent(existing, True)
    if status == RECEIVED:
        enqueue_apply(doc.name, after_commit=True)
    frappe.db.commit()
    return StoredEvent(doc.name, False)


def accepted(stored: StoredEvent) -> dict:
    """The 200 answer: the vendor only needs to know the delivery is safe with MedGrid."""
    return {"ok": True, "duplicate": stored.duplicate}


def enqueue_apply(event: str, after_commit: bool = True) -> None:
    """Queue the background apply of one stored event."""
    # not ``event=``: frappe.enqueue keeps that keyword for itself
    frappe.enqueue(APPLY_JOB, queue=APPLY_QUEUE, enqueue_after_commit=after_commit, webhook_event=event)


# --------------------------------------------------------------------------------------- apply

def apply_event(webhook_event: str) -> str | None:
    """Background job: apply one stored event through its vendor's handler, exactly once.

    The event row is locked and re-read first, so a second job for the same event (a sweep racing the
    original job) finds it already settled and does nothing.
    """
    event = webhook_event
    if not frappe.db.exists(WEBHOOK_EVENT, event):
        return None
    doc = frappe.get_doc(WEBHOOK_EVENT, event, for_update=True)
    if doc.status not in (RECEIVED, FAILED):
        return doc.status
    attempts = cint(doc.attempts) + 1
    try:
        # the background half of each vendor is its descriptor's webhook apply
        descriptor = get_vendor(doc.vendor)
        if not descriptor or not descriptor.webhook_apply:
            raise LookupError(f"no webhook apply is registered for vendor {doc.vendor}")
        outcome = frappe.get_attr(descriptor.webhook_apply)(doc)
    except Exception as e:
        frappe.db.rollback()
        _settle(event, FAILED, attempts, error=f"{type(e).__name__}: {e}\n\n{frappe.get_traceback()}")
        logger().error("webhook apply failed: vendor=%s event=%s error=%s", doc.vendor, event, type(e).__name__)
        frappe.db.commit()
        return FAILED
    _settle(event, outcome.status, attempts, sales_order=outcome.sales_order, error=outcome.note)
    frappe.db.commit()
    if outcome.status == UNMATCHED:
        logger().warning("webhook unmatched: vendor=%s event=%s type=%s", doc.vendor, event, doc.event_type)
    return outcome.status


def _settle(event: str, status: str, attempts: int, *, sales_order: str | None = None,
            error: str | None = None) -> None:
    values = {"status": status, "attempts": attempts, "processed_at": now_datetime(),
              "error": (error or None) and error[:MAX_ERROR_CHARS]}
    if sales_order:
        values["sales_order"] = sales_order
    frappe.db.set_value(WEBHOOK_EVENT, event, values, update_modified=True)


def event_context(event) -> dict:
    """What the endpoint learned while verifying (e.g. the ShipStation connection, the shop)."""
    try:
        return (json.loads(event.headers or "{}") or {}).get("context") or {}
    except ValueError:
        return {}


def event_body(event) -> dict:
    """The stored payload as a dict ({} when it is not a JSON object)."""
    try:
        body = json.loads(event.payload or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# ------------------------------------------------------------------------------ order matching

def existing_order(name) -> str | None:
    """``name`` when it is a submitted (or since cancelled) Sales Order; drafts never reach a vendor."""
    if not name or not isinstance(name, str) or len(name) > 140:
        return None
    docstatus = frappe.db.get_value(SALES_ORDER, name, "docstatus")
    return name if docstatus in (1, 2) else None


def order_by_field(fieldname: str, value) -> str | None:
    """The newest submitted Sales Order whose ``fieldname`` is ``value``."""
    if value in (None, ""):
        return None
    return frappe.db.get_value(SALES_ORDER, {fieldname: str(value), "docstatus": ["in", [1, 2]]}, "name",
                               order_by="creation desc")


def lock_order(name: str) -> None:
    """Serialise the apply of events for one order (their stale checks must not interleave)."""
    frappe.db.get_value(SALES_ORDER, name, "name", for_update=True)


def is_stale(vendor: str, sales_order: str, occurred_at, exclude: str | None = None) -> bool:
    """True when an event applied for this order and vendor happened later than ``occurred_at``.

    Vendors retry and reorder deliveries, so an older event arriving late must not overwrite a
    newer status. Events without a time are never stale.
    """
    if not occurred_at:
        return False
    # frappe.qb, not a get_all "is set" filter: that compares the timestamp with '' (a MySQL-ism PostgreSQL
    # refuses); ``is not null`` means the same on every engine
    event = frappe.qb.DocType(WEBHOOK_EVENT)
    query = (frappe.qb.from_(event).select(event.occurred_at)
             .where((event.vendor == vendor) & (event.sales_order == sales_order) & (event.status == PROCESSED)
                    & event.occurred_at.isnotnull()))
    if exclude:
        query = query.where(event.name != exclude)
    latest = query.orderby(event.occurred_at, order=Order.desc).limit(1).run()
    return bool(latest) and get_datetime(occurred_at) < get_datetime(latest[0][0])


def parse_timestamp(value) -> datetime | None:
    """A vendor time (ISO-8601 with ``Z``/offset, or unix seconds / milliseconds) as a naive datetime
    in the system time zone, which is how Frappe stores Datetime fields; None when unreadable."""
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
            seconds = float(value)
            if seconds > 1e11:  # milliseconds
                seconds /= 1000
            moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        else:
            text = str(value).strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is not None:
        utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
        moment = convert_utc_to_system_timezone(utc).replace(tzinfo=None)
    return moment
