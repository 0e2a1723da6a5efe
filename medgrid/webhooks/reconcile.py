"""The status polls (guide "Webhook Best Practices": *build a status-poll fallback*), in one loop.

Webhooks get lost: ShipStation documents no retries, Shopify gives up after 4 hours, a MedGrid outage
answers nothing, and Centre Research has no webhook at all. :func:`poll_vendors` (every five minutes) runs
the poll of every registered vendor whose descriptor has one (``medgrid.vendors.Poll``), each at its own
interval, and everything it learns goes through the same ordered write as the webhooks:

* ``per_order`` vendors (Centre Research): :func:`poll_open_dispatches` asks the connector's
  ``fetch_status`` for every sent dispatch whose status is not final yet;
* ``accounts`` vendors re-read what changed since each account's last sync: :func:`poll_shipstation`
  (shipments of every Connected ShipStation Connection), :func:`poll_exoceuticals_store` and
  :func:`poll_shopify_stores` (orders updated in the Exoceuticals store / every Connected vendor store);
* :func:`sweep_webhook_events` — stored events whose apply job was lost (still Received after a few
  minutes) or failed on a transient error get another try.

Each account or order is polled in its own transaction, so one failure does not stop the others, and an
account's sync mark only moves forward when its poll succeeded.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import add_to_date, cint, get_datetime, get_system_timezone, now_datetime

from medgrid.connectors.base import VendorError, get_connector
from medgrid.constants import DISPATCH, SALES_ORDER, SENT
from medgrid.vendors import VendorDescriptor, get_vendor, get_vendors

# The connectors' own GraphQL clients (medgrid.connectors.shopify_graphql.ShopifyGraphQL), built from the
# settings exactly as for sending: API version, cost bucket, optional api_base_url, and for vendor
# stores an expiring offline token refreshed before use
from medgrid.connectors.exoceuticals import get_client as exoceuticals_client
from medgrid.connectors.shipstation import list_shipments
from medgrid.connectors.shopify import get_client as store_client
from medgrid.webhooks import common, shipstation, shopify, status_order

SHIPSTATION_CONNECTION = "ShipStation Connection"
SHOPIFY_CONNECTION = "Shopify Connection"
EXOCEUTICALS_SETTINGS = "Exoceuticals Settings"
CONNECTED = "Connected"

POLL_GATE_PREFIX = "medgrid:vendor-poll:"
# a per-order poll reads this many open dispatches per run at most (the rest wait for the next run)
OPEN_DISPATCH_BATCH = 500
TOO_MANY_REQUESTS = 429

# The first poll of an account looks this far back
FIRST_POLL_LOOKBACK_DAYS = 3
# Each poll starts this much before the last mark: ShipStation filters in its own (Pacific) time zone
# and either side's clock may drift; re-applying an unchanged shipment is harmless
SHIPSTATION_OVERLAP_HOURS = 12
SHOPIFY_OVERLAP_MINUTES = 10
ORDERS_PAGE_SIZE = 50

# An event still Received after this long lost its job; a Failed one is retried up to MAX_APPLY_ATTEMPTS
STUCK_AFTER_MINUTES = 5
MAX_APPLY_ATTEMPTS = 5
SWEEP_BATCH = 200

ORDERS_QUERY = """
query MedGridOrdersUpdatedSince($query: String!, $cursor: String) {
  orders(first: %d, after: $cursor, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id name tags updatedAt cancelledAt displayFulfillmentStatus
      customAttributes { key value }
      fulfillments(first: 10) { status createdAt trackingInfo(first: 5) { company number url } }
    }
  }
}
""".strip() % ORDERS_PAGE_SIZE


def _since(mark, overlap) -> object:
    started = now_datetime()
    if not mark:
        return add_to_date(started, days=-FIRST_POLL_LOOKBACK_DAYS)
    return get_datetime(mark) - overlap


def _poll_each(label: str, names, poll_one) -> dict:
    """Run ``poll_one(name)`` per account, each committed or rolled back on its own."""
    results = {}
    for name in names:
        try:
            results[name] = poll_one(name)
            frappe.db.commit()
        except Exception:
            frappe.db.rollback()
            results[name] = None
            frappe.log_error(title=f"MedGrid {label} poll failed for {name}")
            frappe.db.commit()
    return results


# ------------------------------------------------------------------------------------ the one loop

def poll_vendors() -> dict:
    """Scheduler job (every 5 minutes): each registered vendor's poll whose interval came due."""
    results = {}
    for key, descriptor in get_vendors().items():
        if descriptor.poll and _poll_due(descriptor):
            results[key] = poll_vendor(key)
    return results


