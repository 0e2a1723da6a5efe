"""The /login page: a password form for guests; logged-in users are sent on."""

import frappe
from frappe import _

no_cache = 1


def get_context(context):
    """Redirect a logged-in user to ``redirect-to`` or their home; otherwise show the form."""
    redirect_to = safe_redirect(frappe.local.request.args.get("redirect-to") if frappe.local.request else None)

    if frappe.session.user != "Guest":
        if not redirect_to:
            from frappe.auth import get_default_path
            from frappe.website.utils import get_home_page

            if (frappe.session.data or {}).get("user_type") == "Website User":
                redirect_to = get_default_path() or get_home_page()
            else:
                redirect_to = get_default_path() or "/app"
        if redirect_to != "login":
            frappe.local.flags.redirect_location = redirect_to
            raise frappe.Redirect

    context.no_header = True
    context.for_test = "login.html"
    context.title = _("Login")
    context.app_name = frappe.get_hooks("app_title") and frappe.get_hooks("app_title")[-1] or "MedGrid"
    context.redirect_to = redirect_to or ""
    return context


def safe_redirect(target):
    """``redirect-to`` only names a page of this site (a path): anything else — another host,
    ``//host``, a scheme, a backslash trick — is dropped, so the login page is no open redirect."""
    if not isinstance(target, str) or not target:
        return None
    if target == "login":
        return target
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(c in target for c in "\r\n\t"):
        return None
    return target
