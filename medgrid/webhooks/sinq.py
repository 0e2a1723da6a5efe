"""SINQ Ops webhooks: ``POST /api/method/medgrid.sinq.webhook`` (guide "Inbound Webhook from SINQ").

Verification (contracts "SINQ"): the ``key`` header must equal ``SINQ Settings.sinq_webhook_key``;
when ``sinq_webhook_secret`` is configured, ``X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw
body)>`` is required as well. With no webhook key configured every delivery is refused.

Two payload shapes carry the same update (guide):

* format A (flat): ``{"reference", "status", "tracking": {"trackingNumber", "trackingUrl", "shipBy"}}``
* format B (nested): ``{"type": "order.<status>", "data": {"reference", "tracking": {…}}}``

either optionally with ``"id"`` (the dedupe key; otherwise SHA-256 of the raw body), ``transactionId``
and a time (``occurredAt`` / ``timestamp`` / ``updatedAt``) used to ignore stale updates. The six
SINQ statuses map onto the ``sinq_status`` vocabulary (Synced / Pending / Shipped / Completed /
Cancelled / Failed). Orders are matched by ``reference`` (the Sales Order name, also stored as
``sinq_reference``) or by ``sinq_transaction_id``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils.password import get_decrypted_password

from medgrid.vendors.builtin import SINQ, SINQ_REFERENCE
from medgrid.vendors.update import VendorUpdate
from medgrid.webhooks import common, status_order
from medgrid.webhooks.common import IGNORED, PROCESSED, UNMATCHED, Outcome, WebhookRejected

VENDOR = "sinq"
SETTINGS = "SINQ Settings"
KEY_HEADER = "key"
SIGNATURE_HEADER = "X-Webhook-Signature"
SIGNATURE_PREFIX = "sha256="
TYPE_PREFIX = "order."

FIELD_REFERENCE = SINQ_REFERENCE

# The guide's "SINQ Status Values" → the sinq_status vocabulary
STATUS_MAP = {
    "synced": "Synced",
    "pending": "Pending",
    "shipped": "Shipped",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "canceled": "Cancelled",
    "failed": "Failed",
}
TIME_KEYS = ("occurredAt", "timestamp", "updatedAt", "createdAt")


# ------------------------------------------------------------------------------------ layer 1

def compute_signature(raw_body: bytes, secret: str) -> str:
    """The ``X-Webhook-Signature`` value SINQ sends for this body."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_request(raw_body: bytes, *, key: str | None, signature: str | None, webhook_key: str | None,
                   webhook_secret: str | None) -> None:
    """Decide on a delivery from its raw bytes and headers alone; raises :class:`WebhookRejected`."""
    if not webhook_key:
        raise WebhookRejected("no sinq_webhook_key is configured")
    if not key:
        raise WebhookRejected("key header missing")
    if not hmac.compare_digest(key.encode(), webhook_key.encode()):
        raise WebhookRejected("wrong key header")
    if not webhook_secret:
        return
    if not signature:
        raise WebhookRejected("X-Webhook-Signature missing while a webhook secret is configured")
    expected = compute_signature(raw_body, webhook_secret)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookRejected("signature mismatch")


# ------------------------------------------------------------------------------ payload shapes

@dataclass
class SinqUpdate:
    """One status update, whichever format it came in."""

    reference: str | None = None
    status: str | None = None
    transaction_id: str | None = None
    tracking: dict = field(default_factory=dict)
    occurred_at: object = None


