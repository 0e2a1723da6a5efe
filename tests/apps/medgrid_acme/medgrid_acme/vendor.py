"""Acme Fulfilment: a sixth vendor, written as another app would write it (the registry's proof).

Acme's API (played by :mod:`medgrid_acme.sandbox`):

* ``POST {api_url}/v1/orders`` with ``Authorization: Bearer <api_key>`` and ``{"reference", "lines": [{"sku",
  "quantity"}], "ship_to"}`` → ``201 {"id", "status": "accepted"}``; the same ``reference`` again → ``200`` with
  the same id;
* ``GET {api_url}/v1/orders/{id}`` → ``{"id", "reference", "status", "tracking"}``;
* webhooks to ``/api/method/medgrid_acme.vendor.webhook``: ``X-Acme-Signature`` is the hex HMAC-SHA256 of the
  raw body keyed with the webhook secret; the body is ``{"event_id", "order_id", "reference", "status",
  "tracking": {"number", "carrier"}, "occurred_at"}``.

Everything MedGrid needs — fields, statuses, routing, the apply table, the admin filter, the sandbox — comes
from :data:`ACME` through ``medgrid_vendors`` in this app's hooks.
"""

from __future__ import annotations

import hashlib
import hmac

import frappe
from frappe import _
from frappe.utils.password import get_decrypted_password

from medgrid.connectors import carriers
from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.retry import RetryPolicy
from medgrid.connectors.order_data import get_shipping_address, quantity
from medgrid.vendors import OrderFields, Poll, Statuses, VendorDescriptor
from medgrid.vendors.update import VendorUpdate
from medgrid.webhooks import common, status_order
from medgrid.webhooks.common import IGNORED, PROCESSED, UNMATCHED, Outcome, WebhookRejected

KEY = "acme"
SETTINGS = "Acme Settings"
SIGNATURE_HEADER = "X-Acme-Signature"
ORDERS_PATH = "/v1/orders"
ORDER_PATH = "/v1/orders/{order_id}"
# Acme's words → the acme_status vocabulary
STATUS_MAP = {"accepted": "Accepted", "packed": "Packed", "shipped": "Shipped", "delivered": "Delivered",
              "cancelled": "Cancelled", "failed": "Failed"}

ACME = VendorDescriptor(
    key=KEY,
    label="Acme Fulfilment",
    connector="medgrid_acme.vendor.AcmeConnector",
    settings_doctype=SETTINGS,
    settings_is_single=True,
    order_fields=OrderFields(status="acme_status", tracking_number="acme_tracking_number", carrier="acme_carrier",
                             tracking_url="acme_tracking_url", sync_date="acme_sync_date",
                             vendor_order_id="acme_order_id"),
    statuses=Statuses(stages=("Accepted", "Packed", "Shipped", "Delivered"), others=("Cancelled", "Failed"),
                      shipped="Shipped"),
    order_section=("acme", "Acme Fulfilment", (
        ("acme_order_id", "Data", "Acme Order ID"),
        ("acme_status", "Select", "Acme Status"),
        ("acme_tracking_number", "Data", "Acme Tracking Number"),
        ("acme_carrier", "Data", "Acme Carrier"),
        ("acme_tracking_url", "Small Text", "Acme Tracking URL"),
        ("acme_sync_date", "Datetime", "Acme Sync Date"),
    )),
    item_mapping_field="acme_sku",
    item_fields=({"fieldname": "acme_sku", "fieldtype": "Data", "label": "Acme SKU"},),
    webhook_apply="medgrid_acme.vendor.apply",
    poll=Poll(every_minutes=15, per_order=True),
    sandbox="medgrid_acme.sandbox.AcmeSandbox",
)


# ------------------------------------------------------------------------------------- connector

def _settings():
    return frappe.get_single(SETTINGS)


def _client(settings, reference) -> VendorClient:
    api_key = settings.get_password("api_key", raise_exception=False)
    if not (api_key and settings.api_url):
        raise VendorError("Acme Settings have no API URL or key", retryable=False)
    return VendorClient(KEY, base_url=settings.api_url, headers={"Authorization": f"Bearer {api_key}"},
                        policy=RetryPolicy(max_retries=2), secrets=(api_key,), reference=reference)


