"""The back-office pages of issue 14 items 2, 3, 6 and 8 and their portal counterparts.

Admins (``/medgrid-admin/...``): ``products`` (the approval queue), ``mapping`` (vendor mapping fields
and the route check), ``vendor-requests`` (onboarding requests) and ``dashboard`` (order flow).
Vendors: ``/portal/products`` (their own products, approval status and the reviewer's reason).
Guests: ``/vendor-signup`` (the public "Request a Vendor Profile" form).

Pages only read; every change goes through the whitelisted methods of ``medgrid.catalog_admin``,
``medgrid.onboarding`` and ``medgrid.dashboard``, which check the caller again.
"""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import format_datetime

from medgrid.pages import VENDOR, base_context, is_admin, require_roles
from medgrid.pages.admin import require_admin
from medgrid.vendors import get_vendors

BACKOFFICE_JS = "/assets/medgrid/js/medgrid_ops.js"
BACKOFFICE_CSS = "/assets/medgrid/css/medgrid_ops.css"
CHARTS_JS = "/assets/medgrid/vendor/frappe-charts/frappe-charts.min.umd.js"
MAX_PROFILES = 500


def _admin_page(context, route: str, title: str) -> None:
    require_admin()
    base_context(context, route, title)
    context.backoffice_js = BACKOFFICE_JS
    context.backoffice_css = BACKOFFICE_CSS
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"
    context.vendor_labels = {key: d.label for key, d in get_vendors().items()}


def _arg(name: str) -> str:
    value = frappe.form_dict.get(name)
    return value.strip() if isinstance(value, str) else ""


def _profiles() -> list[str]:
    return frappe.get_all("Vendor Profile", pluck="name", order_by="vendor_name asc", limit_page_length=MAX_PROFILES)


# ------------------------------------------------------------------------------------ approval queue

def products_context(context) -> None:
    """``/medgrid-admin/products``: products waiting for approval (or approved / rejected ones)."""
    from medgrid.catalog_admin.approval import PENDING, STATUSES, queue_rows

    _admin_page(context, "/medgrid-admin/products", _("Product Approval"))
    status = _arg("status") if _arg("status") in STATUSES else PENDING
    profiles = _profiles()
    profile = _arg("vendor_profile") if _arg("vendor_profile") in profiles else ""
    context.filter_values = {"status": status, "vendor_profile": profile, "search": _arg("search")[:140]}
    context.statuses = STATUSES
    context.profiles = profiles
    context.rows = queue_rows(status, profile or None, context.filter_values["search"] or None)


# ------------------------------------------------------------------------------------ mapping

def mapping_context(context) -> None:
    """``/medgrid-admin/mapping``: one vendor's Items and mapping fields, unmapped first, and the route check."""
    from medgrid.catalog_admin.mapping import UNROUTED, field_vendors, mapping_rows, unroutable_items

    _admin_page(context, "/medgrid-admin/mapping", _("Product Mapping"))
    vendors = get_vendors()
    vendor = _arg("vendor")
    if vendor not in vendors and vendor != UNROUTED:
        vendor = next(iter(vendors), "")
    context.vendor = vendor
    context.unrouted = UNROUTED
    context.data = mapping_rows(vendor)
    context.own_field = vendors[vendor].item_mapping_field if vendor in vendors else None
    # the vendor's own field first, next to the product, then the others
    context.columns = sorted(context.data["fields"], key=lambda f: f != context.own_field)
    context.field_vendors = field_vendors()
    context.unroutable = unroutable_items()


# ------------------------------------------------------------------------------------ vendor requests

