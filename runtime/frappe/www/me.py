"""The /me page: the signed-in user's account page with the portal menu of the pages its roles reach."""

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
    context.portal_menu = get_portal_menu(frappe.session.user)
    context.has_desk_access = has_desk_access(frappe.session.user)


def get_portal_menu(user: str) -> list[dict]:
    """``standard_portal_menu_items`` and ``portal_menu_items`` hook entries (title, route, role) the user's
    roles reach: an entry without a role is for every signed-in user, as on Frappe's portal."""
    roles = set(frappe.get_roles(user))
    menu, seen = [], set()
    for hook in ("standard_portal_menu_items", "portal_menu_items"):
        for item in frappe.get_hooks(hook) or []:
            if not isinstance(item, dict) or not item.get("route") or not item.get("title"):
                continue
            if item.get("role") and item["role"] not in roles:
                continue
            route = "/" + str(item["route"]).lstrip("/")
            if route in seen:
                continue
            seen.add(route)
            menu.append({"title": _(item["title"]), "route": route})
    return menu


def has_desk_access(user: str) -> bool:
    """A System User (some role with desk access) gets a link to the Desk."""
    return frappe.db.get_value("User", user, "user_type") == "System User"
