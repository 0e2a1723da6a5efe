"""What the app creates on install and keeps in shape on every migrate (idempotent)."""

from __future__ import annotations

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields
from frappe.permissions import add_permission, update_permission_property
from frappe.utils import cint

from medgrid.setup.custom_fields import get_custom_fields

ADMIN = "MedGrid Marketplace Admin"
SALES_REP = "Internal Sales Rep"
PARTNER = "Customer / Partner Platform"
VENDOR = "External Vendor"

# role → desk access (vendors and partners work through the portal and the API)
ROLES = {ADMIN: 1, SALES_REP: 1, PARTNER: 0, VENDOR: 0}

SALES_ORDER_SERIES = "SO-.YYYY.-"

# doctype → role → rights granted on top of the doctype's standard permissions
PERMISSIONS = {
    "Sales Order": {
        ADMIN: ("read", "write", "create", "submit", "cancel", "amend", "delete", "report", "export", "print", "email"),
        SALES_REP: ("read", "write", "create", "submit", "report", "print"),
        PARTNER: ("read", "write", "create", "submit", "cancel"),
    },
    "Customer": {ADMIN: ("read", "write", "create", "report"), SALES_REP: ("read", "report"), PARTNER: ("read",)},
    "Address": {ADMIN: ("read", "write", "create"), SALES_REP: ("read", "write", "create"),
                PARTNER: ("read", "write", "create")},
    "Item": {ADMIN: ("read", "write", "create", "report", "export"), SALES_REP: ("read", "report"),
             PARTNER: ("read",), VENDOR: ("read",)},
    "Item Price": {ADMIN: ("read", "write", "create", "delete"), SALES_REP: ("read",), PARTNER: ("read",)},
    "Price List": {ADMIN: ("read", "write", "create"), SALES_REP: ("read",), PARTNER: ("read",)},
    "Warehouse": {ADMIN: ("read", "write", "create"), SALES_REP: ("read",), PARTNER: ("read",), VENDOR: ("read",)},
    "Bin": {ADMIN: ("read",), SALES_REP: ("read",), PARTNER: ("read",)},
    "Territory": {ADMIN: ("read", "write", "create"), SALES_REP: ("read",)},
}
# permlevel-1 fields (product approval) are the admin's alone
HIGH_LEVEL_PERMISSIONS = {"Item": {ADMIN: ("read", "write"), SALES_REP: ("read",)}}


def after_install() -> None:
    """Create the app's fields, roles, naming and permissions on a new install."""
    setup()


def after_migrate() -> None:
    """Bring fields, roles, naming and permissions up to date (safe to repeat)."""
    setup()


def setup() -> None:
    create_custom_fields(get_custom_fields(), update=True)
    make_roles()
    set_sales_order_naming()
    apply_permissions()
    make_managed_settings()
    frappe.db.commit()


def make_roles() -> None:
    """Create the app's roles and give existing ones the intended desk access.

    Frappe's DocType sync creates every role a doctype's permissions name with desk access before
    ``after_install`` runs, so "External Vendor" already exists (desk access 1) on a new site: the
    desk access is set here on existing roles too, and their users re-saved so that their user type
    follows (a vendor must be a Website User, kept out of /app).
    """
    for role, desk_access in ROLES.items():
        if not frappe.db.exists("Role", role):
            frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": desk_access}).insert(
                ignore_permissions=True)
            continue
        doc = frappe.get_doc("Role", role)
        if cint(doc.desk_access) == desk_access:
            continue
        doc.desk_access = desk_access
        doc.save(ignore_permissions=True)
        resave_users_with_role(role)


def resave_users_with_role(role: str) -> None:
    """Save every user holding ``role`` whose user type no longer matches its roles' desk access
    (Frappe's Role.on_update does this too, but not while an app is being installed)."""
    users = frappe.get_all("Has Role", filters={"role": role, "parenttype": "User"}, pluck="parent")
    for name in sorted(set(users)):
        if name in ("Administrator", "Guest"):
            continue
        user = frappe.get_doc("User", name)
        before = user.user_type
        user.set_system_user()
        if user.user_type != before:
            user.save(ignore_permissions=True)


def set_sales_order_naming() -> None:
    """Sales Orders are named SO-2026-00001 as in the guide (a Property Setter, the Frappe way)."""
    meta = frappe.get_meta("Sales Order")
    df = meta.get_field("naming_series")
    if df and df.options == SALES_ORDER_SERIES and df.default == SALES_ORDER_SERIES:
        return
    frappe.make_property_setter({"doctype": "Sales Order", "fieldname": "naming_series", "property": "options",
                                 "value": SALES_ORDER_SERIES, "property_type": "Text"})
    frappe.make_property_setter({"doctype": "Sales Order", "fieldname": "naming_series", "property": "default",
                                 "value": SALES_ORDER_SERIES, "property_type": "Text"})


def apply_permissions() -> None:
    for doctype, roles in PERMISSIONS.items():
        _grant(doctype, roles, permlevel=0)
    for doctype, roles in HIGH_LEVEL_PERMISSIONS.items():
        _grant(doctype, roles, permlevel=1)


def _grant(doctype: str, roles: dict, permlevel: int) -> None:
    meta = frappe.get_meta(doctype)
    for role, rights in roles.items():
        existing = next((p for p in meta.permissions if p.role == role and p.permlevel == permlevel
                         and not p.if_owner), None)
        missing = [r for r in rights if not existing or not existing.get(r)]
        if not missing:
            continue
        add_permission(doctype, role, permlevel)
        for right in missing:
            update_permission_property(doctype, role, permlevel, right, 1)
        meta = frappe.get_meta(doctype, cached=False)


def make_managed_settings() -> None:
    """Touch the Single settings so their defaults are stored (vendors are disabled until configured)."""
    for doctype in ("MedGrid System Settings", "PerfectRx Settings", "SINQ Settings", "Centre Research Settings",
                    "Exoceuticals Settings"):
        if not frappe.db.sql("select 1 from `tabSingles` where `doctype`=%s limit 1", (doctype,)):
            doc = frappe.get_single(doctype)
            doc.flags.ignore_permissions = True
            doc.save()
