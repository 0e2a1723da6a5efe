import frappe
from frappe import _

no_cache = 1


def get_context(context):
    if frappe.session.user == "Guest":
        frappe.throw(_("You need to be logged in to access this page"), frappe.PermissionError)
    context.title = "Probe portal"
    context.probe_user = frappe.session.user
    context.probe_full_name = frappe.utils.get_fullname(frappe.session.user)
    return context
