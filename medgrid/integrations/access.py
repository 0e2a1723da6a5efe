"""Who may manage which vendor's integrations.

A vendor user (role ``External Vendor``) manages the Vendor Profile(s) whose ``user`` is them; a
MedGrid admin (``MedGrid Marketplace Admin`` / ``System Manager`` / Administrator) may act for any
vendor by naming its ``vendor_profile``. Everyone else gets 403.
"""

from __future__ import annotations

import frappe
from frappe import _

from medgrid.exceptions import MissingParameterError
from medgrid.integrations.constants import ADMIN_ROLES, VENDOR_PROFILE, VENDOR_ROLE

SUSPENDED = "Suspended"


def is_admin(user: str | None = None) -> bool:
    """Whether ``user`` (default: the session user) administers the marketplace."""
    user = user or frappe.session.user
    return user == "Administrator" or bool(set(ADMIN_ROLES) & set(frappe.get_roles(user)))


def require_admin() -> None:
    """403 unless the session user is a MedGrid admin (Administrator, e.g. the CLI, always is)."""
    frappe.only_for(ADMIN_ROLES, message=True)


def vendor_profile_for_session(vendor_profile: str | None = None) -> str:
    """The Vendor Profile the session user acts for, or a 400/403/404 error.

    A vendor may name one of their own profiles (needed only when they manage several); an admin
    must name one unless they manage exactly one themselves.
    """
    user = frappe.session.user
    if user == "Guest":
        frappe.throw(_("Log in to manage integrations"), frappe.PermissionError)
    admin = is_admin(user)
    if not admin and VENDOR_ROLE not in frappe.get_roles(user):
        frappe.throw(_("Only vendors manage their integrations"), frappe.PermissionError)

    if admin and vendor_profile:
        if not frappe.db.exists(VENDOR_PROFILE, vendor_profile):
            frappe.throw(_("Vendor Profile {0} not found").format(vendor_profile), frappe.DoesNotExistError)
        return vendor_profile

    own = frappe.get_all(VENDOR_PROFILE, filters={"user": user}, fields=["name", "status"], order_by="creation asc")
    if vendor_profile:
        match = next((p for p in own if p.name == vendor_profile), None)
        if not match:
            frappe.throw(_("You do not manage the vendor {0}").format(vendor_profile), frappe.PermissionError)
        return _active(match)
    if not own:
        if admin:
            frappe.throw(_("Pass the vendor_profile to act for"), MissingParameterError)
        frappe.throw(_("No Vendor Profile is linked to your user"), frappe.PermissionError)
    if len(own) > 1:
        frappe.throw(_("You manage several vendors: pass vendor_profile"), MissingParameterError)
    return _active(own[0])


def _active(profile) -> str:
    if profile.status == SUSPENDED:
        frappe.throw(_("The vendor {0} is suspended").format(profile.name), frappe.PermissionError)
    return profile.name


def required(value, fieldname: str) -> str:
    """``value`` stripped, or a 400 naming ``fieldname``."""
    text = str(value).strip() if value is not None else ""
    if not text:
        frappe.throw(_("{0} is required").format(fieldname), MissingParameterError)
    return text
