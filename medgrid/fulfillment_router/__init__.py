"""The fulfilment router: order lines → vendors, durable dispatch, consolidated tracking.

Whitelisted here (paths from the guide): ``medgrid.fulfillment_router.aggregate_shipments``, and the
admin actions ``dispatch_vendor`` and ``retry_dispatches``.
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from medgrid.exceptions import AlreadyDispatchedError, MissingParameterError, OrderNotRoutableError
from medgrid.setup.install import ADMIN


@frappe.whitelist(methods=["GET", "POST"])
def aggregate_shipments(sales_order=None):
    """``{"sales_order", "shipments": [{vendor, vendor_label, status, tracking_number, carrier, tracking_url}]}``."""
    from medgrid.fulfillment_router.tracking import shipments_for

    if not sales_order or not isinstance(sales_order, str):
        frappe.throw(_("Missing required parameter: {0}").format("sales_order"), MissingParameterError)
    if not frappe.db.exists("Sales Order", sales_order):
        frappe.throw(_("Sales Order {0} not found").format(sales_order), frappe.DoesNotExistError)
    order = frappe.get_doc("Sales Order", sales_order)
    frappe.has_permission("Sales Order", "read", order, throw=True)
    return {"sales_order": order.name, "shipments": shipments_for(order)}


@frappe.whitelist(methods=["POST"])
def dispatch_vendor(sales_order=None, vendor=None):
    """Admin: (re)send one vendor's part of a submitted order.

    409 when that vendor already has the order, 417 when the order is not submitted.
    """
    from medgrid.fulfillment_router import dispatch, routing

    frappe.only_for([ADMIN, "System Manager"])
    if not sales_order or not vendor:
        frappe.throw(_("sales_order and vendor are required"), MissingParameterError)
    if not frappe.db.exists("Sales Order", sales_order):
        frappe.throw(_("Sales Order {0} not found").format(sales_order), frappe.DoesNotExistError)
    order = frappe.get_doc("Sales Order", sales_order)
    if order.docstatus != 1:
        frappe.throw(_("Sales Order {0} is not submitted").format(sales_order), OrderNotRoutableError)
    rows = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": sales_order, "vendor": vendor},
                          fields=["name", "status"])
    if any(r.status in ("Sent", "Sending") for r in rows):
        frappe.throw(_("{0} already has Sales Order {1}; check its status instead").format(
            vendor, sales_order), AlreadyDispatchedError)
    if rows:
        for r in rows:
            dispatch.retry(r.name)
        return {"sales_order": sales_order, "vendor": vendor, "dispatches": [r.name for r in rows], "status": "Queued"}
    routes = [r for r in routing.plan_routes(order) if r.vendor == vendor]
    if not routes:
        frappe.throw(_("Sales Order {0} has no lines for {1}").format(sales_order, vendor), OrderNotRoutableError)
    names = dispatch.create_dispatches(order, routes)
    for name in names:
        dispatch.enqueue_send(name)
    return {"sales_order": sales_order, "vendor": vendor, "dispatches": names, "status": "Queued"}


@frappe.whitelist(methods=["POST"])
def retry_dispatches(names=None):
    """Admin: put Failed dispatches back in the queue (one name or a JSON list)."""
    from medgrid.fulfillment_router import dispatch

    frappe.only_for([ADMIN, "System Manager"])
    if isinstance(names, str):
        names = json.loads(names) if names.strip().startswith("[") else [names]
    if not names:
        frappe.throw(_("Missing required parameter: {0}").format("names"), MissingParameterError)
    retried = []
    for name in names:
        status = frappe.db.get_value("Fulfillment Dispatch", name, "status")
        if status is None:
            frappe.throw(_("Fulfillment Dispatch {0} not found").format(name), frappe.DoesNotExistError)
        if status in ("Failed", "Retrying", "Queued"):
            dispatch.retry(name)
            retried.append(name)
    return {"retried": retried}
