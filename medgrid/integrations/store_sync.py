"""What a Shopify → MedGrid sync runs against, how it counts, reports progress and pages through Shopify.

A :class:`Store` is one shop seen from MedGrid: its GraphQL client and where its products land —
the Exoceuticals store (``Exoceuticals Settings``: item group, price list, warehouse) or a vendor's
``Shopify Connection`` (the connection's or the vendor's warehouse, MedGrid's default item group and
selling price list). The catalog and inventory syncs only read a Store, so both kinds of shop share
one implementation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.connectors.base import VendorError
from medgrid.exceptions import IntegrationNotConfiguredError
from medgrid.integrations.constants import (
    CONNECTED,
    EXOCEUTICALS,
    EXOCEUTICALS_SETTINGS,
    SHOPIFY,
    SHOPIFY_CONNECTION,
    VENDOR_PROFILE,
)

ROOT_ITEM_GROUP = "All Item Groups"
MAX_ERRORS_KEPT = 50  # the summary is stored on the settings: keep the first errors, count all


@dataclass
class Store:
    """One shop and the MedGrid records its catalog and stock are written to."""

    key: str                      # fulfillment vendor of its items: "exoceuticals" or "shopify"
    shop_domain: str
    doctype: str                  # where timestamps and the summary are stored
    docname: str
    vendor_profile: str | None
    item_group: str
    price_list: str | None
    warehouse: str | None
    approve_new_items: bool       # admin-managed catalog: yes; a vendor's own store: an admin approves
    client_factory: object = None

    _client: object = field(default=None, init=False, repr=False)

    @property
    def client(self):
        """The shop's GraphQL client, built (and its token refreshed if needed) on first use."""
        if self._client is None:
            self._client = self.client_factory()
        return self._client

    @property
    def reference(self) -> tuple:
        return (self.doctype, self.docname)


def exoceuticals_store() -> Store:
    """The admin-managed Exoceuticals store, or a 417 when it is not set up."""
    from medgrid.connectors.exoceuticals import get_client

    settings = frappe.get_single(EXOCEUTICALS_SETTINGS)
    if not (settings.enabled and settings.shop_domain):
        frappe.throw(_("Exoceuticals is not enabled or has no shop domain (Exoceuticals Settings)"),
                     IntegrationNotConfiguredError)
    if not settings.item_group:
        frappe.throw(_("Set the Item Group in Exoceuticals Settings"), IntegrationNotConfiguredError)
    return Store(EXOCEUTICALS, settings.shop_domain, EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS,
                 settings.vendor_profile, settings.item_group, settings.price_list, settings.warehouse,
                 approve_new_items=True,
                 client_factory=lambda: get_client(settings, reference=(EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS)))


def vendor_store(shop_domain: str) -> Store:
    """A vendor's connected Shopify store."""
    from medgrid.connectors.shopify import get_client

    connection = frappe.get_doc(SHOPIFY_CONNECTION, shop_domain)
    if connection.status != CONNECTED:
        frappe.throw(_("The Shopify store {0} is not connected").format(shop_domain), IntegrationNotConfiguredError)
    warehouse = connection.warehouse or (
        frappe.db.get_value(VENDOR_PROFILE, connection.vendor_profile, "default_warehouse")
        if connection.vendor_profile else None)
    item_group = frappe.db.get_single_value("Stock Settings", "item_group") or ROOT_ITEM_GROUP
    price_list = frappe.db.get_single_value("Selling Settings", "selling_price_list")
    return Store(SHOPIFY, connection.shop_domain, SHOPIFY_CONNECTION, connection.name, connection.vendor_profile,
                 item_group, price_list, warehouse,
                 # a vendor's store is reviewed product by product unless its Vendor Profile is trusted
                 approve_new_items=bool(connection.vendor_profile and frappe.db.get_value(
                     VENDOR_PROFILE, connection.vendor_profile, "trusted_catalog")),
                 client_factory=lambda: get_client(connection, reference=(SHOPIFY_CONNECTION, connection.name)))


# --------------------------------------------------------------------------------------- summary

@dataclass
class SyncSummary:
    """What one run did. ``failed`` and ``errors`` name products (catalog) or items (inventory)."""

    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)
    complete: bool = True

    def add(self, outcome: str, count: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + count)

    def fail(self, subject: str, title: str | None, error) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"id": subject, "title": title, "error": str(error)[:500]})

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped, "failed": self.failed, "errors": list(self.errors),
                "complete": self.complete}


def record_summary(store: Store, summary: SyncSummary, timestamp_field: str) -> None:
    """Store the run's summary (JSON) and time on the store's settings / connection."""
    values = {"last_sync_summary": json.dumps({"kind": summary.kind, "finished_at": str(now_datetime()),
                                               "shop": store.shop_domain, **summary.as_dict()},
                                              default=str)}
    if store.doctype == EXOCEUTICALS_SETTINGS:
        values[timestamp_field] = now_datetime()
        for fieldname, value in values.items():
            frappe.db.set_single_value(EXOCEUTICALS_SETTINGS, fieldname, value)
        return
    last_error = summary.errors[0]["error"] if summary.errors else None
    frappe.db.set_value(store.doctype, store.docname, {**values, "last_sync": now_datetime(),
                                                        "last_error": last_error})


class Progress:
    """Prints ``synced 50/120 products`` lines: visible on the CLI, in the worker log otherwise."""

    def __init__(self, noun: str, total: int | None, shop: str):
        self.noun, self.total, self.shop = noun, total, shop

    def report(self, done: int) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        print(f"{self.shop}: synced {done}{of} {self.noun}", flush=True)
        if self.total:
            frappe.publish_progress(min(100, done * 100 / self.total), title=_("Shopify sync"),
                                    description=f"{done}/{self.total} {self.noun}")


# ------------------------------------------------------------------------------------ pagination

def pages(client, query: str, variables: dict | None, path, *, estimated_cost: float):
    """Yield each page (the connection dict at ``path`` in ``data``) of a cursor-paginated query.

    The query takes ``$cursor: String`` as ``after:`` and selects ``pageInfo { hasNextPage endCursor }``.
    ``estimated_cost`` is the page's requested cost: the client waits for the shop's cost bucket to
    hold it before sending, so a long sync never runs into ``THROTTLED``.
    """
    cursor = None
    while True:
        data = client.execute(query, {**(variables or {}), "cursor": cursor}, estimated_cost=estimated_cost)
        connection = data
        for key in path:
            connection = (connection or {}).get(key) or {}
        yield connection
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage") or not page.get("endCursor"):
            return
        cursor = page["endCursor"]


def page_failed(store: Store, summary: SyncSummary, error: VendorError) -> None:
    """A page could not be read (Shopify down, token revoked): the run ends here, incomplete.

    What was synced before stays (each product or item is whole on its own); the summary says
    ``complete: false`` and the error is in the Error Log.
    """
    summary.complete = False
    summary.fail(store.shop_domain, None, error)
    frappe.log_error(title=f"Shopify {summary.kind} sync of {store.shop_domain} stopped", message=str(error),
                     reference_doctype=store.doctype, reference_name=store.docname)
