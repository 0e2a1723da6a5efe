"""Shopify order webhooks: ``POST /api/method/medgrid.exoceuticals.webhook`` (guide "Inbound Webhook from
Exoceuticals"), for the Exoceuticals store and every connected vendor store alike.

Verification (vendor-facts §2b, contracts "Shopify / Exoceuticals"): ``X-Shopify-Shop-Domain`` must
name a connected shop — ``Exoceuticals Settings.shop_domain`` or a ``Shopify Connection`` in status
Connected — and ``X-Shopify-Hmac-Sha256`` must be ``base64(HMAC-SHA256(secret, raw body))`` with that
shop's secret: Exoceuticals' ``webhook_secret`` or its ``client_secret`` (either is accepted, which also
covers a secret rotation), or for a vendor store the MedGrid app's ``medgrid_shopify_api_secret``
(MedGrid System Settings). An unknown shop or a shop without a secret is refused.

Dedupe key: ``X-Shopify-Event-Id``, else ``X-Shopify-Webhook-Id``, else SHA-256 of the body. Topics
``orders/updated``, ``orders/cancelled`` and ``orders/fulfilled`` are applied; any other verified topic
is stored as Ignored. The order's ``updated_at`` is the event time, so a retry carrying an old
version of the order does not overwrite a newer one.

Applying maps the order onto ``exoceuticals_status`` (Open / Fulfilled / Cancelled; Pending and Failed
are MedGrid's own states before and instead of Shopify accepting the order) and the tracking fields
of the latest live fulfillment. The Sales Order is found by the Shopify order GID stored on it (or on
the vendor store's Fulfillment Dispatch), else by the ``medgrid_sales_order`` note attribute or a tag
carrying its name — MedGrid tags every order it creates. A vendor store's status lands on its
Fulfillment Dispatch (the Sales Order has no per-store fields).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils.password import get_decrypted_password

from medgrid.constants import DISPATCH, SYSTEM_SETTINGS
from medgrid.vendors import builtin
from medgrid.vendors.update import VendorUpdate
from medgrid.webhooks import common, status_order
from medgrid.webhooks.common import IGNORED, PROCESSED, RECEIVED, UNMATCHED, Outcome, WebhookRejected

EXOCEUTICALS = "exoceuticals"
VENDOR_STORE = "shopify"
EXOCEUTICALS_SETTINGS = "Exoceuticals Settings"
CONNECTION_DOCTYPE = "Shopify Connection"
CONNECTED = "Connected"

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
SHOP_HEADER = "X-Shopify-Shop-Domain"
TOPIC_HEADER = "X-Shopify-Topic"
EVENT_ID_HEADER = "X-Shopify-Event-Id"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"

TOPIC_UPDATED = "orders/updated"
TOPIC_CANCELLED = "orders/cancelled"
TOPIC_FULFILLED = "orders/fulfilled"
ORDER_TOPICS = (TOPIC_UPDATED, TOPIC_CANCELLED, TOPIC_FULFILLED)

# MedGrid writes the Sales Order name into this custom attribute (REST: note_attributes) of its orders
SALES_ORDER_ATTRIBUTE = "medgrid_sales_order"
ORDER_GID_PREFIX = "gid://shopify/Order/"
# A shop host as Shopify sends it (or a sandbox host:port); anything else is not worth a look-up
SHOP_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{0,252}(:[0-9]{1,5})?$")
DEAD_FULFILLMENT_STATUSES = ("cancelled", "error", "failure")

STATUS_OPEN = "Open"
STATUS_FULFILLED = "Fulfilled"
STATUS_CANCELLED = "Cancelled"

FIELD_ORDER_NAME = builtin.EXOCEUTICALS_ORDER_NAME


# ------------------------------------------------------------------------------------ layer 1

def compute_hmac(raw_body: bytes, secret: str) -> str:
    """The ``X-Shopify-Hmac-Sha256`` value Shopify sends for this body."""
    return base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()


def verify_hmac(raw_body: bytes, signature: str | None, secrets) -> None:
    """Accept the body when its HMAC matches one of ``secrets``; raises :class:`WebhookRejected`."""
    secrets = [s for s in secrets or () if s]
    if not secrets:
        raise WebhookRejected("no Shopify webhook secret is configured for this shop")
    if not signature:
        raise WebhookRejected("X-Shopify-Hmac-Sha256 missing")
    given = signature.strip().encode()
    # every secret is tried (no early exit), so timing does not tell which one is in use
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(compute_hmac(raw_body, secret).encode(), given)
    if not matched:
        raise WebhookRejected("HMAC mismatch")


def normalize_shop(value) -> str | None:
    """``Foo.myshopify.com`` / ``https://foo.myshopify.com/`` → ``foo.myshopify.com``; None if unusable."""
    text = str(value or "").strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.rstrip("/")
    return text if SHOP_PATTERN.match(text) else None


# ------------------------------------------------------------------------------------ layer 2

@dataclass
class Shop:
    """A connected shop: which vendor key its orders belong to and the secrets that sign its webhooks."""

    vendor: str
    domain: str
    secrets: list
    connection: str | None = None


