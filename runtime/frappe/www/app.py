"""The /app desk entry page. Rendering it gives the session its CSRF token, as in Frappe."""

import json
from urllib.parse import urlencode

import frappe
from frappe import _

no_cache = 1


def get_context(context):
    """Guests go to /login; Website Users may not use the desk; others get a CSRF token."""
    if frappe.session.user == "Guest":
        frappe.local.flags.redirect_location = f"/login?{urlencode({'redirect-to': frappe.local.request.path})}"
        raise frappe.Redirect
    user_type = frappe.db.get_value("User", frappe.session.user, "user_type")
    if user_type == "Website User":
        frappe.throw(_("You are not permitted to access this page."), frappe.PermissionError)

    from frappe.sessions import get_csrf_token

    context.csrf_token = get_csrf_token()
    context.app_title = "MedGrid"
    context.boot_json = json.dumps({"user": frappe.session.user, "sid": frappe.session.sid, "lang": frappe.local.lang})
    return context
