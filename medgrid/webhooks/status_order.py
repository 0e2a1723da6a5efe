"""The order of each vendor's statuses, and the guarded write every vendor update goes through.

Vendors deliver late, twice and out of order, and not every event carries a time (the timestamp check
in :func:`medgrid.webhooks.common.is_stale` only covers those that do). So besides time, a vendor's
statuses have an order: an order that is Delivered does not go back to Shipped because a late
ORDER_SHIPPED arrives. The rules, per vendor:

* **stages** progress in the listed order (each vendor's descriptor lists them, ``medgrid.vendors``); an update to an earlier stage is ignored;
* **final** statuses (Cancelled, Refunded) are always applied — a cancellation is explicit — and once
  there, only an explicit move (a PerfectRx ORDER_RESHIPPED) leaves them;
* **side** statuses (Failed, On Hold) apply while nothing has shipped; any status may follow them
  (the vendor retried or released the order);
* an **explicit** move — a reship, a voided ShipStation label, a cancelled Shopify fulfillment — may
  go back a stage; the caller says so;
* a status this table does not know is never blocked.

And an update only applies to an order that was routed to that vendor: a Fulfillment Dispatch exists
for the order and vendor (and route, for a vendor's own account). A verified event about another
vendor's order is left Unmatched, so one vendor cannot write another's fields.
"""

from __future__ import annotations

import frappe
from frappe import _

from medgrid.constants import DISPATCH, SALES_ORDER
from medgrid.vendors import FINAL_STATUSES as FINAL
from medgrid.vendors import SIDE_STATUSES as SIDE
from medgrid.vendors import get_vendor
from medgrid.vendors.update import VendorUpdate


def may_move(vendor: str, current: str | None, new: str | None, *, explicit: bool = False) -> bool:
    """Whether ``vendor``'s status may change from ``current`` to ``new``."""
    if not new or not current or new == current or explicit:
        return True
    if new in FINAL:
        return True
    if current in FINAL:
        return False
    descriptor = get_vendor(vendor)
    stages = descriptor.statuses.stages if descriptor else ()
    if new in SIDE:
        return current in SIDE or not _at_or_after(stages, current, descriptor.statuses.shipped if descriptor else None)
    if current in SIDE or new not in stages or current not in stages:
        return True
    return stages.index(new) >= stages.index(current)


def _at_or_after(stages, status: str, mark: str | None) -> bool:
    return bool(mark) and status in stages and mark in stages and stages.index(status) >= stages.index(mark)


def is_routed(sales_order: str, vendor: str, route_key: str | None = None) -> bool:
    """True when the order was routed to ``vendor`` (through ``route_key`` when given)."""
    filters = {"sales_order": sales_order, "vendor": vendor}
    if route_key:
        filters["route_key"] = route_key
    return bool(frappe.db.exists(DISPATCH, filters))


def not_routed_note(sales_order: str, label: str) -> str:
    return _("Sales Order {0} was not routed to {1}").format(sales_order, label)


def current_status(sales_order: str, vendor: str, *, route_key: str | None = None,
                   dispatch: str | None = None) -> str | None:
    """The status MedGrid shows now for this order at this vendor (route)."""
    descriptor = get_vendor(vendor)
    status_field = descriptor.order_fields.status if descriptor else None
    if status_field and route_key in (None, vendor):
        return frappe.db.get_value(SALES_ORDER, sales_order, status_field) or None
    if not dispatch:
        filters = {"sales_order": sales_order, "vendor": vendor}
        if route_key:
            filters["route_key"] = route_key
        dispatch = frappe.db.get_value(DISPATCH, filters, "name")
    return (frappe.db.get_value(DISPATCH, dispatch, "vendor_status") or None) if dispatch else None


def write_update(sales_order: str, vendor: str, update: VendorUpdate | dict, *, route_key: str | None = None,
                 dispatch: str | None = None, explicit: bool = False) -> str | None:
    """Write a vendor update through ``record_vendor_update`` unless it moves the status backwards.

    Returns None when written, else why it was not (nothing is written then). The caller holds the
    order's row lock (:func:`medgrid.webhooks.common.lock_order`), so check and write do not interleave
    with another event's. A dict is taken as the vendor's Sales Order field values.
    """
    from medgrid.fulfillment_router.tracking import record_vendor_update

    descriptor = get_vendor(vendor)
    if descriptor is None:
        frappe.throw(_("No vendor {0} is registered").format(vendor))
    if isinstance(update, dict):
        update = VendorUpdate.from_order_fields(descriptor.order_fields, update)
    explicit = explicit or update.explicit
    if update.status:
        current = current_status(sales_order, vendor, route_key=route_key, dispatch=dispatch)
        if not may_move(vendor, current, update.status, explicit=explicit):
            return _("Out of order: {0} status {1} does not go back to {2}").format(
                descriptor.label, current, update.status)
    record_vendor_update(sales_order, vendor, update, route_key=route_key, dispatch=dispatch)
    return None
