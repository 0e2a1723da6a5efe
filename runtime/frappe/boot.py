"""What the /app page hands the Desk when it loads (``frappe.boot``), as Frappe's ``get_bootinfo``.

Only what the browser needs to draw the shell: the user, their roles, the workspaces (modules and
the doctypes the user may read in each), site defaults used by new documents and formatting. No
secret (session id, keys) goes into it: the page is HTML any script on it can read.
"""

from __future__ import annotations

import frappe
from frappe.desk.form.meta import get_metadata_version
from frappe.model.meta import get_doctype_index
from frappe.permissions import has_permission

# Workspaces as Frappe v15 groups them on a bench (Users, Integrations, Settings are Frappe's own
# workspaces, not modules): doctype → workspace; everything else goes under its module's name.
WORKSPACE_OF_DOCTYPE = {
    "User": "Users and Permissions",
    "Role": "Users and Permissions",
    "User Permission": "Users and Permissions",
    "Custom DocPerm": "Users and Permissions",
    "ShipStation Connection": "Integrations",
    "Shopify Connection": "Integrations",
    "MedGrid Integration Log": "Integrations",
    "MedGrid Webhook Event": "Integrations",
    "System Settings": "Settings",
    "Document Naming Settings": "Settings",
    "Amended Document Naming Settings": "Settings",
    "Error Log": "Settings",
    "Scheduled Job Type": "Settings",
    "Scheduled Job Log": "Settings",
    "Activity Log": "Settings",
    "Selling Settings": "Selling",
    "Stock Settings": "Stock",
}
WORKSPACE_OF_MODULE = {"Core": "Settings", "Custom": "Settings", "Setup": "Selling", "Utilities": "Settings"}
# the order the issue lists them; any other workspace follows alphabetically
WORKSPACE_ORDER = ["MedGrid", "Selling", "Stock", "Users and Permissions", "Integrations", "Settings"]
# Desk pages that are not doctypes: route name → (title, workspace, roles that may open it), as Frappe's Page
DESK_PAGES = {"background_jobs": ("Background Jobs", "Settings", ("System Manager",))}


def get_workspaces(user: str | None = None) -> list[dict]:
    """[{name, doctypes: [{name, issingle, issubmittable}]}] the user may read, in Desk order.

    Child tables never stand alone in the Desk, so they are left out.
    """
    user = user or frappe.session.user
    groups: dict[str, list[dict]] = {}
    for doctype, (_app, module, _path) in get_doctype_index().items():
        meta = frappe.get_meta(doctype)
        if meta.get("istable") or meta.get("is_virtual"):
            continue
        # no msgprint of refusals: a missing doctype is the answer here, not an error
        if not has_permission(doctype, "read", user=user, print_logs=False):
            continue
        workspace = WORKSPACE_OF_DOCTYPE.get(doctype) or WORKSPACE_OF_MODULE.get(module) or module
        groups.setdefault(workspace, []).append({
            "name": doctype,
            "issingle": int(meta.get("issingle") or 0),
            "is_submittable": int(meta.get("is_submittable") or 0),
            "can_create": int(not meta.get("in_create") and not meta.get("issingle")
                              and has_permission(doctype, "create", user=user, print_logs=False)),
        })
    roles = set(frappe.get_roles(user))
    pages: dict[str, list[dict]] = {}
    for route, (title, workspace, allowed) in DESK_PAGES.items():
        if roles.intersection(allowed):
            pages.setdefault(workspace, []).append({"name": route, "title": title})
            groups.setdefault(workspace, [])
    order = {name: i for i, name in enumerate(WORKSPACE_ORDER)}
    names = sorted(groups, key=lambda n: (order.get(n, len(order)), n))
    return [{"name": n, "doctypes": sorted(groups[n], key=lambda d: d["name"]), "pages": pages.get(n, [])}
            for n in names]


def get_bootinfo() -> dict:
    user = frappe.session.user
    row = frappe.db.get_value("User", user, ["full_name", "user_type"], as_dict=True) or {}
    defaults = {}
    for key in ("company", "currency", "country"):
        try:
            value = frappe.db.get_default(key)
        except Exception:
            value = None
        if value:
            defaults[key] = value
    return {
        "user": {"name": user, "full_name": row.get("full_name") or user, "user_type": row.get("user_type"),
                 "roles": frappe.get_roles(user)},
        "workspaces": get_workspaces(user),
        # every user opens its own User form (My Settings, API Access) even without a right on the doctype:
        # the server's User permission rule lets a user read itself
        "extra_routes": {"user": "User"},
        "sysdefaults": defaults,
        "lang": frappe.local.lang,
        # Desk keeps doctype meta in localStorage under this version (and the user); a new one drops it
        "metadata_version": get_metadata_version(),
    }
