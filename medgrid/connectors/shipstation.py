"""ShipStation (V1 "legacy" API, ``ssapi.shipstation.com``): orders out, shipments back.

Wire format (guide "Order Sync: MedGrid → ShipStation", vendor-facts §1):

* HTTP Basic auth with a connection's key pair — the vendor's own ``ShipStation Connection`` (self-service)
  or MedGrid's ``is_platform`` one (managed);
* ``POST /orders/createorder`` upserts by ``orderKey`` = ``<Sales Order>-shipstation``, so a re-send updates
  the same ShipStation order instead of creating a second one; the whole order is sent every time
  (ShipStation has no partial update);
* 40 requests per minute per key pair, shared by every worker (limit key = fingerprint of the pair);
  HTTP 429 waits ``X-Rate-Limit-Reset`` seconds and retries, at most 3 times;
* webhooks carry only a ``resource_url``: :func:`fetch_resource` fetches it with the same credentials,
  but only from ShipStation's own hosts (an unsigned POST must not be able to harvest the key pair).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import frappe
from frappe.utils import get_datetime, getdate, now_datetime

from medgrid.connectors import carriers
from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.environment import vendor_base_url
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.integration_log import log_rejected_request
from medgrid.connectors.order_data import (
    contact_email,
    country_code,
    get_shipping_address,
    lines_total,
    money,
    quantity,
    state_code,
)
from medgrid.connectors.rate_limit import RateLimit
from medgrid.connectors.redaction import fingerprint
from medgrid.connectors.retry import RetryPolicy
from medgrid.constants import SALES_ORDER
from medgrid.vendors.builtin import SHIPSTATION
from medgrid.vendors.update import VendorUpdate

VENDOR = "shipstation"
LABEL = "ShipStation"
CONNECTION_DOCTYPE = "ShipStation Connection"
CONNECTED = "Connected"
DEFAULT_BASE_URL = "https://ssapi.shipstation.com"

# Hosts a webhook resource_url may point at (besides the connection's configured base URL)
API_HOST = "ssapi.shipstation.com"
API_DOMAIN_SUFFIX = ".shipstation.com"
MAX_RESOURCE_REDIRECTS = 3

CREATE_ORDER_PATH = "/orders/createorder"
ORDER_PATH = "/orders/{order_id}"
ORDERS_PATH = "/orders"
SHIPMENTS_PATH = "/shipments"
LIST_TAGS_PATH = "/accounts/listtags"
SHIPMENTS_PAGE_SIZE = 500
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

ORDER_KEY_SUFFIX = "-shipstation"
ORDER_STATUS_AWAITING_SHIPMENT = "awaiting_shipment"
ORDER_STATUS_CANCELLED = "cancelled"

# 40 requests per minute per API key pair (guide, vendor-facts §1.2)
REQUESTS_PER_WINDOW = 40
WINDOW_SECONDS = 60
# ShipStation counts requests as they arrive, MedGrid as they leave: calls from several workers (or hosts)
# reach it up to a second or two apart from their start, so MedGrid's window is that much longer than
# ShipStation's and 40 of them never land inside one of its minutes
ARRIVAL_GUARD_SECONDS = 2
RATE_LIMIT_RESET_HEADER = "X-Rate-Limit-Reset"
POLICY = RetryPolicy(max_retries=3, reset_header=RATE_LIMIT_RESET_HEADER, max_in_call_wait=WINDOW_SECONDS + 5)
# A vendor waits on the page for the connect check: three attempts with backoff and jitter (≈0.5 s, ≈1 s),
# each bounded, so an unreachable ShipStation is reported within a few seconds (a longer hinted wait is not slept)
CONNECT_POLICY = RetryPolicy(max_retries=2, reset_header=RATE_LIMIT_RESET_HEADER, backoff_base=0.5,
                             backoff_max=2.0, max_in_call_wait=3.0)
CONNECT_TIMEOUT_SECONDS = 3.0

# the Sales Order fields it owns, by meaning (guide "Sales Order Fields Updated"; its descriptor)
FIELDS = SHIPSTATION.order_fields

STATUS_AWAITING_SHIPMENT = "Awaiting Shipment"
STATUS_SHIPPED = "Shipped"
STATUS_CANCELLED = "Cancelled"

# ShipStation orderStatus → the guide's shipstation_status vocabulary
ORDER_STATUS_MAP = {
    "awaiting_payment": STATUS_AWAITING_SHIPMENT,
    "awaiting_shipment": STATUS_AWAITING_SHIPMENT,
    "pending_fulfillment": STATUS_AWAITING_SHIPMENT,
    "on_hold": STATUS_AWAITING_SHIPMENT,
    "shipped": STATUS_SHIPPED,
    "cancelled": STATUS_CANCELLED,
}

INVALID_CREDENTIALS = "ShipStation rejected the API Key/Secret (HTTP 401): reconnect the ShipStation account"


class UnsafeResourceURL(VendorError):
    """A webhook ``resource_url`` MedGrid refuses to fetch (wrong scheme, host, or userinfo)."""


# ------------------------------------------------------------------------------------------ client

def _client(base_url: str, api_key: str, api_secret: str, reference=(None, None), policy: RetryPolicy = POLICY,
            timeout: float | None = None) -> VendorClient:
    if not (api_key and api_secret):
        raise VendorError("The ShipStation connection has no API Key/Secret", retryable=False)
    return VendorClient(
        vendor=VENDOR,
        base_url=vendor_base_url(VENDOR, base_url, DEFAULT_BASE_URL),
        auth=(api_key, api_secret),
        policy=policy,
        timeout=timeout,
        rate_limit=RateLimit(VENDOR, key_fingerprint(api_key, api_secret), REQUESTS_PER_WINDOW,
                             WINDOW_SECONDS + ARRIVAL_GUARD_SECONDS, max_wait=WINDOW_SECONDS + 5),
        secrets=(api_key, api_secret),
        reference=reference,
    )


def key_fingerprint(api_key: str, api_secret: str) -> str:
    """Stable id of a key pair (for limits and ``ShipStation Connection.key_fingerprint``)."""
    return fingerprint(VENDOR, api_key, api_secret)


def connection_client(connection, reference=(None, None)) -> VendorClient:
    """A client for a ``ShipStation Connection`` document (its decrypted key pair)."""
    return _client(connection.base_url or DEFAULT_BASE_URL,
                   connection.get_password("api_key", raise_exception=False),
                   connection.get_password("api_secret", raise_exception=False), reference)


def check_credentials(base_url: str | None, api_key: str, api_secret: str) -> bool:
    """True when ShipStation accepts the key pair, False on 401/403; other failures raise VendorError.

    ``GET /accounts/listtags`` reads nothing of consequence and changes nothing (vendor-facts §1.5).
    """
    client = _client(base_url, api_key, api_secret, policy=CONNECT_POLICY, timeout=CONNECT_TIMEOUT_SECONDS)
    response = client.request("GET", LIST_TAGS_PATH, accept_statuses=(401, 403))
    return response.status_code not in (401, 403)


# ------------------------------------------------------------------------------------ resource_url

def _origin(parts) -> tuple:
    default_port = 443 if parts.scheme == "https" else 80
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default_port


def unsafe_resource_reason(resource_url: str, base_url: str | None = None) -> str | None:
    """Why ``resource_url`` must not be fetched, or None when it may be.

    Allowed: ``https`` on ``ssapi.shipstation.com`` or another ``*.shipstation.com`` host (default port),
    or exactly the origin of the connection's configured base URL (a sandbox) — MedGrid already sends
    this key pair there on every call, so fetching from it discloses nothing new. Userinfo, other
    schemes, other hosts and other ports are refused.
    """
    if not resource_url or not isinstance(resource_url, str):
        return "resource_url is empty"
    if len(resource_url) > 2048 or any(ch in resource_url for ch in "\\\r\n\t ") or not resource_url.isprintable():
        return "resource_url contains characters a URL may not"
    try:
        parts = urlsplit(resource_url)
        port = parts.port
    except ValueError:
        return "resource_url is not a valid URL"
    if "@" in parts.netloc or parts.username or parts.password:
        return "resource_url carries credentials (userinfo)"
    host = (parts.hostname or "").lower()
    if not host:
        return "resource_url has no host"
    if base_url:
        base = urlsplit(base_url)
        if base.hostname and _origin(parts) == _origin(base):
            return None
    if parts.scheme.lower() != "https":
        return f"resource_url scheme {parts.scheme or '(none)'!r} is not https"
    if not (host == API_HOST or host.endswith(API_DOMAIN_SUFFIX)):
        return f"resource_url host {host!r} is not a ShipStation host"
    if port not in (None, 443):
        return f"resource_url port {port} is not allowed"
    return None


def fetch_resource(connection, resource_url: str, reference=(None, None)):
    """GET a webhook's ``resource_url`` with the connection's Basic auth and return its JSON.

    The URL is checked first (:func:`unsafe_resource_reason`); a refused URL is logged as Rejected and
    raises :class:`UnsafeResourceURL` without any request. Redirects are never followed blindly: a
    ``Location`` is fetched only if it passes the same check.
    """
    base_url = vendor_base_url(VENDOR, connection.base_url, DEFAULT_BASE_URL)
    url = resource_url
    client = None
    for _hop in range(MAX_RESOURCE_REDIRECTS + 1):
        reason = unsafe_resource_reason(url, base_url)
        if reason:
            log_rejected_request(VENDOR, "GET", url, reason, reference)
            raise UnsafeResourceURL(f"Refused to fetch ShipStation resource_url: {reason}", retryable=False)
        client = client or connection_client(connection, reference)
        response = client.request("GET", url, allow_redirects=False, error_messages={401: INVALID_CREDENTIALS})
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location")
            if not location:
                raise VendorError(f"ShipStation redirected without a Location ({response.status_code})",
                                  retryable=False, status_code=response.status_code)
            url = urljoin(url, location)
            continue
        return response_json(response, VENDOR)
    raise VendorError("ShipStation resource_url redirected too many times", retryable=False)


def list_shipments(connection, since_datetime, reference=(None, None)) -> list[dict]:
    """Every shipment created since ``since_datetime`` (all pages), for the reconciliation poll that
    covers webhooks ShipStation never retries."""
    client = connection_client(connection, reference)
    since = get_datetime(since_datetime).strftime(DATETIME_FORMAT)
    shipments, page, pages = [], 1, 1
    while page <= pages:
        response = client.request("GET", SHIPMENTS_PATH, params={
            "createDateStart": since, "includeShipmentItems": "false", "sortBy": "CreateDate", "sortDir": "ASC",
            "page": page, "pageSize": SHIPMENTS_PAGE_SIZE}, error_messages={401: INVALID_CREDENTIALS})
        body = response_json(response, VENDOR) or {}
        shipments.extend(body.get("shipments") or [])
        pages = int(body.get("pages") or 1)
        page += 1
    return shipments


def shipment_fields(shipment: dict) -> dict:
    """Sales Order fields for one ShipStation shipment (a voided label withdraws its tracking)."""
    if shipment.get("voided"):
        return {FIELDS.status: STATUS_AWAITING_SHIPMENT, FIELDS.tracking_number: None, FIELDS.carrier: None,
                FIELDS.tracking_url: None, FIELDS.sync_date: now_datetime()}
    number, carrier = shipment.get("trackingNumber"), shipment.get("carrierCode")
    return {FIELDS.status: STATUS_SHIPPED, FIELDS.tracking_number: number, FIELDS.carrier: carrier,
            FIELDS.tracking_url: carriers.tracking_url(carrier, number), FIELDS.sync_date: now_datetime()}


# -------------------------------------------------------------------------------------- payloads

def order_key(sales_order: str) -> str:
    """ShipStation's upsert key for a Sales Order (contracts: ``<SO>-shipstation``)."""
    return f"{sales_order}{ORDER_KEY_SUFFIX}"