def _poll_due(descriptor: VendorDescriptor) -> bool:
    """One run per interval across every scheduler (an atomic SET NX that lapses a minute early, so a run
    that started a little late does not skip a turn)."""
    seconds = max(60, cint(descriptor.poll.every_minutes) * 60 - 60)
    key = frappe.cache().make_key(POLL_GATE_PREFIX + descriptor.key)
    return bool(frappe.cache().set(key, b"1", ex=seconds, nx=True))


def poll_vendor(key: str):
    """Run one vendor's poll now, whatever its interval."""
    descriptor = get_vendor(key)
    if not descriptor or not descriptor.poll:
        return None
    if descriptor.poll.per_order:
        return poll_open_dispatches(descriptor)
    return frappe.get_attr(descriptor.poll.accounts)(descriptor)


def poll_open_dispatches(descriptor: VendorDescriptor) -> dict:
    """Ask the connector for the status of every sent dispatch whose vendor status is not final, oldest
    sync first; each is written (through the ordered update) and committed on its own."""
    connector = get_connector(descriptor.key)
    if not connector.is_configured():
        return {}
    rows = frappe.get_all(DISPATCH, filters=[["vendor", "=", descriptor.key], ["status", "=", SENT],
                                             ["vendor_status", "not in", descriptor.statuses.closed]],
                          fields=["name", "sales_order"], order_by="last_sync asc", limit=OPEN_DISPATCH_BATCH)
    results = {}
    for row in rows:
        try:
            results[row.sales_order] = _poll_dispatch(descriptor, connector, row.name, row.sales_order)
            frappe.db.commit()
        except VendorError as error:
            frappe.db.rollback()
            results[row.sales_order] = None
            frappe.log_error(title=f"{descriptor.label} status poll failed for {row.sales_order}",
                             message=str(error), reference_doctype=SALES_ORDER, reference_name=row.sales_order)
            frappe.db.commit()
            if error.retryable and error.status_code == TOO_MANY_REQUESTS:
                break  # the vendor's rate limit is spent; the next run continues
    return results


def _poll_dispatch(descriptor: VendorDescriptor, connector, dispatch_name: str, sales_order: str) -> str | None:
    dispatch = frappe.get_doc(DISPATCH, dispatch_name)
    order = frappe.get_doc(SALES_ORDER, sales_order)
    if order.docstatus != 1:
        return None
    update = connector.fetch_status(dispatch, order)
    if update is None:
        return None
    common.lock_order(sales_order)
    refused = status_order.write_update(sales_order, descriptor.key, update, route_key=dispatch.route_key,
                                        dispatch=dispatch_name)
    if refused:
        # a stale answer changes nothing but the time MedGrid last asked
        now = now_datetime()
        frappe.db.set_value(DISPATCH, dispatch_name, "last_sync", now, update_modified=False)
        if descriptor.order_fields.sync_date and dispatch.route_key in (None, descriptor.key):
            frappe.db.set_value(SALES_ORDER, sales_order, descriptor.order_fields.sync_date, now,
                                update_modified=False)
    return refused or update.status


# ------------------------------------------------------------------------------------ ShipStation

def poll_shipstation(descriptor: VendorDescriptor | None = None) -> dict:
    """ShipStation's poll: apply the shipments of every Connected account since its last sync."""
    names = frappe.get_all(SHIPSTATION_CONNECTION, filters={"status": CONNECTED}, pluck="name")
    return _poll_each("ShipStation", names, poll_shipstation_connection)