def read_update(body: dict) -> SinqUpdate:
    """Normalise format A (flat) and format B (``type`` + ``data``) into a :class:`SinqUpdate`."""
    nested = isinstance(body.get("data"), dict) and "type" in body
    data = body["data"] if nested else body
    if nested:
        kind = str(body.get("type") or "")
        status = kind[len(TYPE_PREFIX):] if kind.startswith(TYPE_PREFIX) else data.get("status")
    else:
        status = body.get("status")
    tracking = data.get("tracking") if isinstance(data.get("tracking"), dict) else {}
    occurred = next((source.get(k) for source in (data, body) for k in TIME_KEYS if source.get(k)), None)
    transaction = data.get("transactionId") or body.get("transactionId")
    return SinqUpdate(
        reference=str(data.get("reference") or body.get("reference") or "").strip() or None,
        status=str(status or "").strip().lower() or None,
        transaction_id=str(transaction).strip() if transaction else None,
        tracking=tracking,
        occurred_at=common.parse_timestamp(occurred),
    )


# ------------------------------------------------------------------------------------ layer 2

def _password(fieldname: str) -> str | None:
    return get_decrypted_password(SETTINGS, SETTINGS, fieldname, raise_exception=False)


@frappe.whitelist(allow_guest=True, methods=["POST"])
def webhook():
    """``POST /api/method/medgrid.sinq.webhook``: verify, store once, answer 200 at once."""
    raw = common.raw_body()
    try:
        verify_request(raw, key=common.request_header(KEY_HEADER), signature=common.request_header(SIGNATURE_HEADER),
                       webhook_key=_password("sinq_webhook_key"), webhook_secret=_password("sinq_webhook_secret"))
    except WebhookRejected as e:
        common.reject(VENDOR, e.reason)
    body = common.parse_json_object(raw)
    update = read_update(body)
    delivery_id = body.get("id")
    if delivery_id not in (None, ""):
        source, origin = str(delivery_id), "id"
    else:
        source, origin = common.sha256_hex(raw), "sha256(body)"
    stored = common.store_event(vendor=VENDOR, event_type=f"{TYPE_PREFIX}{update.status or 'unknown'}",
                                dedupe_source=source, dedupe_origin=origin, raw=raw, occurred_at=update.occurred_at)
    return common.accepted(stored)


# ------------------------------------------------------------------------------------ layer 3

def match_order(update: SinqUpdate) -> str | None:
    """``reference`` is the Sales Order name MedGrid sent; SINQ's transaction id is the fallback."""
    return (common.existing_order(update.reference)
            or common.order_by_field(FIELD_REFERENCE, update.reference)
            or common.order_by_field(SINQ.order_fields.vendor_order_id, update.transaction_id))


def apply(event) -> Outcome:
    """Write one SINQ status update to its Sales Order (called by :func:`common.apply_event`)."""
    update = read_update(common.event_body(event))
    sales_order = match_order(update)
    if not sales_order:
        return Outcome(UNMATCHED, note=_("No Sales Order for SINQ reference {0}").format(update.reference or "(none)"))
    if not status_order.is_routed(sales_order, VENDOR):
        return Outcome(UNMATCHED, note=status_order.not_routed_note(sales_order, "SINQ"))
    common.lock_order(sales_order)
    if common.is_stale(VENDOR, sales_order, event.occurred_at, exclude=event.name):
        return Outcome(IGNORED, sales_order, _("Stale: an update that happened later was already applied"))
    status = STATUS_MAP.get(update.status or "")
    if not status:
        return Outcome(IGNORED, sales_order, _("Unknown SINQ status {0}").format(update.status or "(none)"))
    vendor_update = VendorUpdate(status=status, vendor_order_id=update.transaction_id or None,
                                 occurred_at=event.occurred_at)
    if update.reference:
        vendor_update.extra[FIELD_REFERENCE] = update.reference
    tracking = update.tracking
    # SINQ names the carrier shipBy
    vendor_update.set_tracking(tracking.get("trackingNumber"), tracking.get("shipBy") or tracking.get("carrier"),
                               tracking.get("trackingUrl"))
    refused = status_order.write_update(sales_order, VENDOR, vendor_update)
    if refused:
        return Outcome(IGNORED, sales_order, refused)
    return Outcome(PROCESSED, sales_order)
