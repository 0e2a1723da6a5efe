"""Centre Research Peptides ("pepapi" sales-channel API): place orders, then poll them.

Wire format (guide "Centre Research", vendor-facts §5.3, contracts.md):

* header ``X-API-Key``; ``POST {base}/sales-channels/integration/orders`` with ``partnerOrderId`` = the Sales
  Order name, the deduplication key: a re-send answers either success with the existing order or ``400``
  naming the existing ``orderId`` — both mean "already placed";
* ``{"success": false, "error"}`` inside a ``200`` is a refusal (always read ``success``, not the status);
* up to 3 retries with exponential backoff on 429/5xx/network errors; ``Retry-After`` (or the body's
  ``retryAfter``) is honoured;
* no status webhook exists: the vendor poll (:func:`medgrid.webhooks.reconcile.poll_vendors`, every 5 minutes)
  asks :meth:`CentreResearchConnector.fetch_status` (``GET …/orders/{orderId}``) for every open order until it
  reaches a final status.
"""

from __future__ import annotations

import frappe
from frappe.utils import cint, now_datetime

from medgrid.connectors import carriers
from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.environment import vendor_base_url
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.order_data import (
    contact_email,
    contact_phone,
    country_code,
    get_shipping_address,
    quantity,
    recipient_names,
    state_code,
)
from medgrid.connectors.rate_limit import RateLimit
from medgrid.connectors.redaction import fingerprint
from medgrid.connectors.retry import RetryPolicy
from medgrid.constants import SALES_ORDER
from medgrid.vendors.builtin import CENTRE_RESEARCH
from medgrid.vendors.update import VendorUpdate

VENDOR = "centre_research"
LABEL = "Centre Research Peptides"
SETTINGS_DOCTYPE = "Centre Research Settings"
DEFAULT_BASE_URL = "https://pepapi.stmin.dev/api"
API_KEY_HEADER = "X-API-Key"
ORDERS_PATH = "/sales-channels/integration/orders"
ORDER_PATH = "/sales-channels/integration/orders/{order_id}"
DEFAULT_COUNTRY = "US"

DEFAULT_MAX_RETRIES = 3
BODY_RETRY_AFTER_FIELD = "retryAfter"
# The partner doc publishes 100 requests/min per channel; the poll must not spend it all at once
REQUESTS_PER_WINDOW = 100
WINDOW_SECONDS = 60
DUPLICATE_STATUS = 400
STATUS_EXISTING = 200

# the Sales Order fields it owns, by meaning (its descriptor)
FIELDS = CENTRE_RESEARCH.order_fields
FIELD_SHIPPING_TIER = "cr_shipping_tier"

# Centre Research order status → the guide's cr_status vocabulary
STATUS_MAP = {
    "PENDING": "Pending",
    "PROCESSING": "Processing",
    "LABEL_CREATED": "Label Created",
    "SHIPPED": "Shipped",
    "DELIVERED": "Delivered",
    "CANCELLED": "Cancelled",
    "REFUNDED": "Refunded",
    "ON_HOLD": "On Hold",
}
DUPLICATE_FLAGS = ("duplicate", "existing", "alreadyExists", "already_exists")


def _settings():
    return frappe.get_single(SETTINGS_DOCTYPE)


def _client(settings, reference=(None, None)) -> VendorClient:
    api_key = settings.get_password("centre_research_api_key", raise_exception=False)
    base_url = vendor_base_url(VENDOR, settings.centre_research_api_url, DEFAULT_BASE_URL)
    if not api_key:
        raise VendorError("Centre Research Settings have no API key", retryable=False)
    max_retries = cint(settings.max_retries) if settings.max_retries is not None else DEFAULT_MAX_RETRIES
    return VendorClient(
        VENDOR, base_url=base_url, headers={API_KEY_HEADER: api_key, "Content-Type": "application/json"},
        policy=RetryPolicy(max_retries=max_retries, body_retry_after=BODY_RETRY_AFTER_FIELD),
        rate_limit=RateLimit(VENDOR, fingerprint(VENDOR, base_url, api_key), REQUESTS_PER_WINDOW, WINDOW_SECONDS),
        secrets=(api_key,), reference=reference)


def _first(*values):
    return next((v for v in values if v not in (None, "")), None)


def status_fields(data: dict) -> dict:
    """Sales Order fields from a Centre Research order object (create or GET answer)."""
    fields = {FIELDS.sync_date: now_datetime()}
    status = STATUS_MAP.get(str(data.get("status") or "").upper())
    if status:
        fields[FIELDS.status] = status
    shipments = [s for s in data.get("shipments") or [] if isinstance(s, dict)]
    latest = shipments[-1] if shipments else {}
    number = _first(latest.get("trackingNumber"), data.get("trackingNumber"))
    carrier = _first(latest.get("carrier"), data.get("carrier"))
    if number:
        fields[FIELDS.tracking_number] = number
        fields[FIELDS.carrier] = carrier
        fields[FIELDS.tracking_url] = _first(latest.get("trackingUrl"), data.get("trackingUrl"),
                                            carriers.tracking_url(carrier, number))
    tier = data.get("shippingTierApplied") or data.get("shippingTier")
    tier_name = tier.get("name") if isinstance(tier, dict) else tier
    if tier_name:
        fields[FIELD_SHIPPING_TIER] = tier_name
    return fields


