"""Whitelisted helpers of the ``/sales-order`` page.

Everything else the page does goes through the REST API (``/api/resource/Sales Order`` to read, save,
submit and cancel; ERPNext's ``update_status`` to hold, close and resume), so the same checks run as for
any API client. What REST cannot give a partner is what became of each vendor's part of an order: the
Fulfillment Dispatch rows are the back office's (a partner may not read them). :func:`order_progress`
answers that for one order the caller may read, in words a person understands, with no error text of
the vendor's (it may carry request details) — only what the caller should do next.
"""

from __future__ import annotations

import frappe
from frappe import _

from medgrid.connectors.carriers import carrier_label
from medgrid.constants import CANCELLED, DISPATCH, FAILED, OPEN_DISPATCH_STATUSES, SALES_ORDER, SENT
from medgrid.exceptions import InvalidParameterError, MissingParameterError
from medgrid.fulfillment_router.tracking import shipments_for

# what cancel_at_vendor writes into last_error (medgrid.fulfillment_router.dispatch)
CANCEL_FAILED_PREFIX = "Cancel failed"
NO_CANCEL_API_MARK = "offers no cancel through its API"

# cancel outcome of one vendor route (the page words each one)
CANCEL_DONE = "cancelled"  # the vendor cancelled it (or it never reached the vendor)
CANCEL_PENDING = "pending"  # the cancel request is on its way to the vendor
CANCEL_BY_HAND = "by_hand"  # the vendor has no cancel API: cancel it with the vendor
CANCEL_FAILED = "failed"  # the vendor refused or could not be reached: an admin follows up


@frappe.whitelist(methods=["GET", "POST"])
def order_progress(sales_order=None):
    """``{sales_order, status, docstatus, shipments: [{vendor, vendor_label, status, carrier, carrier_label,
    tracking_number, tracking_url, cancel_result, cancel_note}]}`` of an order the caller may read.

    ``cancel_result`` is set once the order is cancelled: ``cancelled``, ``pending``, ``by_hand`` or ``failed``.
    """
    if sales_order is None or sales_order == "":
        frappe.throw(_("Missing required parameter: {0}").format("sales_order"), MissingParameterError)
    if not isinstance(sales_order, str):
        frappe.throw(_("Parameter sales_order must be a string"), InvalidParameterError)
    if not frappe.db.exists(SALES_ORDER, sales_order):
        frappe.throw(_("Sales Order {0} not found").format(sales_order), frappe.DoesNotExistError)
    order = frappe.get_doc(SALES_ORDER, sales_order)
    frappe.has_permission(SALES_ORDER, "read", order, throw=True)

    shipments = shipments_for(order)
    outcomes = _cancel_outcomes(order) if order.docstatus == 2 else {}
    for shipment in shipments:
        shipment["carrier_label"] = carrier_label(shipment.get("carrier"))
        result, note = outcomes.get(shipment["vendor"], (None, None))
        shipment["cancel_result"] = result
        shipment["cancel_note"] = note
    return {"sales_order": order.name, "status": order.status, "docstatus": order.docstatus,
            "shipments": shipments}


def _cancel_outcomes(order) -> dict[str, tuple[str, str]]:
    """vendor → (cancel result, what it means for the caller), the worst route of a vendor winning."""
    rows = frappe.get_all(DISPATCH, filters={"sales_order": order.name},
                          fields=["vendor", "vendor_label", "status", "last_error"], order_by="creation asc")
    rank = {CANCEL_DONE: 0, CANCEL_PENDING: 1, CANCEL_BY_HAND: 2, CANCEL_FAILED: 3}
    out: dict[str, tuple[str, str]] = {}
    for row in rows:
        label = row.vendor_label or row.vendor
        outcome = _cancel_outcome(row, label)
        current = out.get(row.vendor)
        if current is None or rank[outcome[0]] > rank[current[0]]:
            out[row.vendor] = outcome
    return out


def _cancel_outcome(row, label: str) -> tuple[str, str]:
    error = row.last_error or ""
    if row.status == CANCELLED and NO_CANCEL_API_MARK in error:
        return CANCEL_BY_HAND, _("{0} takes no cancel through its API: ask {0} to cancel the order.").format(label)
    if row.status == CANCELLED:
        return CANCEL_DONE, _("Cancelled at {0}.").format(label)
    if row.status == SENT and error.startswith(CANCEL_FAILED_PREFIX):
        return CANCEL_FAILED, _("{0} did not confirm the cancel. A MedGrid admin has the details.").format(label)
    if row.status == SENT:
        return CANCEL_PENDING, _("Asking {0} to cancel…").format(label)
    if row.status in OPEN_DISPATCH_STATUSES or row.status == FAILED:
        # cancel_for_order stops these in the cancel transaction; a row still open is about to be stopped
        return CANCEL_PENDING, _("Stopping the send to {0}…").format(label)
    return CANCEL_DONE, _("Cancelled at {0}.").format(label)
