"""The Support page (``/portal/support``): ask MedGrid for help and read the replies.

The "related order" list holds only orders the user may name (``medgrid.support.related_order_allowed``
checks again on submit): a partner's or rep's readable orders, a vendor's routed orders.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import format_datetime

from medgrid.constants import DISPATCH, SALES_ORDER
from medgrid.pages import PARTNER, SALES_REP, VENDOR, base_context, is_admin, require_login
from medgrid.portal.vendor_scope import dispatch_condition, own_profiles
from medgrid.support import categories, recent_requests, requests_of

MAX_ORDERS = 50
STATUS_COLOURS = {"Open": "orange", "In Progress": "blue", "Answered": "green", "Closed": "gray"}


def get_context(context) -> None:
    require_login()
    base_context(context, "/portal/support", _("Support"))
    user = frappe.session.user
    context.categories = categories()
    context.orders = selectable_orders(user)
    context.requests = requests_of(user)
    context.is_admin = is_admin()
    context.queue = recent_requests() if context.is_admin else []
    context.support_colour = lambda status: STATUS_COLOURS.get(status, "gray")
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"
    sent = frappe.form_dict.get("sent")
    context.sent = sent if isinstance(sent, str) and any(r.name == sent for r in context.requests) else None


def selectable_orders(user: str) -> list[str]:
    """The latest orders the user may name on a request."""
    roles = set(frappe.get_roles(user))
    names: list[str] = []
    if is_admin(user) or roles & {PARTNER, SALES_REP}:
        names = frappe.get_list(SALES_ORDER, pluck="name", order_by="creation desc", limit_page_length=MAX_ORDERS)
    if VENDOR in roles:
        for profile in own_profiles(user):
            condition, params = dispatch_condition(profile)
            rows = frappe.db.sql(f"select distinct d.`sales_order` from `tab{DISPATCH}` d where {condition} "
                                 f"order by d.`sales_order` desc limit {MAX_ORDERS}", params)
            names.extend(r[0] for r in rows if r[0] and r[0] not in names)
    return names[:MAX_ORDERS]
