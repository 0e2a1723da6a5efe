"""Sales Order doc_events: validate lines, route on submit, stop dispatches on cancel."""

from __future__ import annotations

import frappe

from medgrid.fulfillment_router import dispatch, routing


def validate_sales_order(doc, method=None):
    """Lines must be sellable, in stock where they are ordered from, routable to a vendor and priced no
    lower than the caller may (routing.validate_order); runs at every draft save and again at submit."""
    routing.validate_order(doc)


def route_on_submit(doc, method=None):
    """Write the order's Fulfillment Dispatches in the submit transaction; send after commit.

    The submit never waits on a vendor: sends are jobs enqueued once the transaction commits. An
    order the vendor already has (imported from its Shopify store) sets ``doc.flags.medgrid_skip_dispatch``
    so it is not sent back to that store; ``frappe.flags`` does the same for a whole request (tests).
    """
    if frappe.flags.medgrid_skip_dispatch or doc.flags.medgrid_skip_dispatch:
        return
    # each line's fulfillment_vendor was set by validate_order and stored with the submit's own save
    routes = routing.plan_routes(doc)
    for name in dispatch.create_dispatches(doc, routes):
        dispatch.enqueue_send(name, new_dispatch=True)


def cancel_dispatches(doc, method=None):
    dispatch.cancel_for_order(doc)
