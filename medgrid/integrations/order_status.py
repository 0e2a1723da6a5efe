"""MedGrid → vendor Shopify stores: a Sales Order's status change shows on the store's order.

When a Sales Order that has an order in a vendor's Shopify store (one MedGrid routed there, or one
imported from there) is closed, put on hold or cancelled, the store's order gets the tag
``medgrid:closed`` / ``medgrid:on-hold`` / ``medgrid:cancelled`` through ``tagsAdd``, so the merchant
sees in Shopify what MedGrid did. Tags are the least intrusive signal: they change nothing in the
store's fulfilment or payment, and adding a tag twice is a no-op, so a repeated job is harmless.

The cancel itself (``orderCancel``) is the connector's (:meth:`ShopifyConnector.cancel`, run by
:func:`medgrid.fulfillment_router.dispatch.cancel_for_order` for every Sent dispatch) — an imported
order's dispatch is Sent, so cancelling it in MedGrid cancels it at the store, without a refund.

ERPNext writes these statuses with ``db_set`` (close, hold, cancel), which runs the ``on_change``
doc event: :func:`tag_store_orders` is that hook. Tagging is a job after commit (a rolled-back close
sends nothing), one job id per dispatch and tag. A failed tag is logged and noted on the dispatch;
it is not retried (the status is informational; Shopify's own order state is unaffected).
"""

from __future__ import annotations

import frappe

from medgrid.connectors.base import VendorError
from medgrid.constants import DISPATCH, SALES_ORDER
from medgrid.integrations.constants import CONNECTED, SHOPIFY, SHOPIFY_CONNECTION

TAG_PREFIX = "medgrid:"
# Sales Order status → the status word tagged on the store's order
TAGGED_STATUSES = {"Closed": "closed", "On Hold": "on-hold", "Cancelled": "cancelled"}
JOB = "medgrid.integrations.order_status.add_status_tag"


def status_tag(status: str | None) -> str | None:
    """``medgrid:<status>`` for a status the store is told about, else None."""
    word = TAGGED_STATUSES.get(status or "")
    return f"{TAG_PREFIX}{word}" if word else None


def store_dispatches(sales_order: str) -> list[str]:
    """The order's vendor-store dispatches that have an order in Shopify."""
    return frappe.get_all(DISPATCH,
                          filters={"sales_order": sales_order, "vendor": SHOPIFY, "vendor_order_id": ("is", "set")},
                          pluck="name")


def tag_store_orders(doc, method=None):
    """Sales Order ``on_change``: queue the status tag for each vendor-store order of ``doc``.

    ``on_change`` runs after every save and status write; only a change into a tagged status queues
    anything (ERPNext's close/hold load the order fresh, so Frappe counts the status as changed).
    """
    tag = status_tag(doc.status)
    if not tag or doc.docstatus == 0 or not doc.has_value_changed("status"):
        return
    for name in store_dispatches(doc.name):
        frappe.enqueue(JOB, queue="short", job_id=f"medgrid-shopify-tag::{name}::{tag}", deduplicate=True,
                       enqueue_after_commit=True, dispatch=name, tag=tag)


def add_status_tag(dispatch: str, tag: str) -> bool:
    """Job: add ``tag`` to the dispatch's Shopify order; True when Shopify took it."""
    from medgrid.connectors.shopify import get_client

    row = frappe.db.get_value(DISPATCH, dispatch,
                              ["sales_order", "connection_name", "vendor_order_id"], as_dict=True)
    if not row or not row.vendor_order_id or not row.connection_name:
        return False
    if frappe.db.get_value(SHOPIFY_CONNECTION, row.connection_name, "status") != CONNECTED:
        return False  # a disconnected store has no token to tag with
    connection = frappe.get_doc(SHOPIFY_CONNECTION, row.connection_name)
    try:
        get_client(connection, (SALES_ORDER, row.sales_order)).add_tags(row.vendor_order_id, [tag])
    except VendorError as error:
        frappe.db.set_value(DISPATCH, dispatch, "last_error", f"Tag {tag} failed: {error}",
                            update_modified=False)
        frappe.log_error(title=f"Shopify status tag {tag} for {row.sales_order} failed", message=str(error),
                         reference_doctype=DISPATCH, reference_name=dispatch)
        return False
    return True
