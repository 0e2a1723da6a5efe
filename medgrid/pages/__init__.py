"""What MedGrid's portal pages share: who may open them, the top navigation and status colours.

The pages themselves live in ``medgrid/www/`` (``/portal/integrations``, ``/sales-order``,
``/medgrid-admin/...``); their ``get_context`` functions call into this package so the templates stay
thin. Every page here is per user: each www module sets ``no_cache = 1``.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.sessions import get_csrf_token

ADMIN = "MedGrid Marketplace Admin"
SALES_REP = "Internal Sales Rep"
PARTNER = "Customer / Partner Platform"
VENDOR = "External Vendor"
ADMIN_ROLES = (ADMIN, "System Manager")

ASSETS_CSS = "/assets/medgrid/css/medgrid_portal.css"
ASSETS_JS = "/assets/medgrid/js/medgrid_portal.js"

# status → Frappe indicator colour; the Desk list views (<doctype>_list.js) and
# medgrid_portal.js use the same map, so a status reads the same everywhere
STATUS_COLOURS = {
    # Fulfillment Dispatch
    "Queued": "orange", "Sending": "blue", "Sent": "green", "Retrying": "yellow", "Failed": "red",
    "Cancelled": "gray",
    # MedGrid Webhook Event
    "Received": "blue", "Processed": "green", "Ignored": "gray", "Unmatched": "orange",
    # MedGrid Integration Log
    "Success": "green", "Error": "red", "Rejected": "orange",
    # connections
    "Connected": "green", "Pending": "orange", "Disconnected": "gray", "Not connected": "gray",
}


def status_colour(status: str | None) -> str:
    """The indicator colour of a status (gray when unknown)."""
    return STATUS_COLOURS.get(status or "", "gray")


def is_admin(user: str | None = None) -> bool:
    """Whether ``user`` (default: the session user) administers the marketplace."""
    user = user or frappe.session.user
    return user == "Administrator" or bool(set(ADMIN_ROLES) & set(frappe.get_roles(user)))


def require_login() -> None:
    """Guests get Frappe's 403 "Not Permitted" page with a Login button back to this page."""
    if frappe.session.user == "Guest":
        frappe.throw(_("You need to be logged in to access this page"), frappe.PermissionError)


def require_roles(roles, message: str) -> None:
    """Log in first; then the session user needs one of ``roles`` (admins always pass)."""
    require_login()
    if is_admin():
        return
    if not set(roles) & set(frappe.get_roles()):
        frappe.throw(message, frappe.PermissionError)


def nav_links(current: str) -> list[dict]:
    """The pages of the top bar this user may open, the current one marked."""
    roles = set(frappe.get_roles())
    admin = is_admin()
    links = []
    if admin or VENDOR in roles:
        links.append({"route": "/portal/integrations", "label": _("Integrations")})
        links.append({"route": "/portal/products", "label": _("My Products")})
        # issue 14 items 4, 5 (medgrid/pages/vendor_dashboard.py, payouts.py)
        links.append({"route": "/portal/vendor-dashboard", "label": _("Vendor Dashboard")})
        links.append({"route": "/portal/payouts", "label": _("Payouts")})
    if admin or roles & {SALES_REP, PARTNER}:
        links.append({"route": "/sales-order", "label": _("New Sales Order")})
    if admin:
        links.append({"route": "/medgrid-admin/dispatches", "label": _("Dispatches")})
        links.append({"route": "/medgrid-admin/webhook-events", "label": _("Webhook Events")})
        # the back office (medgrid/pages/backoffice.py)
        links.append({"route": "/medgrid-admin/dashboard", "label": _("Order Flow")})
        links.append({"route": "/medgrid-admin/products", "label": _("Product Approval")})
        links.append({"route": "/medgrid-admin/mapping", "label": _("Mapping")})
        links.append({"route": "/medgrid-admin/vendor-requests", "label": _("Vendor Requests")})
    # every signed-in user's own API keys and help requests (medgrid/pages/api_access.py, support.py)
    links.append({"route": "/portal/api-access", "label": _("API Access")})
    links.append({"route": "/portal/support", "label": _("Support")})
    if admin or SALES_REP in roles:
        links.append({"route": "/app", "label": _("Desk")})
    for link in links:
        link["current"] = current == link["route"] or current.startswith(link["route"] + "/")
    return links


def base_context(context, current: str, title: str) -> None:
    """Fill what every MedGrid page template reads: title, nav, user and the asset URLs."""
    context.no_cache = 1
    context.title = title
    context.medgrid_nav = nav_links(current)
    context.medgrid_css = ASSETS_CSS
    context.medgrid_js = ASSETS_JS
    context.full_name = frappe.db.get_value("User", frappe.session.user, "full_name") or frappe.session.user
    context.status_colour = status_colour
    # every page says when the site talks to the vendors' sandboxes (MedGrid System Settings → Environment)
    from medgrid.connectors.environment import is_sandbox

    context.medgrid_sandbox = is_sandbox()
    # the pages POST with fetch: give the session its CSRF token and the page a copy (as www/app.py does)
    context.csrf_token = get_csrf_token()
