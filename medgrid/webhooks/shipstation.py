"""ShipStation webhooks: ``POST /api/method/medgrid.shipstation.webhook`` (guide "Tracking Sync: ShipStation →
MedGrid").

ShipStation V1 webhooks are not signed (vendor-facts §1.4): the body is only
``{"resource_url", "resource_type"}``, a hint that MedGrid re-reads from ShipStation with the
connection's Basic auth. So the two things to protect are *which account's* credentials are used and
*where* they are sent.

**Which connection** — the webhook URL configured in ShipStation names it:

    https://<site>/api/method/medgrid.shipstation.webhook?connection=<ShipStation Connection name>&token=<webhook_token>

* ``connection`` given: that connection (status Connected). When it has a ``webhook_token``, the
  ``token`` parameter must equal it (constant-time compare); without one, no token is needed
  (contracts: the token is optional per connection, required once configured).
* only ``token`` given: the one Connected connection whose ``webhook_token`` it equals.
* neither: MedGrid's single platform connection (``is_platform``), and only while it has no token.

Anything else — unknown or disconnected connection, wrong or missing token, a connection without an
API key/secret — is refused with 401 and nothing is stored.

**Where** — ``resource_url`` must be ``https`` on ``ssapi.shipstation.com`` or another
``*.shipstation.com`` host on the default port, or exactly the scheme/host/port of the connection's
configured ``base_url`` (a sandbox). URLs with userinfo, other hosts (also ones merely *mentioning*
ShipStation in a path or query), other ports or schemes are refused before anything is stored, and
checked again before the fetch (as is every redirect, by the connector). Dedupe key: ``resource_url``.

Applying: the fetched shipments are matched by ``orderKey`` (``<Sales Order>-shipstation``),
``orderNumber`` (the Sales Order name) or the stored ``shipstation_order_id``. ORDER_NOTIFY /
ITEM_ORDER_NOTIFY set Awaiting Shipment (or what the re-read order says it is now); SHIP_NOTIFY /
ITEM_SHIP_NOTIFY / FULFILLMENT_SHIPPED set Shipped with tracking number, carrier code and a tracking
URL; a voided shipment withdraws the tracking it had set. The data is re-read at apply time, so it is
ShipStation's current state; still, a status never moves back (a re-read order awaiting shipment does
not undo a recorded shipment — only a voided label does), and only orders routed through the
notifying connection (a Fulfillment Dispatch on its route) are touched
(:mod:`medgrid.webhooks.status_order`).
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import frappe
from frappe import _
from frappe.utils.password import get_decrypted_password

from medgrid.constants import DISPATCH
from medgrid.vendors.builtin import SHIPSTATION
from medgrid.vendors.update import VendorUpdate
from medgrid.webhooks import common, status_order
from medgrid.webhooks.common import IGNORED, PROCESSED, UNMATCHED, Outcome, WebhookRejected

VENDOR = "shipstation"
CONNECTION_DOCTYPE = "ShipStation Connection"
CONNECTED = "Connected"
DEFAULT_BASE_URL = "https://ssapi.shipstation.com"
API_HOST = "ssapi.shipstation.com"
API_DOMAIN = "shipstation.com"
MAX_RESOURCE_URL_LENGTH = 2048
HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
MAX_PAGES = 20

CONNECTION_PARAM = "connection"
TOKEN_PARAM = "token"
ORDER_KEY_SUFFIX = "-shipstation"

ORDER_EVENTS = ("ORDER_NOTIFY", "ITEM_ORDER_NOTIFY")
SHIP_EVENTS = ("SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED")
KNOWN_EVENTS = ORDER_EVENTS + SHIP_EVENTS + ("FULFILLMENT_REJECTED",)

STATUS_AWAITING_SHIPMENT = "Awaiting Shipment"
STATUS_SHIPPED = "Shipped"
STATUS_CANCELLED = "Cancelled"
# A re-read order's orderStatus → shipstation_status (ORDER_NOTIFY means "Awaiting Shipment" unless the
# order has moved on since)
ORDER_STATUS_MAP = {
    "awaiting_payment": STATUS_AWAITING_SHIPMENT,
    "awaiting_shipment": STATUS_AWAITING_SHIPMENT,
    "pending_fulfillment": STATUS_AWAITING_SHIPMENT,
    "on_hold": STATUS_AWAITING_SHIPMENT,
    "shipped": STATUS_SHIPPED,
    "cancelled": STATUS_CANCELLED,
}

ORDER_FIELDS = SHIPSTATION.order_fields


# ------------------------------------------------------------------------------------ layer 1

def _origin(parts) -> tuple:
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def check_resource_url(resource_url, base_url: str | None = None) -> None:
    """Refuse (:class:`WebhookRejected`) any ``resource_url`` MedGrid must not send credentials to.

    Pure: the decision rests on the URL and the connection's configured base URL only.
    """
    if not isinstance(resource_url, str) or not resource_url:
        raise WebhookRejected("resource_url missing")
    if len(resource_url) > MAX_RESOURCE_URL_LENGTH:
        raise WebhookRejected("resource_url too long")
    # parsers disagree on backslashes, whitespace and control characters; none belong in the URL
    if not resource_url.isprintable() or any(ch in resource_url for ch in "\\ \t\r\n"):
        raise WebhookRejected("resource_url contains characters a URL may not")
    try:
        parts = urlsplit(resource_url)
        parts.port  # noqa: B018 — raises on a malformed port
    except ValueError:
        raise WebhookRejected("resource_url is not a valid URL") from None
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise WebhookRejected("resource_url carries userinfo")
    host = (parts.hostname or "").lower()
    if not host or not all(HOST_LABEL.match(label) for label in host.split(".")):
        raise WebhookRejected("resource_url host is not a plain host name")
    if base_url:
        base = urlsplit(base_url)
        # the configured base (a sandbox): MedGrid already sends this key pair there on every call
        if base.hostname and _origin(parts) == _origin(base):
            return
    if parts.scheme.lower() != "https":
        raise WebhookRejected("resource_url is not https")
    if host != API_HOST and not host.endswith("." + API_DOMAIN):
        raise WebhookRejected("resource_url host is not a ShipStation host")
    if parts.port not in (None, 443):
        raise WebhookRejected("resource_url port is not allowed")


def verify_token(given: str | None, configured: str) -> None:
    """The webhook URL's ``token`` must equal the connection's ``webhook_token``."""
    if not given:
        raise WebhookRejected("token missing")
    if not hmac.compare_digest(given.encode(), configured.encode()):
        raise WebhookRejected("wrong token")


# ------------------------------------------------------------------------------------ layer 2

CONNECTION_FIELDS = ["name", "status", "base_url", "is_platform", "vendor_profile"]


def _secret(connection: str, fieldname: str) -> str | None:
    return get_decrypted_password(CONNECTION_DOCTYPE, connection, fieldname, raise_exception=False)


def resolve_connection(name: str | None, token: str | None):
    """The connection a delivery is for (see the module docstring); raises :class:`WebhookRejected`."""
    if name:
        row = frappe.db.get_value(CONNECTION_DOCTYPE, name, CONNECTION_FIELDS, as_dict=True)
        if not row or row.status != CONNECTED:
            raise WebhookRejected("connection unknown or not connected")
        configured = _secret(row.name, "webhook_token")
        if configured:
            verify_token(token, configured)
    elif token:
        rows = frappe.get_all(CONNECTION_DOCTYPE, filters={"status": CONNECTED}, fields=CONNECTION_FIELDS)
        # compare against every configured token, not stopping at the first match
        matches = [r for r in rows if _token_matches(token, _secret(r.name, "webhook_token"))]
        if len(matches) != 1:
            raise WebhookRejected("token matches no single connection")
        row = matches[0]
    else:
        rows = frappe.get_all(CONNECTION_DOCTYPE, filters={"status": CONNECTED, "is_platform": 1},
                              fields=CONNECTION_FIELDS)
        if len(rows) != 1:
            raise WebhookRejected("no connection named and no single platform connection")
        row = rows[0]
        if _secret(row.name, "webhook_token"):
            raise WebhookRejected("token missing")
    # fail closed: without a key pair the resource could never be read
    if not (_secret(row.name, "api_key") and _secret(row.name, "api_secret")):
        raise WebhookRejected("connection has no API key/secret")
    return row


def _token_matches(given: str, configured: str | None) -> bool:
    return bool(configured) and hmac.compare_digest(given.encode(), configured.encode())


@frappe.whitelist(allow_guest=True, methods=["POST"])
def webhook():
    """``POST /api/method/medgrid.shipstation.webhook``: check, store once, answer 200 at once."""
    raw = common.raw_body()
    try:
        connection = resolve_connection(common.query_param(CONNECTION_PARAM), common.query_param(TOKEN_PARAM))
    except WebhookRejected as e:
        common.reject(VENDOR, e.reason)
    body = common.parse_json_object(raw)
    resource_url = body.get("resource_url")
    try:
        check_resource_url(resource_url, connection.base_url or DEFAULT_BASE_URL)
    except WebhookRejected as e:
        common.reject(VENDOR, e.reason)
    stored = common.store_event(vendor=VENDOR, event_type=str(body.get("resource_type") or "") or None,
                                dedupe_source=resource_url, dedupe_origin="resource_url", raw=raw,
                                context={"connection": connection.name})
    return common.accepted(stored)


# ------------------------------------------------------------------------------------ layer 3

def route_key(connection) -> str:
    """The Fulfillment Dispatch route a connection's orders travel on (as the router keys them)."""
    if not connection.is_platform and connection.vendor_profile:
        return f"{VENDOR}:{connection.vendor_profile}"
    return VENDOR