def _address(address: dict) -> dict:
    country = country_code(address.get("country"))
    return {
        "name": address.get("address_title"),
        "street1": address.get("address_line1"),
        "street2": address.get("address_line2") or None,
        "city": address.get("city"),
        "state": state_code(address.get("state"), country),
        "postalCode": address.get("pincode"),
        "country": country,
        "phone": address.get("phone") or None,
    }


def _int_if_digits(value):
    text = str(value or "").strip()
    return int(text) if text.isdigit() else (text or None)


def build_order_payload(dispatch, order, connection, *, status: str = ORDER_STATUS_AWAITING_SHIPMENT) -> dict:
    """The full ``createorder`` body for a dispatch (guide payload + what ShipStation requires)."""
    address = get_shipping_address(order)
    billing_name = order.get("customer_address")
    billing = frappe.db.get_value("Address", billing_name, ["address_title", "address_line1", "address_line2",
                                                            "city", "state", "pincode", "country", "phone"],
                                  as_dict=True) if billing_name else None
    ship_to = _address(address)
    payload = {
        "orderNumber": order.name,
        "orderKey": order_key(order.name),
        "orderDate": f"{getdate(order.transaction_date).isoformat()} 00:00:00",
        "orderStatus": status,
        "customerEmail": contact_email(order, address),
        "amountPaid": lines_total(dispatch.lines),
        "billTo": _address(billing) if billing else dict(ship_to),
        "shipTo": ship_to,
        "items": [{
            "lineItemKey": line.sales_order_item,
            "sku": line.vendor_sku or line.item_code,
            "name": line.item_name or line.item_code,
            "quantity": quantity(line.qty),
            "unitPrice": money(line.rate),
        } for line in dispatch.lines],
    }
    known_id = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
    if known_id:
        # ShipStation: sending the orderId with the orderKey on an update prevents a duplicate record
        payload["orderId"] = _int_if_digits(known_id)
    advanced = {}
    if connection.get("warehouse_id"):
        advanced["warehouseId"] = _int_if_digits(connection.warehouse_id)
    if connection.get("store_id"):
        advanced["storeId"] = _int_if_digits(connection.store_id)
    if advanced:
        payload["advancedOptions"] = advanced
    return payload


