"""PerfectRx webhooks: ``POST /api/method/medgrid.perfectrx.webhook`` (guide "Inbound Webhook from PerfectRx").

Verification (contracts "PerfectRx"): ``X-PerfectRx-Signature`` is the lowercase hex
HMAC-SHA256, keyed with ``PerfectRx Settings.client_secret``, of ``nonce + timestamp +
hex(sha256(raw body))`` — the ``X-PerfectRx-Nonce`` and ``X-PerfectRx-Timestamp`` header values
concatenated as sent. A timestamp further than ``webhook_tolerance_seconds`` (default 300) from now
is refused, and so is a nonce already seen: nonces are remembered in ``frappe.cache()`` (one atomic
SET NX with a TTL of twice the window, so every timestamp the window accepts is covered), and the
nonce is also the event's unique dedupe key, which catches a replay the cache no longer remembers.

Events (guide "Webhook Events") set ``perfectrx_status``: ORDER_RECEIVED → Received,
ORDER_SHIPPED / ORDER_RESHIPPED → Shipped (with tracking), ORDER_DELIVERED → Delivered,
ORDER_CANCELED → Cancelled. PATIENT_CREATION_SUCCESS records the patient id only;
PATIENT_CREATION_FAILURE flags the order ``perfectrx_needs_attention`` and leaves a comment for manual
follow-up. Orders are matched by ``externalOrderId`` (the Sales Order name) or ``referenceId``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

import frappe
from frappe import _
from frappe.utils import cint, escape_html
from frappe.utils.password import get_decrypted_password

from medgrid.vendors.builtin import PERFECTRX, PERFECTRX_NEEDS_ATTENTION, PERFECTRX_PATIENT_ID
from medgrid.vendors.update import VendorUpdate
from medgrid.webhooks import common, status_order
from medgrid.webhooks.common import IGNORED, PROCESSED, UNMATCHED, Outcome, WebhookRejected

VENDOR = "perfectrx"
SETTINGS = "PerfectRx Settings"
DEFAULT_TOLERANCE_SECONDS = 300

SIGNATURE_HEADER = "X-PerfectRx-Signature"
NONCE_HEADER = "X-PerfectRx-Nonce"
TIMESTAMP_HEADER = "X-PerfectRx-Timestamp"
NONCE_CACHE_PREFIX = "medgrid:webhook:perfectrx:nonce:"
# A UUID in practice; anything printable and short enough to be a cache key and a dedupe key
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")

FIELD_PATIENT_ID = PERFECTRX_PATIENT_ID
FIELD_NEEDS_ATTENTION = PERFECTRX_NEEDS_ATTENTION

# The guide's event table → perfectrx_status
STATUS_BY_EVENT = {
    "ORDER_RECEIVED": "Received",
    "ORDER_SHIPPED": "Shipped",
    "ORDER_RESHIPPED": "Shipped",
    "ORDER_DELIVERED": "Delivered",
    "ORDER_CANCELED": "Cancelled",
}
# Events whose payload may carry a (new) tracking number
TRACKING_EVENTS = ("ORDER_SHIPPED", "ORDER_RESHIPPED", "ORDER_DELIVERED")
RESHIPPED = "ORDER_RESHIPPED"
PATIENT_CREATION_SUCCESS = "PATIENT_CREATION_SUCCESS"
PATIENT_CREATION_FAILURE = "PATIENT_CREATION_FAILURE"


# ------------------------------------------------------------------------------------ layer 1

def compute_signature(raw_body: bytes, nonce: str, timestamp: str, secret: str) -> str:
    """The signature PerfectRx sends for this body, nonce and timestamp (lowercase hex)."""
    message = nonce + timestamp + hashlib.sha256(raw_body).hexdigest()
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_signature(raw_body: bytes, *, signature: str | None, nonce: str | None, timestamp: str | None,
                     secret: str | None, now: float, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> None:
    """Decide on a delivery from its raw bytes and headers alone; raises :class:`WebhookRejected`.

    Pure: no database, no cache, no clock of its own (``now`` is passed in), so it is tested with
    plain bytes.
    """
    if not secret:
        raise WebhookRejected("no PerfectRx client_secret is configured")
    if not (signature and nonce and timestamp):
        raise WebhookRejected("signature, nonce or timestamp header missing")
    if not NONCE_PATTERN.match(nonce):
        raise WebhookRejected("malformed nonce")
    if not timestamp.isdigit():
        raise WebhookRejected("malformed timestamp")
    expected = compute_signature(raw_body, nonce, timestamp, secret)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookRejected("signature mismatch")
    if abs(now - int(timestamp)) > tolerance:
        raise WebhookRejected("timestamp outside the tolerance window")


# ------------------------------------------------------------------------------------ layer 2

def _tolerance() -> int:
    return cint(frappe.db.get_single_value(SETTINGS, "webhook_tolerance_seconds")) or DEFAULT_TOLERANCE_SECONDS


def _nonce_key(nonce: str) -> str:
    return frappe.cache().make_key(NONCE_CACHE_PREFIX + nonce)


def remember_nonce(nonce: str, ttl: int) -> bool:
    """Record the nonce; False when it was already recorded (one atomic SET NX, so two concurrent
    replays cannot both pass)."""
    return bool(frappe.cache().set(_nonce_key(nonce), b"1", ex=max(1, ttl), nx=True))


def forget_nonce(nonce: str) -> None:
    """Drop a nonce whose delivery could not be stored, so the vendor's resend is not a "replay"."""
    frappe.cache().delete(_nonce_key(nonce))