def match_order(record: dict) -> str | None:
    """The Sales Order of a ShipStation order / shipment / fulfillment record."""
    key = str(record.get("orderKey") or "")
    if key.endswith(ORDER_KEY_SUFFIX):
        name = common.existing_order(key[: -len(ORDER_KEY_SUFFIX)])
        if name:
            return name
    return (common.existing_order(record.get("orderNumber"))
            or common.order_by_field(ORDER_FIELDS.vendor_order_id, record.get("orderId")))


def page_url(resource_url: str, page: int) -> str:
    """``resource_url`` asking for ``page`` (ShipStation pages its lists)."""
    parts = urlsplit(resource_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "page"]
    return urlunsplit(parts._replace(query=urlencode(query + [("page", str(page))])))


def fetch_records(connection, resource_url: str, kind: str, reference) -> list[dict]:
    """Every record behind ``resource_url`` (all pages), re-checked before each fetch."""
    # imported where used: the endpoint (fast path) never needs a connector or its HTTP stack
    from medgrid.connectors.shipstation import fetch_resource

    list_key = "orders" if kind in ORDER_EVENTS else "fulfillments" if kind.startswith("FULFILLMENT") else "shipments"
    base_url = connection.base_url or DEFAULT_BASE_URL
    records, page, pages, url = [], 1, 1, resource_url
    while True:
        check_resource_url(url, base_url)  # defence in depth: the connector checks too
        body = fetch_resource(connection, url, reference=reference) or {}
        if isinstance(body, list):
            return records + body
        records.extend(body.get(list_key) or [])
        pages = min(int(body.get("pages") or 1), MAX_PAGES)
        page += 1
        if page > pages:
            return records
        url = page_url(resource_url, page)


