"""The status-poll fallback (guide "Webhook Best Practices": *build a status-poll fallback*).

Webhooks get lost: ShipStation documents no retries, Shopify gives up after 4 hours, and a MedGrid
outage answers nothing. These scheduled jobs (``scheduler_events`` in ``medgrid/hooks.py``) re-read what
changed since the last sync and apply it through the same code the webhooks use:

* :func:`poll_shipstation` — every Connected ShipStation Connection: shipments created since its
  ``last_sync`` (``medgrid.connectors.shipstation.list_shipments``);
* :func:`poll_shopify` — the Exoceuticals store (``last_order_sync``) and every Connected vendor store
  (``last_sync``): orders updated since then, through the Admin GraphQL API;
* :func:`sweep_webhook_events` — stored events whose apply job was lost (still Received after a few
  minutes) or failed on a transient error get another try.

Centre Research has no webhook; its polling belongs to its connector.
Each account is polled in its own transaction, so one failing account does not stop the others, and
its sync mark only moves forward when its poll succeeded.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import add_to_date, cint, get_datetime, get_system_timezone, now_datetime

# The connectors' own GraphQL clients (medgrid.connectors.shopify_graphql.ShopifyGraphQL), built from the
# settings exactly as for sending: API version, cost bucket, optional api_base_url, and for vendor
# stores an expiring offline token refreshed before use
from medgrid.connectors.exoceuticals import get_client as exoceuticals_client
from medgrid.connectors.shipstation import list_shipments
from medgrid.connectors.shopify import get_client as store_client
from medgrid.webhooks import common, shipstation, shopify

SHIPSTATION_CONNECTION = "ShipStation Connection"
SHOPIFY_CONNECTION = "Shopify Connection"
EXOCEUTICALS_SETTINGS = "Exoceuticals Settings"
CONNECTED = "Connected"

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


# ------------------------------------------------------------------------------------ ShipStation

def poll_shipstation() -> dict:
    """Scheduler job: apply the shipments of every Connected ShipStation account since its last sync."""
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

def poll_shopify() -> dict:
    """Scheduler job: apply the orders updated in Exoceuticals and every Connected vendor store."""
    results = {}
    settings = frappe.db.get_value(EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS, ["enabled", "shop_domain"],
                                   as_dict=True) or {}
    if cint(settings.get("enabled")) and settings.get("shop_domain"):
        results.update(_poll_each("Exoceuticals", [EXOCEUTICALS_SETTINGS], lambda _name: poll_exoceuticals()))
    names = frappe.get_all(SHOPIFY_CONNECTION, filters={"status": CONNECTED}, pluck="name")
    results.update(_poll_each("Shopify store", names, poll_shopify_store))
    return results


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
