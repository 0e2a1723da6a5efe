"""Demo content of the portal's back office (issue 14 items 1, 4, 5, 7), so each screen has something to show.

For the demo vendor (Vendor Profile "Demo Vendor", ShipStation) three orders of the demo clinic: one delivered
and paid by an approved Vendor Payout, one awaiting shipment (its address shows on the Vendor Dashboard), one
whose send failed (the dashboard's "Needs your attention"); for the demo partner a support request MedGrid
answered. The demo users are made by ``scripts/demo_site.py``, which calls :func:`make_portal_demo` after
them; without them this does nothing. Idempotent: each order carries a fixed ``po_no``.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from medgrid.setup.demo import MAIN_WAREHOUSE, PARTNER_ADDRESS, PARTNER_CUSTOMER, PRICE_LIST

DEMO_VENDOR_PROFILE = "Demo Vendor"
DEMO_PARTNER = "partner@clinic.example"
DEMO_ITEM = "ITEM-002"  # the guide's ShipStation item (SKU SS-SYR-5ML)
SUPPORT_SUBJECT = "Tracking for my syringe order"

# po_no, qty, dispatch values
ORDERS = [
    ("DEMO-PORTAL-DELIVERED", 2, {"status": "Sent", "vendor_status": "Delivered", "tracking_number": "9400111899223100001",
                                  "carrier": "USPS", "days_ago": 12}),
    ("DEMO-PORTAL-OPEN", 1, {"status": "Sent", "vendor_status": "Awaiting Shipment", "days_ago": 1}),
    ("DEMO-PORTAL-FAILED", 3, {"status": "Failed", "days_ago": 0,
                               "last_error": "ShipStation answered 400: the ship-to postal code is missing"}),
]


def make_portal_demo() -> None:
    if not (frappe.db.exists("Vendor Profile", DEMO_VENDOR_PROFILE) and frappe.db.exists("User", DEMO_PARTNER)):
        return
    dispatches = {po_no: _order_with_dispatch(po_no, qty, values) for po_no, qty, values in ORDERS}
    _payout(dispatches["DEMO-PORTAL-DELIVERED"])
    _support_request(frappe.db.get_value("Fulfillment Dispatch", dispatches["DEMO-PORTAL-OPEN"], "sales_order"))


def _order_with_dispatch(po_no: str, qty: float, values: dict) -> str:
    existing = frappe.db.get_value("Sales Order", {"po_no": po_no}, "name")
    if existing:
        return frappe.db.get_value("Fulfillment Dispatch", {"sales_order": existing}, "name")
    order = frappe.get_doc({
        "doctype": "Sales Order", "customer": PARTNER_CUSTOMER, "po_no": po_no, "transaction_date": nowdate(),
        "delivery_date": add_days(nowdate(), 7), "selling_price_list": PRICE_LIST, "currency": "USD",
        "shipping_address_name": PARTNER_ADDRESS,
        "items": [{"item_code": DEMO_ITEM, "qty": qty, "warehouse": MAIN_WAREHOUSE}]})
    order.insert(ignore_permissions=True)
    # the demo's vendor state is written below: nothing is sent to the sandbox
    order.flags.medgrid_skip_dispatch = True
    order.submit()
    frappe.db.set_value("Sales Order", order.name, "owner", DEMO_PARTNER, update_modified=False)
    values = dict(values)
    when = add_to_date(now_datetime(), days=-values.pop("days_ago"))
    row = order.items[0]
    dispatch = frappe.get_doc({
        "doctype": "Fulfillment Dispatch", "sales_order": order.name, "vendor": "shipstation",
        "vendor_label": "ShipStation", "vendor_profile": DEMO_VENDOR_PROFILE, "route_key": "shipstation",
        "attempts": 1, "sent_at": when if values["status"] == "Sent" else None, "last_sync": when,
        "lines": [{"sales_order_item": row.name, "item_code": row.item_code, "item_name": row.item_name,
                   "qty": row.qty, "rate": row.rate, "warehouse": row.warehouse, "vendor_sku": "SS-SYR-5ML"}],
        **values})
    dispatch.insert(ignore_permissions=True)
    # the dashboard's "age" counts from when the order was routed
    frappe.db.set_value("Fulfillment Dispatch", dispatch.name, "creation", when, update_modified=False)
    return dispatch.name


def _payout(dispatch: str) -> None:
    if frappe.db.exists("Vendor Payout Line", {"fulfillment_dispatch": dispatch}):
        return
    payout = frappe.get_doc({"doctype": "Vendor Payout", "vendor_profile": DEMO_VENDOR_PROFILE,
                             "period_start": add_days(nowdate(), -30), "period_end": nowdate(),
                             "lines": [{"fulfillment_dispatch": dispatch}]})
    payout.insert(ignore_permissions=True)
    payout.status = "Approved"
    payout.save(ignore_permissions=True)


def _support_request(sales_order: str) -> None:
    if frappe.db.exists("MedGrid Support Request", {"requester": DEMO_PARTNER, "subject": SUPPORT_SUBJECT}):
        return
    request = frappe.get_doc({
        "doctype": "MedGrid Support Request", "subject": SUPPORT_SUBJECT, "category": "Order",
        "sales_order": sales_order, "requester": DEMO_PARTNER,
        "message": "The order shows Awaiting Shipment since yesterday. When will it ship?"})
    request.insert(ignore_permissions=True)
    request.reply = "ShipStation has it in today's pick list; tracking appears on the order as soon as it ships."
    request.save(ignore_permissions=True)
