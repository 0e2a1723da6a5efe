"""The Vendor Dashboard page (``/portal/vendor-dashboard``): one vendor's orders, failures and integrations.

A vendor sees the Vendor Profiles whose user it is (``?vendor_profile=`` picks one of them; naming another
vendor's is a 403); an admin picks any vendor.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import format_datetime

from medgrid.pages import VENDOR, base_context, is_admin, require_roles
from medgrid.portal.vendor_dashboard import dashboard

MAX_VENDORS = 500


def get_context(context) -> None:
    require_roles((VENDOR,), _("Only vendors and MedGrid admins open the Vendor Dashboard"))
    base_context(context, "/portal/vendor-dashboard", _("Vendor Dashboard"))
    admin = is_admin()
    filters = {} if admin else {"user": frappe.session.user}
    context.vendors = frappe.get_all("Vendor Profile", filters=filters, fields=["name", "vendor_name"],
                                     order_by="vendor_name asc", limit_page_length=MAX_VENDORS)
    names = [v.name for v in context.vendors]
    requested = frappe.form_dict.get("vendor_profile")
    if requested and (not isinstance(requested, str) or requested not in names):
        frappe.throw(_("You do not manage the vendor {0}").format(requested), frappe.PermissionError)
    context.is_admin = admin
    context.vendor_profile = requested or (names[0] if names else None)
    context.board = dashboard(context.vendor_profile) if context.vendor_profile else None
    context.fmt_datetime = lambda value: format_datetime(value) if value else "—"