def resolve_shop(domain: str) -> Shop | None:
    """The connected shop behind ``X-Shopify-Shop-Domain``, or None for a shop MedGrid does not know."""
    if normalize_shop(frappe.db.get_single_value(EXOCEUTICALS_SETTINGS, "shop_domain")) == domain:
        secrets = [get_decrypted_password(EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS, f, raise_exception=False)
                   for f in ("webhook_secret", "client_secret")]
        return Shop(EXOCEUTICALS, domain, secrets)
    connection = frappe.db.get_value(CONNECTION_DOCTYPE, {"shop_domain": domain, "status": CONNECTED}, "name")
    if connection:
        secret = get_decrypted_password(SYSTEM_SETTINGS, SYSTEM_SETTINGS, "medgrid_shopify_api_secret",
                                        raise_exception=False)
        return Shop(VENDOR_STORE, domain, [secret], connection)
    return None


@frappe.whitelist(allow_guest=True, methods=["POST"])
def webhook():
    """``POST /api/method/medgrid.exoceuticals.webhook``: verify, store once, answer 200 at once."""
    raw = common.raw_body()
    domain = normalize_shop(common.request_header(SHOP_HEADER))
    shop = resolve_shop(domain) if domain else None
    if not shop:
        common.reject("shopify", "shop domain missing or not a connected shop")
    try:
        verify_hmac(raw, common.request_header(HMAC_HEADER), shop.secrets)
    except WebhookRejected as e:
        common.reject(shop.vendor, e.reason)
    topic = (common.request_header(TOPIC_HEADER) or "").lower()
    body = common.parse_json_object(raw)
    for header in (EVENT_ID_HEADER, WEBHOOK_ID_HEADER):
        source = common.request_header(header)
        if source:
            origin = header
            break
    else:
        source, origin = common.sha256_hex(raw), "sha256(body)"
    occurred_at = (common.parse_timestamp(body.get("updated_at"))
                   or common.parse_timestamp(common.request_header(TRIGGERED_AT_HEADER)))
    stored = common.store_event(
        vendor=shop.vendor, event_type=topic or None, dedupe_source=source, dedupe_origin=origin, raw=raw,
        occurred_at=occurred_at, context={"shop_domain": shop.domain, "connection": shop.connection, "topic": topic},
        status=RECEIVED if topic in ORDER_TOPICS else IGNORED)
    return common.accepted(stored)


# ------------------------------------------------------------------------------ order payloads

@dataclass
class OrderState:
    """The parts of a Shopify order MedGrid reads, from a webhook (REST JSON) or a poll (GraphQL)."""

    gid: str | None = None
    name: str | None = None
    tags: list = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    cancelled: bool = False
    fulfillment_status: str = ""
    updated_at: object = None
    # None when the payload left fulfillments out (then tracking is not touched)
    fulfillments: list | None = None


def _first(values):
    return next((v for v in values or () if v), None)


def state_from_webhook(order: dict) -> OrderState:
    """A REST-shaped order (the ``orders/*`` webhook body)."""
    tags = order.get("tags") or ""
    if isinstance(tags, str):
        tags = tags.split(",")
    fulfillments = None
    if isinstance(order.get("fulfillments"), list):
        fulfillments = [{
            "status": f.get("status"),
            "company": f.get("tracking_company"),
            "number": f.get("tracking_number") or _first(f.get("tracking_numbers")),
            "url": f.get("tracking_url") or _first(f.get("tracking_urls")),
        } for f in order["fulfillments"] if isinstance(f, dict)]
    gid = order.get("admin_graphql_api_id") or (f"{ORDER_GID_PREFIX}{order['id']}" if order.get("id") else None)
    return OrderState(
        gid=gid, name=order.get("name"), tags=[str(t).strip() for t in tags if str(t).strip()],
        attributes={str(a.get("name")): a.get("value") for a in order.get("note_attributes") or []
                    if isinstance(a, dict)},
        cancelled=bool(order.get("cancelled_at")),
        fulfillment_status=str(order.get("fulfillment_status") or "").lower(),
        updated_at=common.parse_timestamp(order.get("updated_at")), fulfillments=fulfillments)


def state_from_graphql(node: dict) -> OrderState:
    """An Admin GraphQL ``Order`` node as selected by :data:`medgrid.webhooks.reconcile.ORDERS_QUERY`."""
    fulfillments = []
    for f in node.get("fulfillments") or []:
        info = (f.get("trackingInfo") or [{}])[-1] or {}
        fulfillments.append({"status": f.get("status"), "company": info.get("company"), "number": info.get("number"),
                             "url": info.get("url")})
    return OrderState(
        gid=node.get("id"), name=node.get("name"), tags=list(node.get("tags") or []),
        attributes={str(a.get("key")): a.get("value") for a in node.get("customAttributes") or []},
        cancelled=bool(node.get("cancelledAt")),
        fulfillment_status=str(node.get("displayFulfillmentStatus") or "").lower(),
        updated_at=common.parse_timestamp(node.get("updatedAt")), fulfillments=fulfillments)


