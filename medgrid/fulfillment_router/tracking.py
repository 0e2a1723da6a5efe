"""The consolidated tracking view and the one place vendor updates are written to an order."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.constants import DISPATCH, SALES_ORDER
from medgrid.vendors import get_vendor, get_vendors
from medgrid.vendors.update import VendorUpdate

# How a dispatch reads when its vendor has not reported a status yet
DISPATCH_STATUS_LABELS = {"Queued": "Queued", "Sending": "Sending", "Retrying": "Retrying",
                          "Sent": "Submitted", "Failed": "Failed", "Cancelled": "Cancelled"}


def shipments_for(order) -> list[dict]:
    """One entry per vendor route of the order: status and tracking, the vendor's own words first."""
    vendors = get_vendors()
    rows = frappe.get_all(DISPATCH, filters={"sales_order": order.name},
                          fields=["name", "vendor", "vendor_label", "status", "vendor_status", "tracking_number",
                                  "carrier", "tracking_url", "route_key"], order_by="creation asc")
    out = []
    for row in rows:
        vendor = vendors.get(row.vendor)
        owned = vendor.order_fields if vendor else None
        shared = row.route_key == row.vendor  # the order's vendor fields belong to the managed route
        order_status = order.get(owned.status) if owned and owned.status and shared else None
        number, carrier, url = ((order.get(f) if shared and f else None)
                                for f in (owned.tracking if owned else (None, None, None)))
        status = order_status or row.vendor_status or DISPATCH_STATUS_LABELS.get(row.status, row.status)
        if row.status in ("Failed", "Cancelled") and not row.vendor_status:
            status = row.status
        out.append({
            "vendor": row.vendor,
            "vendor_label": row.vendor_label or (vendor.label if vendor else row.vendor),
            "status": status,
            "tracking_number": number or row.tracking_number,
            "carrier": carrier or row.carrier,
            "tracking_url": url or row.tracking_url,
        })
    return out


def record_vendor_update(sales_order: str, vendor: str, update: VendorUpdate | dict, *, route_key: str | None = None,
                         dispatch: str | None = None) -> None:
    """The one writer of vendor status and tracking: the vendor's Sales Order fields and the dispatch alike.

    Webhooks, polls and the send itself call this, so the order and its dispatch never disagree. A dict is
    taken as Sales Order field values of that vendor (or dispatch column names).
    """
    descriptor = get_vendor(vendor)
    if descriptor is None:
        frappe.throw(_("No vendor {0} is registered").format(vendor))
    if isinstance(update, dict):
        update = VendorUpdate.from_order_fields(descriptor.order_fields, update)
    now = now_datetime()
    if route_key in (None, vendor):
        # the order's vendor fields belong to the managed route; a vendor's own account has its dispatch only
        order_values = update.order_fields(descriptor.order_fields, now)
        if order_values:
            frappe.db.set_value(SALES_ORDER, sales_order, order_values, update_modified=False)
    if not dispatch:
        filters = {"sales_order": sales_order, "vendor": vendor}
        if route_key:
            filters["route_key"] = route_key
        dispatch = frappe.db.get_value(DISPATCH, filters, "name")
    if dispatch:
        frappe.db.set_value(DISPATCH, dispatch, dispatch_update_values(descriptor, update, now, dispatch),
                            update_modified=False)


def dispatch_update_values(descriptor, update: VendorUpdate, now, dispatch: str | None = None) -> dict:
    """The dispatch columns a vendor update writes; ``dispatch`` None for a dispatch not written yet
    (no milestone recorded so far)."""
    values = {**update.dispatch_fields(), "last_sync": now}
    values.update(_milestones(dispatch, descriptor.statuses, update.status, update.occurred_at or now))
    return values


def milestone_stages(statuses) -> dict:
    """Dispatch column → the vendor stage that first sets it: acknowledged at the first stage the vendor
    reports itself (not the placeholder MedGrid writes before it answers), shipped at its shipped stage."""
    reported = [s for s in statuses.stages if s != statuses.initial]
    out = {}
    if reported:
        out["acknowledged_at"] = reported[0]
    if statuses.shipped in statuses.stages:
        out["shipped_at"] = statuses.shipped
    return out


def _milestones(dispatch: str, statuses, status: str | None, at) -> dict:
    """The milestone columns ``status`` reaches that are still empty: each is written once, at the first
    update at or past its stage (a vendor that reports Shipped straight away has acknowledged too)."""
    if not status or status not in statuses.stages:
        return {}
    reached = [column for column, stage in milestone_stages(statuses).items()
               if statuses.stages.index(status) >= statuses.stages.index(stage)]
    if not reached:
        return {}
    current = (frappe.db.get_value(DISPATCH, dispatch, reached, as_dict=True) if dispatch else None) or {}
    return {column: at for column in reached if not current.get(column)}
