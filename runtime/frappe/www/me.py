"""The /me page: the logged-in user's account page."""

import frappe
from frappe import _

no_cache = 1


def get_context(context):
    """Guests are refused with the 'Not Permitted' page (it offers a Login button)."""
    if frappe.session.user == "Guest":
        frappe.throw(_("You need to be logged in to access this page"), frappe.PermissionError)

    first, last = frappe.db.get_value("User", frappe.session.user, ["first_name", "last_name"]) or ("", "")
    context.full_name = " ".join(filter(None, [first, last])) or frappe.session.user
    context.current_user = frappe.session.user
    context.title = "Me"
    context.show_sidebar = True