# ------------------------------------------------------------------------------------- connector

class ShipStationConnector(Connector):
    """Sends a dispatch's lines to ShipStation as one order per (Sales Order, key pair)."""

    key = VENDOR

    def is_configured(self) -> bool:
        return bool(frappe.db.exists(CONNECTION_DOCTYPE, {"status": CONNECTED}))

    def resolve_connection(self, vendor_profile: str | None):
        """The vendor's own connected account, else MedGrid's platform account."""
        name = None
        if vendor_profile:
            name = frappe.db.get_value(CONNECTION_DOCTYPE, {"vendor_profile": vendor_profile, "status": CONNECTED,
                                                            "is_platform": 0}, "name", order_by="modified desc")
        if not name:
            name = frappe.db.get_value(CONNECTION_DOCTYPE, {"is_platform": 1, "status": CONNECTED}, "name",
                                       order_by="modified desc")
        return (CONNECTION_DOCTYPE, name) if name else (None, None)

    def _connection(self, dispatch):
        name = dispatch.get("connection_name") if dispatch.get("connection_doctype") == CONNECTION_DOCTYPE else None
        if not name:
            _doctype, name = self.resolve_connection(dispatch.get("vendor_profile"))
        if not name or not frappe.db.exists(CONNECTION_DOCTYPE, name):
            raise VendorError(f"No connected ShipStation account for {dispatch.get('vendor_profile') or 'MedGrid'}",
                              retryable=False)
        connection = frappe.get_doc(CONNECTION_DOCTYPE, name)
        if connection.status != CONNECTED:
            raise VendorError(f"ShipStation connection {name} is {connection.status}", retryable=False)
        return connection

    def _create_or_update(self, dispatch, order, status: str) -> dict:
        connection = self._connection(dispatch)
        payload = build_order_payload(dispatch, order, connection, status=status)
        client = connection_client(connection, (SALES_ORDER, order.name))
        response = client.request("POST", CREATE_ORDER_PATH, json_body=payload,
                                  error_messages={401: INVALID_CREDENTIALS})
        return response_json(response, VENDOR) or {}

    def send(self, dispatch, order) -> SendResult:
        """Upsert the ShipStation order (idempotent through ``orderKey``).

        ShipStation refuses to update an order that is no longer open (shipped or cancelled). When a
        re-send meets that refusal the order is at the vendor already — an acknowledgement was lost or
        the warehouse was quicker than the retry — so it is recorded as placed, not as a failure.
        """
        known_id = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
        try:
            body = self._create_or_update(dispatch, order, ORDER_STATUS_AWAITING_SHIPMENT)
        except VendorError as e:
            existing = self._closed_order(e, dispatch, order)
            if not existing:
                raise
            return SendResult(vendor_order_id=str(existing["orderId"]),
                              vendor_reference=existing.get("orderKey") or order_key(order.name),
                              order_fields={FIELDS.vendor_order_id: str(existing["orderId"]), FIELDS.sync_date: now_datetime()},
                              already_placed=True)
        order_id = body.get("orderId")
        if not order_id:
            raise VendorError("ShipStation accepted the order but returned no orderId", retryable=True)
        updated = bool(known_id) or bool(body.get("createDate") and body.get("modifyDate")
                                         and body["createDate"] != body["modifyDate"])
        return SendResult(
            vendor_order_id=str(order_id),
            vendor_reference=body.get("orderKey") or order_key(order.name),
            order_fields={FIELDS.vendor_order_id: str(order_id),
                          FIELDS.status: ORDER_STATUS_MAP.get(body.get("orderStatus"), STATUS_AWAITING_SHIPMENT),
                          FIELDS.sync_date: now_datetime()},
            already_placed=updated,
        )

    def _closed_order(self, error: VendorError, dispatch, order) -> dict | None:
        """The vendor's order behind a 400 "can no longer be updated", found by its orderKey."""
        if error.status_code != 400 or "no longer be updated" not in str(error):
            return None
        connection = self._connection(dispatch)
        client = connection_client(connection, (SALES_ORDER, order.name))
        # orderNumber is a starts-with filter: the orderKey picks the one that is ours
        body = response_json(client.request("GET", ORDERS_PATH, params={"orderNumber": order.name},
                                            error_messages={401: INVALID_CREDENTIALS}), VENDOR) or {}
        key = order_key(order.name)
        return next((o for o in body.get("orders") or [] if o.get("orderKey") == key and o.get("orderId")), None)

    def cancel(self, dispatch, order) -> bool:
        """Mark the ShipStation order cancelled (an upsert with ``orderStatus: cancelled``)."""
        self._create_or_update(dispatch, order, ORDER_STATUS_CANCELLED)
        return True

    def fetch_status(self, dispatch, order) -> VendorUpdate | None:
        """Current status (and tracking once shipped) as a vendor update."""
        order_id = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
        if not order_id:
            return None
        connection = self._connection(dispatch)
        client = connection_client(connection, (SALES_ORDER, order.name))
        body = response_json(client.request("GET", ORDER_PATH.format(order_id=order_id),
                                            error_messages={401: INVALID_CREDENTIALS}), VENDOR) or {}
        fields = {FIELDS.status: ORDER_STATUS_MAP.get(body.get("orderStatus"), STATUS_AWAITING_SHIPMENT),
                  FIELDS.sync_date: now_datetime()}
        if body.get("orderStatus") == "shipped":
            shipments = response_json(client.request("GET", SHIPMENTS_PATH, params={
                "orderId": order_id, "includeShipmentItems": "false"}), VENDOR) or {}
            live = [s for s in shipments.get("shipments") or [] if not s.get("voided")]
            if live:
                fields.update(shipment_fields(live[-1]))
        return VendorUpdate.from_order_fields(self.descriptor.order_fields, fields, vendor_order_id=str(order_id))
