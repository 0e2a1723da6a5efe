import frappe

no_cache = 1


def get_context(context):
    if frappe.session.user == "Guest":
        frappe.local.flags.redirect_location = "/login?redirect-to=/probe-portal-redirect"
        raise frappe.Redirect
    context.title = "Probe portal"
    context.probe_user = frappe.session.user
    context.probe_full_name = frappe.utils.get_fullname(frappe.session.user)
    return context
