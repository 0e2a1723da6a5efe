"""Record rules: a vendor user reads only its own connections and Vendor Profiles.

External Vendors have read permission on ``ShipStation Connection``, ``Shopify Connection`` and
``Vendor Profile`` (for the portal); without these rules ``/api/resource`` would list every vendor's
accounts and stores. Password fields are masked either way; MedGrid admins are not restricted.
"""

from __future__ import annotations

import frappe

from medgrid.integrations.access import is_admin
from medgrid.integrations.constants import VENDOR_PROFILE, VENDOR_ROLE


def _restricted(user: str) -> bool:
    return not is_admin(user) and VENDOR_ROLE in frappe.get_roles(user)


def _own_profiles(user: str) -> list[str]:
    return frappe.get_all(VENDOR_PROFILE, filters={"user": user}, pluck="name")


def _condition(doctype: str, column: str, user: str) -> str:
    names = _own_profiles(user)
    if not names:
        return "1=0"
    in_list = ", ".join(frappe.db.escape(n, percent=False) for n in names)
    return f"`tab{doctype}`.`{column}` in ({in_list})"


def shipstation_connection_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for ShipStation Connection."""
    user = user or frappe.session.user
    return _condition("ShipStation Connection", "vendor_profile", user) if _restricted(user) else ""


def shopify_connection_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Shopify Connection."""
    user = user or frappe.session.user
    return _condition("Shopify Connection", "vendor_profile", user) if _restricted(user) else ""


def vendor_profile_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Vendor Profile."""
    user = user or frappe.session.user
    if not _restricted(user):
        return ""
    return f"`tabVendor Profile`.`user` = {frappe.db.escape(user, percent=False)}"


def connection_permission(doc, ptype=None, user=None, debug=False):
    """has_permission for both connection doctypes: a vendor only touches its own."""
    user = user or frappe.session.user
    if not _restricted(user):
        return None
    return None if doc.get("vendor_profile") in _own_profiles(user) else False


def vendor_profile_permission(doc, ptype=None, user=None, debug=False):
    """has_permission for Vendor Profile: a vendor only sees the profiles it is the user of."""
    user = user or frappe.session.user
    if not _restricted(user):
        return None
    return None if doc.get("user") == user else False
