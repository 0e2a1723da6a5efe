"""Record rules for Sales Orders: Internal Sales Reps see their territories' orders and their own."""

from __future__ import annotations

import frappe

from medgrid.setup.install import ADMIN, SALES_REP

UNRESTRICTED_ROLES = {"System Manager", ADMIN, "Administrator"}


def _is_restricted_rep(user: str) -> bool:
    roles = set(frappe.get_roles(user))
    return SALES_REP in roles and not roles & UNRESTRICTED_ROLES


def rep_territories(user: str) -> list[str]:
    """The rep's territories with every territory below them (Territory is a tree)."""
    names = frappe.get_all("MedGrid Sales Rep Territory", filters={"parent": user, "parenttype": "MedGrid Sales Rep"},
                           pluck="territory")
    out = set()
    for name in names:
        bounds = frappe.db.get_value("Territory", name, ["lft", "rgt"])
        if bounds and bounds[0] is not None:
            out.update(frappe.get_all("Territory", filters={"lft": [">=", bounds[0]], "rgt": ["<=", bounds[1]]},
                                      pluck="name"))
        else:
            out.add(name)
    return sorted(out)


def sales_order_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Sales Order lists."""
    user = user or frappe.session.user
    if not _is_restricted_rep(user):
        return ""
    owner = frappe.db.escape(user, percent=False)
    territories = rep_territories(user)
    if not territories:
        return f"`tabSales Order`.`owner` = {owner}"
    in_list = ", ".join(frappe.db.escape(t, percent=False) for t in territories)
    return f"(`tabSales Order`.`territory` in ({in_list}) or `tabSales Order`.`owner` = {owner})"


def sales_order_permission(doc, ptype=None, user=None, debug=False):
    """has_permission hook: a rep may touch a Sales Order of its territory or one it created."""
    user = user or frappe.session.user
    if not _is_restricted_rep(user):
        return None
    if doc.get("owner") == user or doc.get("__islocal"):
        return None
    if doc.get("territory") in rep_territories(user):
        return None
    return False
