"""The Payouts page (``/portal/payouts``): a vendor's payment records; admins see any vendor's and create them.

Rows are read with the session user's own permissions (``frappe.get_list``: the Vendor Payout row rules in
``medgrid/permissions.py``), so the page can never show more than ``/api/resource/Vendor Payout`` would.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import fmt_money, format_date, format_datetime

from medgrid.pages import VENDOR, base_context, is_admin, require_roles
from medgrid.payouts import PAYOUT, PAYOUT_LINE

MAX_PAYOUTS = 200
MAX_VENDORS = 500
PAYOUT_COLOURS = {"Draft": "gray", "Approved": "blue", "Paid": "green", "Cancelled": "gray"}


def get_context(context) -> None:
    require_roles((VENDOR,), _("Only vendors and MedGrid admins see vendor payouts"))
    base_context(context, "/portal/payouts", _("Payouts"))
    admin = is_admin()
    context.is_admin = admin
    context.vendors = frappe.get_list("Vendor Profile", fields=["name", "vendor_name"], order_by="vendor_name asc",
                                      limit_page_length=MAX_VENDORS)
    requested = frappe.form_dict.get("vendor_profile")
    allowed = {v.name for v in context.vendors}
    if requested and (not isinstance(requested, str) or requested not in allowed):
        frappe.throw(_("You do not manage the vendor {0}").format(requested), frappe.PermissionError)
    context.vendor_profile = requested or None
    filters = {"vendor_profile": requested} if requested else {}
    payouts = frappe.get_list(PAYOUT, filters=filters,
                              fields=["name", "vendor_profile", "vendor_name", "status", "period_start", "period_end",
                                      "total_amount", "currency", "dispatch_count", "reference", "paid_on"],
                              order_by="period_end desc, creation desc", limit_page_length=MAX_PAYOUTS)
    lines = _lines([p.name for p in payouts])
    for payout in payouts:
        payout["lines"] = lines.get(payout.name, [])
        payout["total_display"] = fmt_money(payout.total_amount, currency=payout.currency or "USD")
        for line in payout["lines"]:
            line["amount_display"] = fmt_money(line.amount, currency=payout.currency or "USD")
    context.payouts = payouts
    context.payout_colour = lambda status: PAYOUT_COLOURS.get(status, "gray")
    context.fmt_date = lambda value: format_date(value) if value else "—"
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"


def _lines(payouts: list[str]) -> dict[str, list]:
    """The lines of payouts the caller was allowed to list (read as their parent was)."""
    if not payouts:
        return {}
    rows = frappe.get_all(PAYOUT_LINE, filters={"parent": ["in", payouts], "parenttype": PAYOUT},
                          fields=["parent", "idx", "fulfillment_dispatch", "sales_order", "vendor_status",
                                  "delivered_on", "qty", "amount"], order_by="parent asc, idx asc",
                          limit_page_length=0)
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.parent, []).append(row)
    return out