def poll_shipstation_connection(name: str) -> list[str]:
    """Shipments of one account since ``last_sync`` → orders; moves ``last_sync`` to the poll's start."""
    connection = frappe.get_doc(SHIPSTATION_CONNECTION, name)
    started = now_datetime()
    shipments = list_shipments(connection, _since(connection.last_sync, timedelta(hours=SHIPSTATION_OVERLAP_HOURS)),
                               reference=(SHIPSTATION_CONNECTION, name))
    updated = shipstation.apply_shipments(connection, shipments)
    frappe.db.set_value(SHIPSTATION_CONNECTION, name, "last_sync", started, update_modified=False)
    return updated


# ---------------------------------------------------------------------------------------- Shopify

def poll_exoceuticals_store(descriptor: VendorDescriptor | None = None) -> dict:
    """Exoceuticals' poll: its store's orders updated since the last order sync (when it is set up)."""
    settings = frappe.db.get_value(EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS, ["enabled", "shop_domain"],
                                   as_dict=True) or {}
    if not (cint(settings.get("enabled")) and settings.get("shop_domain")):
        return {}
    return _poll_each("Exoceuticals", [EXOCEUTICALS_SETTINGS], lambda _name: poll_exoceuticals())


def poll_shopify_stores(descriptor: VendorDescriptor | None = None) -> dict:
    """Vendor stores' poll: the orders updated in every Connected Shopify store."""
    names = frappe.get_all(SHOPIFY_CONNECTION, filters={"status": CONNECTED}, pluck="name")
    return _poll_each("Shopify store", names, poll_shopify_store)


def orders_search(since) -> str:
    """Shopify's search syntax for "updated after ``since``" (UTC)."""
    moment = get_datetime(since).replace(tzinfo=ZoneInfo(get_system_timezone())).astimezone(timezone.utc)
    return f"updated_at:>'{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def _apply_orders(vendor: str, client, since, connection: str | None = None) -> list[str]:
    updated = []
    for node in client.paginate(ORDERS_QUERY, {"query": orders_search(since)}, ("orders",)):
        outcome = shopify.apply_order_state(vendor, shopify.state_from_graphql(node), connection)
        if outcome.status == common.PROCESSED:
            updated.append(outcome.sales_order)
    return updated


def poll_exoceuticals() -> list[str]:
    """Exoceuticals orders updated since ``last_order_sync``; moves the mark to the poll's start."""
    settings = frappe.get_single(EXOCEUTICALS_SETTINGS)
    started = now_datetime()
    client = exoceuticals_client(settings, reference=(EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS))
    updated = _apply_orders(shopify.EXOCEUTICALS, client,
                            _since(settings.last_order_sync, timedelta(minutes=SHOPIFY_OVERLAP_MINUTES)))
    frappe.db.set_single_value(EXOCEUTICALS_SETTINGS, "last_order_sync", started)
    return updated


def poll_shopify_store(name: str) -> list[str]:
    """A vendor store's orders updated since its ``last_sync``; moves the mark to the poll's start."""
    connection = frappe.get_doc(SHOPIFY_CONNECTION, name)
    started = now_datetime()
    client = store_client(connection, reference=(SHOPIFY_CONNECTION, name))
    updated = _apply_orders(shopify.VENDOR_STORE, client,
                            _since(connection.last_sync, timedelta(minutes=SHOPIFY_OVERLAP_MINUTES)), name)
    frappe.db.set_value(SHOPIFY_CONNECTION, name, "last_sync", started, update_modified=False)
    return updated


# ----------------------------------------------------------------------------------- lost events

def sweep_webhook_events() -> int:
    """Scheduler job: re-enqueue events whose apply never ran or failed (a few more times)."""
    stuck_before = add_to_date(now_datetime(), minutes=-STUCK_AFTER_MINUTES)
    stuck = frappe.get_all(common.WEBHOOK_EVENT,
                           filters={"status": common.RECEIVED, "received_at": ["<", stuck_before]},
                           pluck="name", order_by="received_at asc", limit=SWEEP_BATCH)
    failed = frappe.get_all(common.WEBHOOK_EVENT,
                            filters={"status": common.FAILED, "attempts": ["<", MAX_APPLY_ATTEMPTS]},
                            pluck="name", order_by="received_at asc", limit=SWEEP_BATCH)
    for name in stuck + failed:
        common.enqueue_apply(name, after_commit=False)
    return len(stuck) + len(failed)
