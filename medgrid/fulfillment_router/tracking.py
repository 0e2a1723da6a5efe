"""The consolidated tracking view and the one place vendor updates are written to an order."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.connectors.base import get_connectors

# How a dispatch reads when its vendor has not reported a status yet
DISPATCH_STATUS_LABELS = {"Queued": "Queued", "Sending": "Sending", "Retrying": "Retrying",
                          "Sent": "Submitted", "Failed": "Failed", "Cancelled": "Cancelled"}


def shipments_for(order) -> list[dict]:
    """One entry per vendor route of the order: status and tracking, the vendor's own words first."""
    connectors = get_connectors()
    rows = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": order.name},
                          fields=["name", "vendor", "vendor_label", "status", "vendor_status", "tracking_number",
                                  "carrier", "tracking_url", "route_key"], order_by="creation asc")
    out = []
    for row in rows:
        connector = connectors.get(row.vendor)
        fields = connector.tracking_fields if connector else ()
        shared = row.route_key == row.vendor  # the order's vendor fields belong to the managed route
        order_status = order.get(connector.status_field) if connector and connector.status_field and shared else None
        number, carrier, url = ((order.get(f) if shared else None) for f in (fields or (None, None, None)))
        status = order_status or row.vendor_status or DISPATCH_STATUS_LABELS.get(row.status, row.status)
        if row.status in ("Failed", "Cancelled") and not row.vendor_status:
            status = row.status
        out.append({
            "vendor": row.vendor,
            "vendor_label": row.vendor_label or (connector.label if connector else row.vendor),
            "status": status,
            "tracking_number": number or row.tracking_number,
            "carrier": carrier or row.carrier,
            "tracking_url": url or row.tracking_url,
        })
    return out


def record_vendor_update(sales_order: str, vendor: str, order_fields: dict, *, route_key: str | None = None,
                         dispatch: str | None = None) -> None:
    """Write a vendor's status/tracking to the order fields and mirror it on the dispatch.

    Webhook handlers and status polls call this, so the two views never disagree.
    """
    connector = get_connectors().get(vendor)
    if order_fields and (route_key in (None, vendor)):
        frappe.db.set_value("Sales Order", sales_order, order_fields, update_modified=False)
    if not dispatch:
        filters = {"sales_order": sales_order, "vendor": vendor}
        if route_key:
            filters["route_key"] = route_key
        dispatch = frappe.db.get_value("Fulfillment Dispatch", filters, "name")
    if not dispatch or not connector:
        return
    number_field, carrier_field, url_field = connector.tracking_fields or (None, None, None)
    mirrored = {"last_sync": now_datetime()}
    for source, target in ((connector.status_field, "vendor_status"), (number_field, "tracking_number"),
                           (carrier_field, "carrier"), (url_field, "tracking_url")):
        if source and source in order_fields:
            mirrored[target] = order_fields[source]
    for target in ("vendor_status", "tracking_number", "carrier", "tracking_url"):
        if target in order_fields:
            mirrored[target] = order_fields[target]
    frappe.db.set_value("Fulfillment Dispatch", dispatch, mirrored, update_modified=False)