def build_order_payload(dispatch, order, settings=None) -> dict:
    """The guide's create-order body (``variantId`` = the Item's ``centre_research_product_id``)."""
    address = get_shipping_address(order)
    first_name, last_name = recipient_names(order, address)
    country = country_code(address.get("country")) or DEFAULT_COUNTRY
    missing = [line.item_code for line in dispatch.lines if not line.vendor_sku]
    if missing:
        raise VendorError(f"No Centre Research variant (centre_research_product_id) on item(s): "
                          f"{', '.join(missing)}", retryable=False)
    email = contact_email(order, address)
    if not email:
        # Centre Research matches customers by e-mail; it refuses an order without one
        raise VendorError(f"Sales Order {order.name} has no customer e-mail for Centre Research", retryable=False)
    payload = {
        "partnerOrderId": order.name,
        "customer": {"firstName": first_name, "lastName": last_name, "email": email,
                     "phone": contact_phone(order, address) or None},
        "shippingAddress": {
            "firstName": first_name, "lastName": last_name,
            "address1": address.get("address_line1"),
            "address2": address.get("address_line2") or None,
            "city": address.get("city"),
            "state": state_code(address.get("state"), country),
            "zip": address.get("pincode"),
            "country": country,
        },
        "items": [{"variantId": line.vendor_sku, "quantity": quantity(line.qty)} for line in dispatch.lines],
    }
    if settings is not None and settings.get("default_shipping_tier"):
        payload["shippingTierId"] = settings.default_shipping_tier
    return payload


def _existing_order_id(body: dict) -> str | None:
    """The existing ``orderId`` a duplicate-``partnerOrderId`` answer names, wherever it sits."""
    for holder in (body, body.get("data"), body.get("details")):
        if isinstance(holder, dict):
            found = holder.get("orderId") or holder.get("existingOrderId")
            if found:
                return str(found)
    return None


def fetch_order(order_id: str, settings=None, reference=(None, None)) -> dict:
    """``GET …/orders/{orderId}`` → the order object (``data``); success false → permanent VendorError."""
    settings = settings or _settings()
    response = _client(settings, reference).request("GET", ORDER_PATH.format(order_id=order_id))
    body = response_json(response, VENDOR) or {}
    if body.get("success") is False:
        raise VendorError(f"Centre Research refused the status request: {body.get('error')}", retryable=False,
                          status_code=response.status_code)
    return body.get("data") if isinstance(body.get("data"), dict) else body


class CentreResearchConnector(Connector):
    """Places a dispatch's peptide lines with Centre Research and polls them to a final status."""

    key = VENDOR

    def is_configured(self) -> bool:
        settings = _settings()
        return bool(settings.enabled and settings.get_password("centre_research_api_key", raise_exception=False))

    def resolve_connection(self, vendor_profile: str | None):
        return SETTINGS_DOCTYPE, SETTINGS_DOCTYPE

    def send(self, dispatch, order) -> SendResult:
        """Create the order; a duplicate ``partnerOrderId`` resolves to the existing order."""
        settings = _settings()
        reference = (SALES_ORDER, order.name)
        response = _client(settings, reference).request(
            "POST", ORDERS_PATH, json_body=build_order_payload(dispatch, order, settings),
            accept_statuses=(DUPLICATE_STATUS,),
            error_messages={401: "Centre Research rejected the API key (HTTP 401)",
                            403: "Centre Research: the sales channel is not active (HTTP 403)"})
        body = response_json(response, VENDOR) or {}

        if response.status_code == DUPLICATE_STATUS or body.get("success") is False:
            existing = _existing_order_id(body)
            if response.status_code == DUPLICATE_STATUS and existing:
                return self._already_placed(existing, settings, reference)
            raise VendorError(f"Centre Research refused the order: {body.get('error') or body.get('message')}",
                              retryable=False, status_code=response.status_code)

        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        order_id = data.get("orderId")
        if not order_id:
            raise VendorError("Centre Research answered success without an orderId", retryable=True,
                              status_code=response.status_code)
        # A new order answers 201; the existing order of a repeated partnerOrderId comes back as 200 (or
        # flagged, or with the id MedGrid already holds)
        known_id = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
        duplicate = (response.status_code == STATUS_EXISTING or str(order_id) == str(known_id or "")
                     or any(data.get(flag) or body.get(flag) for flag in DUPLICATE_FLAGS))
        return SendResult(vendor_order_id=str(order_id), vendor_reference=data.get("orderNumber"),
                          order_fields={FIELDS.vendor_order_id: str(order_id), **status_fields(data)},
                          already_placed=duplicate)

    def _already_placed(self, order_id: str, settings, reference) -> SendResult:
        fields = {FIELDS.vendor_order_id: order_id, FIELDS.sync_date: now_datetime()}
        vendor_reference = None
        try:
            data = fetch_order(order_id, settings, reference)
            fields.update(status_fields(data))
            vendor_reference = data.get("orderNumber")
        except VendorError:
            # The order exists either way; the poll fills in its status later
            pass
        return SendResult(vendor_order_id=order_id, vendor_reference=vendor_reference, order_fields=fields,
                          already_placed=True)

    def cancel(self, dispatch, order) -> bool:
        """``DELETE …/orders/{partnerOrderId}`` (idempotent at Centre Research)."""
        response = _client(_settings(), (SALES_ORDER, order.name)).request(
            "DELETE", ORDER_PATH.format(order_id=order.name))
        body = response_json(response, VENDOR) or {}
        if body.get("success") is False:
            raise VendorError(f"Centre Research refused to cancel: {body.get('error')}", retryable=False)
        return True

    def fetch_status(self, dispatch, order) -> VendorUpdate | None:
        order_id = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
        if not order_id:
            return None
        fields = status_fields(fetch_order(order_id, reference=(SALES_ORDER, order.name)))
        return VendorUpdate.from_order_fields(self.descriptor.order_fields, fields, vendor_order_id=str(order_id))
