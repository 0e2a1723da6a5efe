"""SINQ Ops (OTC and HRT fulfilment): one inbound order per Sales Order.

Wire format (guide "SINQ Ops", contracts.md "SINQ"): ``POST {sinq_api_url}/api/receivers/orders/inbound``
with the header ``key: {sinq_api_key}`` and ``{"reference", "lineItems": [{"serviceSKU", "quantity"}],
"shippingAddress": {…}}``. ``201`` answers a new order, ``200`` a repeated ``reference`` (same
``transactionId``), so a re-send is safe. Only 5xx and network errors are retried ("standard retry-on-5xx").
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.environment import vendor_base_url
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.order_data import (
    contact_phone,
    country_code,
    get_shipping_address,
    quantity,
    recipient_names,
    state_code,
)
from medgrid.connectors.retry import RetryPolicy
from medgrid.constants import SALES_ORDER
from medgrid.vendors.builtin import SINQ, SINQ_REFERENCE

VENDOR = "sinq"
LABEL = "SINQ Ops"
SETTINGS_DOCTYPE = "SINQ Settings"
ORDERS_PATH = "/api/receivers/orders/inbound"
KEY_HEADER = "key"

STATUS_REPEATED = 200
POLICY = RetryPolicy(max_retries=3, retry_statuses=frozenset({500, 502, 503, 504}), retry_network_errors=True)

FIELD_REFERENCE = SINQ_REFERENCE
# the Sales Order fields it owns, by meaning (its descriptor)
FIELDS = SINQ.order_fields
STATUS_SYNCED = "Synced"


def _settings():
    return frappe.get_single(SETTINGS_DOCTYPE)


def build_order_payload(dispatch, order) -> dict:
    """The guide's inbound-order body for a dispatch (``serviceSKU`` = the Item's ``sinq_sku``)."""
    address = get_shipping_address(order)
    first_name, last_name = recipient_names(order, address)
    country = country_code(address.get("country"))
    missing = [line.item_code for line in dispatch.lines if not line.vendor_sku]
    if missing:
        raise VendorError(f"No SINQ service SKU (sinq_sku) on item(s): {', '.join(missing)}", retryable=False)
    return {
        "reference": order.name,
        "lineItems": [{"serviceSKU": line.vendor_sku, "quantity": quantity(line.qty)} for line in dispatch.lines],
        "shippingAddress": {
            "firstName": first_name,
            "lastName": last_name,
            "address1": address.get("address_line1"),
            "address2": address.get("address_line2") or None,
            "city": address.get("city"),
            "provinceCode": state_code(address.get("state"), country),
            "zip": address.get("pincode"),
            "countryCode": country,
            "phone": contact_phone(order, address) or None,
        },
    }


class SinqConnector(Connector):
    """Sends a dispatch's lines to SINQ Ops."""

    key = VENDOR

    def is_configured(self) -> bool:
        settings = _settings()
        return bool(settings.enabled and settings.sinq_api_url
                    and settings.get_password("sinq_api_key", raise_exception=False))

    def resolve_connection(self, vendor_profile: str | None):
        return SETTINGS_DOCTYPE, SETTINGS_DOCTYPE

    def send(self, dispatch, order) -> SendResult:
        """POST the order; 201 (new) and 200 (repeated reference) both give the ``transactionId``."""
        settings = _settings()
        api_key = settings.get_password("sinq_api_key", raise_exception=False)
        if not (settings.sinq_api_url and api_key):
            raise VendorError("SINQ Settings have no sinq_api_url / sinq_api_key", retryable=False)
        client = VendorClient(VENDOR, base_url=vendor_base_url(VENDOR, settings.sinq_api_url, None),
                              headers={KEY_HEADER: api_key}, policy=POLICY, secrets=(api_key,), reference=(SALES_ORDER, order.name))
        response = client.request("POST", ORDERS_PATH, json_body=build_order_payload(dispatch, order),
                                  error_messages={401: "SINQ rejected the API key (HTTP 401)"})
        body = response_json(response, VENDOR) or {}
        transaction_id = body.get("transactionId")
        if not transaction_id:
            raise VendorError("SINQ accepted the order without a transactionId", retryable=True,
                              status_code=response.status_code)
        return SendResult(
            vendor_order_id=str(transaction_id),
            vendor_reference=body.get("reference") or order.name,
            order_fields={FIELD_REFERENCE: body.get("reference") or order.name,
                          FIELDS.vendor_order_id: str(transaction_id),
                          FIELDS.status: STATUS_SYNCED,
                          FIELDS.sync_date: now_datetime()},
            already_placed=response.status_code == STATUS_REPEATED,
        )