def vendor_requests_context(context) -> None:
    """``/medgrid-admin/vendor-requests``: onboarding requests, pending first."""
    from medgrid.onboarding.requests import APPROVED, PENDING, REJECTED, REQUEST, VENDOR_KEY_OF_TYPE

    _admin_page(context, "/medgrid-admin/vendor-requests", _("Vendor Requests"))
    statuses = (PENDING, APPROVED, REJECTED)
    status = _arg("status") if _arg("status") in statuses else PENDING
    context.filter_values = {"status": status}
    context.statuses = statuses
    context.rows = frappe.get_list(
        REQUEST, filters={"status": status},
        fields=["name", "company_name", "contact_name", "email", "phone", "website", "integration_type", "message",
                "status", "decision_reason", "vendor_profile", "user", "reviewed_by", "reviewed_on", "creation"],
        order_by="creation desc", limit_page_length=200)
    context.default_vendor_key = VENDOR_KEY_OF_TYPE


# ------------------------------------------------------------------------------------ dashboard

def dashboard_context(context) -> None:
    """``/medgrid-admin/dashboard``: the order flow of the last ``days`` days (charts drawn in the browser)."""
    from medgrid.dashboard.order_flow import DEFAULT_DAYS, MAX_DAYS, order_flow

    _admin_page(context, "/medgrid-admin/dashboard", _("Order Flow"))
    try:
        days = int(_arg("days") or DEFAULT_DAYS)
    except ValueError:
        days = DEFAULT_DAYS
    days = min(max(days, 1), MAX_DAYS)
    vendor = _arg("vendor") if _arg("vendor") in get_vendors() else ""
    context.flow = order_flow(days, vendor or None)
    context.flow_json = json.dumps(context.flow, default=str)
    context.charts_js = CHARTS_JS
    context.day_choices = (7, 14, 30, 90)
    context.fmt_duration = fmt_duration
    context.fmt_rate = lambda value: "—" if value is None else f"{value * 100:.1f} %"


def fmt_duration(seconds) -> str:
    """12 s, 4.5 min, 3.2 h, 2.1 d — or an em dash."""
    if seconds is None:
        return "—"
    for limit, unit, size in ((60, "s", 1), (3600, "min", 60), (86400, "h", 3600)):
        if seconds < limit:
            value = seconds / size
            return f"{value:.0f} {unit}" if unit == "s" else f"{value:.1f} {unit}"
    return f"{seconds / 86400:.1f} d"


# ------------------------------------------------------------------------------------ vendors

def vendor_products_context(context) -> None:
    """``/portal/products``: the vendor's own Items, their approval status and the reviewer's reason."""
    from medgrid.catalog_admin.approval import vendor_products

    require_roles((VENDOR,), _("Only vendors and MedGrid admins see vendor products"))
    base_context(context, "/portal/products", _("My Products"))
    context.backoffice_css = BACKOFFICE_CSS
    admin = is_admin()
    profiles = _profiles() if admin else frappe.get_all(
        "Vendor Profile", filters={"user": frappe.session.user}, pluck="name", order_by="creation asc")
    requested = _arg("vendor_profile")
    if requested and requested not in profiles:
        frappe.throw(_("You do not manage the vendor {0}").format(requested), frappe.PermissionError)
    context.profiles = profiles
    context.vendor_profile = requested or (profiles[0] if profiles else None)
    context.rows = vendor_products(context.vendor_profile) if context.vendor_profile else []
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"


# ------------------------------------------------------------------------------------ public form

def vendor_signup_context(context) -> None:
    """``/vendor-signup``: the public "Request a Vendor Profile" form (anyone, signed in or not)."""
    from medgrid.onboarding.requests import INTEGRATION_TYPES, LIMITS

    context.no_cache = 1
    context.title = _("Request a Vendor Profile")
    context.medgrid_css = "/assets/medgrid/css/medgrid_portal.css"
    context.medgrid_js = "/assets/medgrid/js/medgrid_portal.js"
    context.backoffice_css = BACKOFFICE_CSS
    context.backoffice_js = BACKOFFICE_JS
    context.integration_types = INTEGRATION_TYPES
    context.limits = LIMITS
    from frappe.sessions import get_csrf_token

    context.csrf_token = get_csrf_token() if frappe.session.user != "Guest" else ""