def apply(event) -> Outcome:
    """Re-read the notified resource and write what it says (called by :func:`common.apply_event`)."""
    body = common.event_body(event)
    kind = str(body.get("resource_type") or "")
    if kind not in KNOWN_EVENTS or kind == "FULFILLMENT_REJECTED":
        return Outcome(IGNORED, note=_("ShipStation event {0} changes no MedGrid status").format(kind or "(none)"))
    name = common.event_context(event).get("connection")
    if not name or not frappe.db.exists(CONNECTION_DOCTYPE, name):
        return Outcome(IGNORED, note=_("ShipStation connection {0} no longer exists").format(name))
    connection = frappe.get_doc(CONNECTION_DOCTYPE, name)
    resource_url = body.get("resource_url")
    try:
        check_resource_url(resource_url, connection.base_url or DEFAULT_BASE_URL)
    except WebhookRejected as e:
        return Outcome(IGNORED, note=_("Refused resource_url: {0}").format(e.reason))
    records = fetch_records(connection, resource_url, kind, (common.WEBHOOK_EVENT, event.name))
    skipped: list = []
    if kind in ORDER_EVENTS:
        updated = apply_orders(connection, records, skipped)
    else:
        updated = apply_shipments(connection, records, skipped)
    if not updated and skipped:
        return Outcome(IGNORED, skipped[0][0], "; ".join(note for _name, note in skipped))
    if not updated:
        return Outcome(UNMATCHED, note=_("None of the {0} ShipStation records belongs to a MedGrid order routed "
                                         "through this connection").format(len(records)))
    note = _("Updated {0}").format(", ".join(updated)) if len(updated) > 1 else None
    return Outcome(PROCESSED, updated[0], note)