def order_status(state: OrderState, topic: str | None = None) -> str:
    """Shopify's order state in the ``exoceuticals_status`` vocabulary."""
    if state.cancelled:
        return STATUS_CANCELLED
    if state.fulfillment_status == "fulfilled" or topic == TOPIC_FULFILLED:
        return STATUS_FULFILLED
    return STATUS_OPEN


def latest_fulfillment(state: OrderState) -> dict | None:
    """The newest live fulfillment with a tracking number (None when none is live)."""
    live = [f for f in state.fulfillments or []
            if str(f.get("status") or "").lower() not in DEAD_FULFILLMENT_STATUSES and f.get("number")]
    return live[-1] if live else None


def candidate_orders(state: OrderState) -> list[str]:
    """Sales Order names the Shopify order carries (attribute first, then tags), existing ones only."""
    names = [state.attributes.get(SALES_ORDER_ATTRIBUTE)] + list(state.tags)
    seen, out = set(), []
    for name in names:
        if name and name not in seen:
            seen.add(name)
            if common.existing_order(name):
                out.append(name)
    return out


# ------------------------------------------------------------------------------------ layer 3

def apply(event) -> Outcome:
    """Write one Shopify order webhook to its Sales Order / dispatch (called by :func:`common.apply_event`)."""
    context = common.event_context(event)
    state = state_from_webhook(common.event_body(event))
    return apply_order_state(event.vendor, state, context.get("connection"), topic=context.get("topic"),
                             exclude=event.name, occurred_at=event.occurred_at)


def apply_order_state(vendor: str, state: OrderState, connection: str | None = None, *, topic: str | None = None,
                      exclude: str | None = None, occurred_at=None) -> Outcome:
    """Apply a Shopify order's state (webhook or poll) for Exoceuticals or a vendor store."""
    occurred_at = occurred_at or state.updated_at
    if vendor == EXOCEUTICALS:
        sales_order = (common.order_by_field(builtin.EXOCEUTICALS.order_fields.vendor_order_id, state.gid)
                       or _first(candidate_orders(state)))
        dispatch = None
    else:
        dispatch = _store_dispatch(state, connection)
        sales_order = dispatch.sales_order if dispatch else None
    if not sales_order:
        return Outcome(UNMATCHED, note=_("No Sales Order for Shopify order {0}").format(state.name or state.gid))
    if vendor == EXOCEUTICALS and not status_order.is_routed(sales_order, EXOCEUTICALS):
        return Outcome(UNMATCHED, note=status_order.not_routed_note(sales_order, "Exoceuticals"))
    common.lock_order(sales_order)
    if common.is_stale(vendor, sales_order, occurred_at, exclude=exclude):
        return Outcome(IGNORED, sales_order, _("Stale: a newer version of the Shopify order was already applied"))
    update = VendorUpdate(status=order_status(state, topic), explicit=fulfillment_withdrawn(state),
                          occurred_at=occurred_at)
    if state.fulfillments is not None:
        # no live fulfillment (none yet, or cancelled) withdraws what an earlier event recorded
        update.clear_tracking()
        latest = latest_fulfillment(state)
        if latest:
            update.set_tracking(latest["number"], latest.get("company"), latest.get("url"))
    if vendor == EXOCEUTICALS:
        update.vendor_order_id = state.gid or None
        if state.name:
            update.extra[FIELD_ORDER_NAME] = state.name
        refused = status_order.write_update(sales_order, EXOCEUTICALS, update)
    else:
        refused = status_order.write_update(sales_order, VENDOR_STORE, update, route_key=dispatch.route_key,
                                            dispatch=dispatch.name)
    if refused:
        return Outcome(IGNORED, sales_order, refused)
    return Outcome(PROCESSED, sales_order)


def fulfillment_withdrawn(state: OrderState) -> bool:
    """The merchant cancelled the order's fulfillments (some listed, none live): an explicit way back
    from Fulfilled to Open. An order that was never fulfilled lists none, which is not the same."""
    if state.cancelled or state.fulfillment_status == "fulfilled" or not state.fulfillments:
        return False
    return all(str(f.get("status") or "").lower() in DEAD_FULFILLMENT_STATUSES for f in state.fulfillments)


def _store_dispatch(state: OrderState, connection: str | None):
    """The vendor-store Fulfillment Dispatch for a Shopify order: by the order GID the connector stored,
    else the dispatch of a Sales Order the order names that went through this store."""
    fields = ["name", "sales_order", "route_key"]
    if state.gid:
        row = frappe.db.get_value(DISPATCH, {"vendor": VENDOR_STORE, "vendor_order_id": state.gid}, fields,
                                  as_dict=True)
        if row:
            return row
    for sales_order in candidate_orders(state):
        filters = {"vendor": VENDOR_STORE, "sales_order": sales_order}
        if connection:
            filters.update({"connection_doctype": CONNECTION_DOCTYPE, "connection_name": connection})
        row = frappe.db.get_value(DISPATCH, filters, fields, as_dict=True)
        if row:
            return row
    return None
