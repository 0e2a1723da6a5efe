"""The /app Desk page: every /app/... route renders this one page; the Desk (JavaScript) reads the
route and draws the workspace, list or form. Rendering it gives the session its CSRF token, as in Frappe."""

import json
import os
from urllib.parse import urlencode

import frappe
from frappe import _

no_cache = 1

# the Desk's own files under runtime/frappe/public, in load order (jQuery first: app scripts use $)
DESK_SCRIPTS = ("js/lib/jquery.min.js", "js/desk/core.js", "js/desk/controls.js", "js/desk/form.js",
                "js/desk/list.js", "js/desk/pages.js", "js/desk/app.js")
DESK_STYLES = ("css/desk.css",)


def _versioned(path: str) -> str:
    """/assets URL with the file's mtime, so a changed file is fetched again despite caching."""
    full = frappe.get_app_path("frappe", "public", path)
    try:
        stamp = int(os.path.getmtime(full))
    except OSError:
        stamp = 0
    return f"/assets/frappe/{path}?v={stamp}"


def get_context(context):
    """Guests go to /login; Website Users may not use the desk (Frappe: PermissionError, 403 page)."""
    if frappe.session.user == "Guest":
        frappe.local.flags.redirect_location = f"/login?{urlencode({'redirect-to': frappe.local.request.path})}"
        raise frappe.Redirect
    user_type = frappe.db.get_value("User", frappe.session.user, "user_type")
    if user_type == "Website User":
        frappe.throw(_("You are not permitted to access this page."), frappe.PermissionError)

    from frappe.boot import get_bootinfo
    from frappe.sessions import get_csrf_token

    context.csrf_token = get_csrf_token()
    context.app_title = "MedGrid"
    # "</" can never close the inline <script> the boot is written into
    context.boot_json = json.dumps(get_bootinfo(), default=str).replace("</", "<\\/")
    context.desk_scripts = [_versioned(p) for p in DESK_SCRIPTS]
    context.desk_styles = [_versioned(p) for p in DESK_STYLES]
    return context
