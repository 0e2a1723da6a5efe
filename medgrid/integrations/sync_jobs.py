"""Background Shopify syncs: the daily run of every store, and a vendor's "sync now".

The daily scheduler event enqueues one job per store (Exoceuticals when enabled, every connected
vendor store) on the ``long`` queue, with a per-store ``job_id`` so a store is never synced by two
jobs at once (two concurrent inventory runs would both post the same difference). Each job runs the
catalog, then the inventory when the store has a warehouse, then — for a vendor's store with a
warehouse — the import of the store's new orders (:mod:`.order_import`, after the catalog so a product
added today already has its Item); a failing store is logged and does not affect the others.
"""

from __future__ import annotations

import frappe
from frappe import _

from medgrid.integrations import catalog_sync, inventory_sync, order_import
from medgrid.integrations.access import vendor_profile_for_session
from medgrid.integrations.constants import CONNECTED, EXOCEUTICALS, EXOCEUTICALS_SETTINGS, SHOPIFY, SHOPIFY_CONNECTION
from medgrid.integrations.shopify_oauth import require_shop_domain
from medgrid.integrations.store_sync import exoceuticals_store, vendor_store

JOB = "medgrid.integrations.sync_jobs.sync_store"
QUEUE = "long"
TIMEOUT = 3600


def job_id(key: str, shop_domain: str) -> str:
    return f"medgrid-shopify-sync::{key}::{shop_domain}"


def enqueue_store_sync(key: str, shop_domain: str):
    """Queue one store's catalog + inventory sync unless that store's sync is already queued or running."""
    return frappe.enqueue(JOB, queue=QUEUE, timeout=TIMEOUT, job_id=job_id(key, shop_domain), deduplicate=True,
                          key=key, shop_domain=shop_domain)


def daily():
    """scheduler_events ``daily_long``: queue the sync of every store."""
    if frappe.db.get_single_value(EXOCEUTICALS_SETTINGS, "enabled"):
        shop = frappe.db.get_single_value(EXOCEUTICALS_SETTINGS, "shop_domain")
        if shop:
            enqueue_store_sync(EXOCEUTICALS, shop)
    for shop in frappe.get_all(SHOPIFY_CONNECTION, filters={"status": CONNECTED}, pluck="name"):
        enqueue_store_sync(SHOPIFY, shop)


def sync_store(key: str, shop_domain: str) -> dict:
    """The job: catalog, then inventory and a vendor store's orders (when a warehouse is set)."""
    store = exoceuticals_store() if key == EXOCEUTICALS else vendor_store(shop_domain)
    result = {"catalog": catalog_sync.sync_catalog(store)}
    if store.warehouse:
        result["inventory"] = inventory_sync.sync_inventory(store)
        if key == SHOPIFY:
            result["orders"] = order_import.import_store_orders(shop_domain)
    return result


@frappe.whitelist(methods=["POST"])
def sync_shopify_store(shop_domain=None, vendor_profile=None):
    """``medgrid.integrations.sync_shopify_store``: queue a sync of one of the vendor's own stores."""
    profile = vendor_profile_for_session(vendor_profile)
    shop = require_shop_domain(shop_domain)
    owner = frappe.db.get_value(SHOPIFY_CONNECTION, shop, ["vendor_profile", "status"], as_dict=True)
    if not owner or owner.vendor_profile != profile:
        frappe.throw(_("Shopify store {0} not found").format(shop), frappe.DoesNotExistError)
    if owner.status != CONNECTED:
        frappe.throw(_("Connect the store {0} first").format(shop), frappe.ValidationError)
    queued = enqueue_store_sync(SHOPIFY, shop) is not None
    return {"ok": True, "integration": SHOPIFY, "shop_domain": shop, "queued": queued}