def _current_tracking(sales_order: str, key: str) -> str | None:
    """The tracking number MedGrid shows now for this order on this route."""
    if key == VENDOR:
        return frappe.db.get_value(common.SALES_ORDER, sales_order, ORDER_FIELDS.tracking_number)
    return frappe.db.get_value(DISPATCH, {"sales_order": sales_order, "vendor": VENDOR, "route_key": key},
                               "tracking_number")


def _route_exists(sales_order: str, key: str) -> bool:
    # an account (MedGrid's own or a vendor's) only updates orders that were routed through it
    return status_order.is_routed(sales_order, VENDOR, key)


def _group_by_order(records) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for record in records or []:
        if isinstance(record, dict):
            name = match_order(record)
            if name:
                grouped.setdefault(name, []).append(record)
    return grouped


def apply_shipments(connection, shipments, skipped: list | None = None) -> list[str]:
    """Write shipments (or fulfillments) to their orders; returns the Sales Orders updated.

    Per order the newest live shipment wins; when every shipment of the order in this batch is voided,
    their tracking is withdrawn — unless the order already shows another shipment's number. A voided
    label is the one explicit way back from Shipped. Orders left alone because the update would move
    their status backwards are added to ``skipped`` as ``(sales_order, reason)``.
    """
    key = route_key(connection)
    updated = []
    for sales_order, rows in _group_by_order(shipments).items():
        if not _route_exists(sales_order, key):
            continue
        common.lock_order(sales_order)
        live = [r for r in rows if not r.get("voided") and r.get("trackingNumber")]
        order_id = next((r.get("orderId") for r in rows if r.get("orderId")), None)
        update = VendorUpdate(vendor_order_id=str(order_id) if order_id else None)
        if live:
            latest = max(live, key=lambda r: (str(r.get("shipDate") or r.get("createDate") or ""),))
            update.status = STATUS_SHIPPED
            update.set_tracking(latest["trackingNumber"], latest.get("carrierCode"))
        else:
            voided = {str(r.get("trackingNumber")) for r in rows if r.get("voided") and r.get("trackingNumber")}
            current = _current_tracking(sales_order, key)
            if current and current not in voided:
                continue
            # a voided label is the one explicit way back from Shipped
            update.status, update.explicit = STATUS_AWAITING_SHIPMENT, True
            update.clear_tracking()
        _write(sales_order, update, key, updated, skipped)
    return updated


def _write(sales_order: str, update: VendorUpdate, key: str, updated: list, skipped: list | None) -> None:
    refused = status_order.write_update(sales_order, VENDOR, update, route_key=key)
    if refused:
        if skipped is not None:
            skipped.append((sales_order, refused))
    else:
        updated.append(sales_order)


def apply_orders(connection, orders, skipped: list | None = None) -> list[str]:
    """Write re-read ShipStation orders (ORDER_NOTIFY) to their Sales Orders; returns those updated.

    A re-read order that reads earlier than MedGrid's status (awaiting shipment after a shipment was
    recorded) does not move it back: only a voided label does, through the shipment it voids.
    """
    key = route_key(connection)
    updated = []
    for sales_order, rows in _group_by_order(orders).items():
        if not _route_exists(sales_order, key):
            continue
        common.lock_order(sales_order)
        record = rows[-1]
        update = VendorUpdate(status=ORDER_STATUS_MAP.get(str(record.get("orderStatus") or ""), STATUS_AWAITING_SHIPMENT),
                              vendor_order_id=str(record["orderId"]) if record.get("orderId") else None)
        _write(sales_order, update, key, updated, skipped)
    return updated