@frappe.whitelist(allow_guest=True, methods=["POST"])
def webhook():
    """``POST /api/method/medgrid.perfectrx.webhook``: verify, store once, answer 200 at once."""
    raw = common.raw_body()
    nonce = common.request_header(NONCE_HEADER)
    tolerance = _tolerance()
    try:
        verify_signature(raw, signature=common.request_header(SIGNATURE_HEADER), nonce=nonce,
                         timestamp=common.request_header(TIMESTAMP_HEADER),
                         secret=get_decrypted_password(SETTINGS, SETTINGS, "client_secret", raise_exception=False),
                         now=time.time(), tolerance=tolerance)
    except WebhookRejected as e:
        common.reject(VENDOR, e.reason)
    # twice the window: a timestamp may be up to `tolerance` early or late
    if not remember_nonce(nonce, 2 * tolerance):
        common.reject(VENDOR, "nonce replayed")
    try:
        body = common.parse_json_object(raw)
        stored = common.store_event(
            vendor=VENDOR, event_type=str(body.get("event") or "") or None, dedupe_source=nonce,
            dedupe_origin=NONCE_HEADER, raw=raw, occurred_at=common.parse_timestamp(body.get("occurredAt")))
    except Exception:
        forget_nonce(nonce)
        raise
    return common.accepted(stored)


# ------------------------------------------------------------------------------------ layer 3

def match_order(body: dict) -> str | None:
    """The Sales Order an event is about: ``externalOrderId`` is its name, ``referenceId`` the id
    PerfectRx returned when the order was placed."""
    from medgrid.connectors.perfectrx import OTC_ORDER_SUFFIX

    external = body.get("externalOrderId")
    if isinstance(external, str) and external.endswith(OTC_ORDER_SUFFIX):
        # the OTC half of an order that also had Rx lines
        external = common.existing_order(external) or external[: -len(OTC_ORDER_SUFFIX)]
    return (common.existing_order(external)
            or common.order_by_field(PERFECTRX.order_fields.vendor_order_id, body.get("referenceId")))


def apply(event) -> Outcome:
    """Write one PerfectRx event to its Sales Order (called by :func:`common.apply_event`)."""
    body = common.event_body(event)
    kind = str(body.get("event") or "")
    sales_order = match_order(body)
    if not sales_order:
        return Outcome(UNMATCHED, note=_("No Sales Order for externalOrderId / referenceId of this event"))
    if not status_order.is_routed(sales_order, VENDOR):
        return Outcome(UNMATCHED, note=status_order.not_routed_note(sales_order, "PerfectRx"))
    common.lock_order(sales_order)
    if common.is_stale(VENDOR, sales_order, event.occurred_at, exclude=event.name):
        return Outcome(IGNORED, sales_order, _("Stale: an event that happened later was already applied"))
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    # a reship is the one event that may follow Delivered (or a cancellation) with Shipped
    update = VendorUpdate(vendor_order_id=str(body["referenceId"]) if body.get("referenceId") else None,
                          explicit=kind == RESHIPPED, occurred_at=event.occurred_at)
    if kind in STATUS_BY_EVENT:
        update.status = STATUS_BY_EVENT[kind]
        if kind in TRACKING_EVENTS:
            update.set_tracking(data.get("trackingNumber"), data.get("carrier"), data.get("trackingUrl"))
    elif kind == PATIENT_CREATION_SUCCESS:
        if data.get("patientId"):
            update.extra[FIELD_PATIENT_ID] = str(data["patientId"])
    elif kind == PATIENT_CREATION_FAILURE:
        update.extra[FIELD_NEEDS_ATTENTION] = 1
    else:
        return Outcome(IGNORED, sales_order, _("Unknown PerfectRx event {0}").format(kind or "(none)"))
    refused = status_order.write_update(sales_order, VENDOR, update)
    if refused:
        return Outcome(IGNORED, sales_order, refused)
    if kind == PATIENT_CREATION_FAILURE:
        _ask_for_follow_up(sales_order, data.get("reason"))
    return Outcome(PROCESSED, sales_order)


def _ask_for_follow_up(sales_order: str, reason) -> None:
    """Make the failure visible on the order itself; the reason may name the patient, so it goes into
    the order's timeline (permission-checked), not into the log."""
    common.logger().warning("perfectrx patient creation failed: sales_order=%s (manual follow-up)", sales_order)
    text = _("PerfectRx could not create the patient profile; the order needs manual follow-up.")
    if reason:
        text += " " + _("Reason given by PerfectRx: {0}").format(escape_html(str(reason)[:500]))
    frappe.get_doc(common.SALES_ORDER, sales_order).add_comment("Comment", text)
