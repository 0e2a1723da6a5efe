"""The standalone order page (``/sales-order``): catalog browser, order form and tracking view.

The page reads only what the session user may read: customers through ``frappe.get_list`` (User
Permissions and the sales-rep rules apply) and their shipping addresses. Orders are listed, reopened,
saved, submitted and cancelled by the browser through ``/api/resource/Sales Order`` (held, closed and
resumed through ERPNext's ``update_status``), so the same validation and permission checks run as for
any API client; what became of each vendor's part comes from ``medgrid.pages.sales_order_page``.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import add_days, nowdate

from medgrid.fulfillment_router.routing import PATIENT_FIELDS, PRESCRIBER_FIELDS
from medgrid.pages import PARTNER, SALES_REP, base_context, require_roles

ORDER_ROLES = (SALES_REP, PARTNER)
MAX_CUSTOMERS = 500
DEFAULT_LEAD_DAYS = 7
# the statuses "Your orders" filters by (ERPNext's Sales Order statuses a page user meets)
ORDER_STATUSES = ("Draft", "To Deliver and Bill", "To Bill", "To Deliver", "On Hold", "Completed", "Closed",
                  "Cancelled")


def get_context(context) -> None:
    """Context of ``/sales-order``: customers, addresses, defaults and the user's recent orders."""
    require_roles(ORDER_ROLES, _("Only sales reps, partners and MedGrid admins place orders here"))
    base_context(context, "/sales-order", _("New Sales Order"))
    customers = readable_customers()
    context.customers = customers
    context.addresses = shipping_addresses([c.name for c in customers])
    context.default_delivery_date = add_days(nowdate(), DEFAULT_LEAD_DAYS)
    context.today = nowdate()
    context.can_create = frappe.has_permission("Sales Order", "create")
    context.can_submit = frappe.has_permission("Sales Order", "submit")
    context.can_cancel = frappe.has_permission("Sales Order", "cancel")
    context.rx_fields = rx_fields()
    context.order_statuses = ORDER_STATUSES
    requested = frappe.form_dict.get("order")
    context.tracked_order = requested if isinstance(requested, str) and requested else None
    context.page_data_json = safe_json({
        "user": frappe.session.user,
        "customers": customers,
        "addresses": context.addresses,
        "defaultDeliveryDate": context.default_delivery_date,
        "today": context.today,
        "trackedOrder": context.tracked_order,
        "canCreate": bool(context.can_create),
        "canSubmit": bool(context.can_submit),
        "canCancel": bool(context.can_cancel),
        "canWrite": bool(frappe.has_permission("Sales Order", "write")),
        "rxFields": context.rx_fields,
    })


def rx_fields() -> list[dict]:
    """The six order fields a prescription line needs (the router refuses the order without them), labelled
    as the Sales Order form labels them."""
    meta = frappe.get_meta("Sales Order")
    return [{"fieldname": f, "label": _(meta.get_label(f)), "input_type": "date" if f == "patient_dob" else "text"}
            for f in PATIENT_FIELDS + PRESCRIBER_FIELDS]


def readable_customers() -> list[dict]:
    """Customers the session user may read (a partner: its own; a rep: what its role allows)."""
    return frappe.get_list(
        "Customer",
        filters={"disabled": 0},
        fields=["name", "customer_name", "default_price_list", "territory"],
        order_by="customer_name asc",
        limit_page_length=MAX_CUSTOMERS,
    )


def shipping_addresses(customers: list[str]) -> dict[str, list[dict]]:
    """``{customer: [{name, label}]}``, shipping and primary addresses first."""
    if not customers:
        return {}
    links = frappe.get_all(
        "Dynamic Link",
        filters={"parenttype": "Address", "link_doctype": "Customer", "link_name": ["in", customers]},
        fields=["parent", "link_name"],
    )
    if not links:
        return {}
    rows = frappe.get_all(
        "Address",
        filters={"name": ["in", sorted({l.parent for l in links})], "disabled": 0},
        fields=["name", "address_title", "address_type", "address_line1", "city", "state", "pincode",
                "is_shipping_address", "is_primary_address"],
    )
    by_name = {r.name: r for r in rows}
    out: dict[str, list[dict]] = {}
    for link in links:
        row = by_name.get(link.parent)
        if not row:
            continue
        label = ", ".join(p for p in (row.address_line1, row.city, row.state, row.pincode) if p)
        out.setdefault(link.link_name, []).append({
            "name": row.name,
            "label": f"{row.name} — {label}" if label else row.name,
            "rank": (0 if row.is_shipping_address else 1, 0 if row.is_primary_address else 1, row.name),
        })
    for entries in out.values():
        entries.sort(key=lambda e: e["rank"])
        for entry in entries:
            entry.pop("rank")
    return out


def safe_json(value) -> str:
    """JSON to place inside a <script> element: "<", ">" and "&" escaped so no text can close it."""
    text = json.dumps(value, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