def update_from_order(data: dict, **kwargs) -> VendorUpdate:
    """An Acme order object (GET answer or webhook body) as a vendor update."""
    tracking = data.get("tracking") if isinstance(data.get("tracking"), dict) else {}
    update = VendorUpdate(status=STATUS_MAP.get(str(data.get("status") or "").lower()),
                          vendor_order_id=str(data["order_id"]) if data.get("order_id") else None, **kwargs)
    if tracking.get("number"):
        update.tracking_number = str(tracking["number"])
        update.carrier = tracking.get("carrier")
        update.tracking_url = carriers.tracking_url(tracking.get("carrier"), tracking["number"])
    return update


class AcmeConnector(Connector):
    key = KEY

    def is_configured(self) -> bool:
        settings = _settings()
        return bool(settings.enabled and settings.get_password("api_key", raise_exception=False))

    def resolve_connection(self, vendor_profile):
        return SETTINGS, SETTINGS

    def send(self, dispatch, order) -> SendResult:
        address = get_shipping_address(order)
        body = {"reference": order.name,
                "lines": [{"sku": line.vendor_sku, "quantity": quantity(line.qty)} for line in dispatch.lines],
                "ship_to": {"line1": address.get("address_line1"), "city": address.get("city"),
                            "zip": address.get("pincode"), "country": address.get("country")}}
        response = _client(_settings(), ("Sales Order", order.name)).request("POST", ORDERS_PATH, json_body=body)
        data = response_json(response, KEY) or {}
        if not data.get("id"):
            raise VendorError("Acme accepted the order without an id", retryable=True)
        return SendResult(vendor_order_id=str(data["id"]), already_placed=response.status_code == 200,
                          order_fields={"acme_order_id": str(data["id"]),
                                        "acme_status": STATUS_MAP.get(data.get("status"), "Accepted")})

    def fetch_status(self, dispatch, order) -> VendorUpdate | None:
        order_id = dispatch.get("vendor_order_id") or order.get("acme_order_id")
        if not order_id:
            return None
        response = _client(_settings(), ("Sales Order", order.name)).request(
            "GET", ORDER_PATH.format(order_id=order_id))
        data = response_json(response, KEY) or {}
        return update_from_order({**data, "order_id": order_id})


# --------------------------------------------------------------------------------------- webhook

def signature(raw: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def verify(raw: bytes, *, sent: str | None, secret: str | None) -> None:
    """Pure: decides on the raw bytes and the header alone."""
    if not secret:
        raise WebhookRejected("no Acme webhook secret is configured")
    if not sent or not hmac.compare_digest(signature(raw, secret).encode(), sent.strip().lower().encode()):
        raise WebhookRejected("signature mismatch")


@frappe.whitelist(allow_guest=True, methods=["POST"])
def webhook():
    """``POST /api/method/medgrid_acme.vendor.webhook``: verify, store once, answer at once."""
    raw = common.raw_body()
    try:
        verify(raw, sent=common.request_header(SIGNATURE_HEADER),
               secret=get_decrypted_password(SETTINGS, SETTINGS, "webhook_secret", raise_exception=False))
    except WebhookRejected as e:
        common.reject(KEY, e.reason)
    body = common.parse_json_object(raw)
    event_id = str(body.get("event_id") or "") or common.sha256_hex(raw)
    stored = common.store_event(vendor=KEY, event_type=str(body.get("status") or "") or None,
                                dedupe_source=event_id, dedupe_origin="event_id", raw=raw,
                                occurred_at=common.parse_timestamp(body.get("occurred_at")))
    return common.accepted(stored)


def apply(event) -> Outcome:
    """One stored Acme event → its Sales Order and dispatch (through the ordered vendor update)."""
    body = common.event_body(event)
    sales_order = (common.existing_order(body.get("reference"))
                   or common.order_by_field("acme_order_id", body.get("order_id")))
    if not sales_order:
        return Outcome(UNMATCHED, note=_("No Sales Order for this Acme event"))
    if not status_order.is_routed(sales_order, KEY):
        return Outcome(UNMATCHED, note=status_order.not_routed_note(sales_order, ACME.label))
    common.lock_order(sales_order)
    if common.is_stale(KEY, sales_order, event.occurred_at, exclude=event.name):
        return Outcome(IGNORED, sales_order, _("Stale: an event that happened later was already applied"))
    refused = status_order.write_update(sales_order, KEY, update_from_order(body))
    return Outcome(IGNORED, sales_order, refused) if refused else Outcome(PROCESSED, sales_order)
