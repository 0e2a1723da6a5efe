"""Row rules of MedGrid's tenants (Frappe ``permission_query_conditions`` and ``has_permission`` hooks).

- Sales Order: Internal Sales Reps see their territories' orders and their own; partners are held to
  their Customer by a User Permission (Frappe applies it itself).
- Everything hanging off an order (Fulfillment Dispatch, MedGrid Webhook Event, MedGrid Integration
  Log) follows the order's rules: a row is visible only when its Sales Order is.
- Child tables: Frappe lists child rows with ``?parent=<DocType>`` after checking only that the caller
  may read that DocType, never which parent documents it may read. Rows are restricted here to parents
  the caller may list (the parent's User Permissions and its own query conditions included).
- Address / Contact: a partner reads those linked to its own Customers (or created by it).

Administrators, System Managers and MedGrid Marketplace Admins are never restricted. Every hook
answers ``None`` (no opinion) or ``False`` (deny), as Frappe v15's ``has_permission`` hooks do.
"""

from __future__ import annotations

import re

import frappe
import frappe.permissions

from medgrid.setup.install import ADMIN, SALES_REP

UNRESTRICTED_ROLES = {"System Manager", ADMIN, "Administrator"}

# Child tables whose rows belong to a tenant's parent document → the parents they are used in.
# hooks.py registers child_table_query for each of them (tests check both lists agree).
CHILD_TABLE_PARENTS = {
    "Sales Order Item": ("Sales Order",),
    "Sales Taxes and Charges": ("Sales Order",),
    "Payment Schedule": ("Sales Order",),
    "Packed Item": ("Sales Order",),
    "Pricing Rule Detail": ("Sales Order",),
    "Sales Team": ("Sales Order", "Customer"),
    "Customer Credit Limit": ("Customer",),
    "Party Account": ("Customer",),
    "Allowed To Transact With": ("Customer",),
    "Portal User": ("Customer",),
    "Item Customer Detail": ("Item",),
    "Dynamic Link": ("Address", "Contact"),
    "Contact Email": ("Contact",),
    "Contact Phone": ("Contact",),
    "Fulfillment Dispatch Line": ("Fulfillment Dispatch",),
    "MedGrid Sales Rep Territory": ("MedGrid Sales Rep",),
    "Vendor Payout Line": ("Vendor Payout",),
}

NO_ROWS = "1=0"
READ_RIGHTS = {"read", "select", "print", "email", "report", "export", "share"}
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)


def is_unrestricted(user: str) -> bool:
    return user == "Administrator" or bool(UNRESTRICTED_ROLES & set(frappe.get_roles(user)))


def _is_restricted_rep(user: str) -> bool:
    roles = set(frappe.get_roles(user))
    return SALES_REP in roles and not roles & UNRESTRICTED_ROLES


def _quote(value) -> str:
    return frappe.db.escape(value, percent=False)


def _in_list(values) -> str:
    return ", ".join(_quote(v) for v in values)


# ------------------------------------------------------------------ Sales Order

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
    owner = _quote(user)
    territories = rep_territories(user)
    if not territories:
        return f"`tabSales Order`.`owner` = {owner}"
    return f"(`tabSales Order`.`territory` in ({_in_list(territories)}) or `tabSales Order`.`owner` = {owner})"


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


# ------------------------------------------------------------------ what a user may list

def may_list(doctype: str, user: str) -> bool:
    """Whether the user's roles let it list ``doctype`` at all (read, select, or read if owner)."""
    perms = frappe.permissions.get_role_permissions(doctype, user=user)
    return bool(perms.get("read") or perms.get("select") or (perms.get("if_owner") or {}).get("read"))


def readable_names_sql(doctype: str, user: str) -> str | None:
    """A SELECT of the names of ``doctype`` the user may list; ``""`` when it may list every one, None
    when it may list none.

    It is Frappe's own list query for the user (roles, User Permissions, if-owner rules, every
    permission_query_conditions hook), so it says exactly what ``GET /api/resource/<doctype>`` shows.
    """
    if not may_list(doctype, user):
        return None
    sql = frappe.get_list(doctype, fields=["name"], user=user, order_by="", limit_page_length=0, run=False)
    if isinstance(sql, str) and not _WHERE.search(sql):
        return ""
    if not isinstance(sql, str) or "%s" in sql:
        # no query text, or one built with placeholders (not inlinable): the names themselves
        names = frappe.get_list(doctype, pluck="name", user=user, order_by="", limit_page_length=0)
        return _in_list(names) if names else _quote("")
    return sql


def readable_doc(doctype: str, name: str | None, user: str) -> bool:
    """Whether the user may read the stored document ``doctype``/``name`` (document-level rules)."""
    if not name or not frappe.db.exists(doctype, name):
        return False
    doc = frappe.get_doc(doctype, name)
    return bool(frappe.permissions.has_permission(doctype, "read", doc=doc, user=user, print_logs=False))


# ------------------------------------------------------------------ child tables

def _user_permission_clause(child: str, parent: str, user: str) -> str:
    """The User Permission rules on the child row's own Link fields, as Frappe checks them when it
    loads the parent document (its list query does not)."""
    user_permissions = frappe.permissions.get_user_permissions(user)
    if not user_permissions:
        return ""
    strict = frappe.get_system_settings("apply_strict_user_permissions")
    clauses = []
    for df in frappe.get_meta(child).get_link_fields():
        if df.get("ignore_user_permissions") or df.options not in user_permissions:
            continue
        allowed = [p.get("doc") for p in user_permissions[df.options]
                   if not p.get("applicable_for") or p.get("applicable_for") == parent]
        if not allowed:
            continue
        column = f"`tab{child}`.`{df.fieldname}`"
        clause = f"{column} in ({_in_list(allowed)})"
        clauses.append(clause if strict else f"(ifnull({column}, '') = '' or {clause})")
    return " and ".join(clauses)


def child_table_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for a tenant child table: its rows under a tenant parent only where
    the user may list that parent (rows under other parents keep Frappe's rules)."""
    user = user or frappe.session.user
    parents = CHILD_TABLE_PARENTS.get(doctype)
    if user == "Administrator" or not parents:
        return ""
    table = f"`tab{doctype}`"
    alternatives = [f"{table}.`parenttype` not in ({_in_list(parents)})"]
    for parent in parents:
        names = readable_names_sql(parent, user)
        if names is None:
            continue
        clauses = [f"{table}.`parenttype` = {_quote(parent)}"]
        if names:
            clauses.append(f"{table}.`parent` in ({names})")
        links = _user_permission_clause(doctype, parent, user)
        if links:
            clauses.append(links)
        alternatives.append("(" + " and ".join(clauses) + ")")
    return "(" + " or ".join(alternatives) + ")"


def has_role_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Has Role: only one's own User's roles, unless one may read other
    Users (a System Manager). Frappe lists every user's, Page's and Report's roles to whoever may merely
    select User, as Desk users may."""
    user = user or frappe.session.user
    if user == "Administrator" or frappe.permissions.get_role_permissions("User", user=user).get("read"):
        return ""
    return f"(`tabHas Role`.`parenttype` = 'User' and `tabHas Role`.`parent` = {_quote(user)})"


# ------------------------------------------------------------------ what hangs off a Sales Order

def _order_column_query(doctype: str, column: str, user: str) -> str:
    if is_unrestricted(user):
        return ""
    orders = readable_names_sql("Sales Order", user)
    if orders is None:
        return NO_ROWS
    return f"`tab{doctype}`.`{column}` in ({orders})" if orders else ""


def fulfillment_dispatch_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Fulfillment Dispatch: dispatches of orders the user may list."""
    return _order_column_query("Fulfillment Dispatch", "sales_order", user or frappe.session.user)


def fulfillment_dispatch_permission(doc, ptype=None, user=None, debug=False):
    """has_permission hook: a dispatch is visible to whoever may read its Sales Order."""
    user = user or frappe.session.user
    if is_unrestricted(user):
        return None
    return None if readable_doc("Sales Order", doc.get("sales_order"), user) else False


def webhook_event_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for MedGrid Webhook Event (admins only by DocPerm; this holds if a
    site grants more): events about orders the user may list."""
    return _order_column_query("MedGrid Webhook Event", "sales_order", user or frappe.session.user)


def webhook_event_permission(doc, ptype=None, user=None, debug=False):
    user = user or frappe.session.user
    if is_unrestricted(user):
        return None
    return None if readable_doc("Sales Order", doc.get("sales_order"), user) else False


def integration_log_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for MedGrid Integration Log (admins only by DocPerm): logs about an
    order or one of its dispatches the user may list; logs about anything else stay closed."""
    user = user or frappe.session.user
    if is_unrestricted(user):
        return ""
    orders = readable_names_sql("Sales Order", user)
    if orders is None:
        return NO_ROWS
    orders = orders or "select `name` from `tabSales Order`"
    table = "`tabMedGrid Integration Log`"
    return (f"(({table}.`reference_doctype` = 'Sales Order' and {table}.`reference_name` in ({orders})) or "
            f"({table}.`reference_doctype` = 'Fulfillment Dispatch' and {table}.`reference_name` in "
            f"(select `name` from `tabFulfillment Dispatch` where `sales_order` in ({orders}))))")


def integration_log_permission(doc, ptype=None, user=None, debug=False):
    user = user or frappe.session.user
    if is_unrestricted(user):
        return None
    reference_doctype, name = doc.get("reference_doctype"), doc.get("reference_name")
    if reference_doctype == "Fulfillment Dispatch":
        reference_doctype, name = "Sales Order", frappe.db.get_value("Fulfillment Dispatch", name, "sales_order")
    if reference_doctype != "Sales Order":
        return False
    return None if readable_doc("Sales Order", name, user) else False


def sales_rep_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for MedGrid Sales Rep (admins only by DocPerm): one's own record."""
    user = user or frappe.session.user
    return "" if is_unrestricted(user) else f"`tabMedGrid Sales Rep`.`user` = {_quote(user)}"


def sales_rep_permission(doc, ptype=None, user=None, debug=False):
    user = user or frappe.session.user
    if is_unrestricted(user):
        return None
    return None if doc.get("user") == user else False


# ------------------------------------------------------------------ Address and Contact

def _customer_restriction(doctype: str, user: str) -> list[str] | None:
    """The Customers a user is held to by User Permissions (None: not held to any)."""
    if is_unrestricted(user):
        return None
    permissions = frappe.permissions.get_user_permissions(user).get("Customer")
    if not permissions:
        return None
    return [p.get("doc") for p in permissions if not p.get("applicable_for") or p.get("applicable_for") == doctype]


def _linked_party_query(doctype: str, user: str) -> str:
    customers = _customer_restriction(doctype, user)
    if customers is None:
        return ""
    table = f"`tab{doctype}`"
    links = (f"select `parent` from `tabDynamic Link` where `parenttype` = {_quote(doctype)} "
             f"and `parent` is not null and `link_doctype` = 'Customer'")
    allowed = _in_list(customers) if customers else _quote("")
    # linked to one of its Customers, or its own — and never linked to someone else's Customer
    return (f"(({table}.`name` in ({links} and `link_name` in ({allowed})) or {table}.`owner` = {_quote(user)}) "
            f"and {table}.`name` not in ({links} and `link_name` not in ({allowed})))")


def address_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Address: a partner's own Customers' addresses. Frappe applies
    User Permissions to Link fields only, and an Address names its Customer in a Dynamic Link row."""
    return _linked_party_query("Address", user or frappe.session.user)


def contact_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Contact, as for Address."""
    return _linked_party_query("Contact", user or frappe.session.user)


def linked_party_permission(doc, ptype=None, user=None, debug=False):
    """has_permission for Address and Contact. A write may link only documents the user may read (no
    address for another clinic, or a vendor's for any clinic); a user held to Customers reaches only
    documents linked to those, or its own unlinked ones (new documents included)."""
    user = user or frappe.session.user
    if user == "Administrator":
        return None
    links = [(row.get("link_doctype"), row.get("link_name")) for row in doc.get("links") or []]
    if ptype not in READ_RIGHTS and any(not readable_doc(dt, name, user) for dt, name in links if dt and name):
        return False
    customers = _customer_restriction(doc.doctype, user)
    if customers is None:
        return None
    linked = [name for dt, name in links if dt == "Customer"]
    if any(name not in customers for name in linked):
        return False
    if linked or doc.get("__islocal") or doc.get("owner") == user:
        return None
    return False


# ------------------------------------------------------------------ Vendor Payout, MedGrid Support Request

def _own_vendor_profiles(user: str) -> list[str]:
    return frappe.get_all("Vendor Profile", filters={"user": user}, pluck="name")


def vendor_payout_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for Vendor Payout: a vendor lists the payouts of its own Vendor Profiles
    (reps and partners have no DocPerm at all: "no vendor payment records")."""
    user = user or frappe.session.user
    if is_unrestricted(user):
        return ""
    profiles = _own_vendor_profiles(user)
    return f"`tabVendor Payout`.`vendor_profile` in ({_in_list(profiles)})" if profiles else NO_ROWS


def vendor_payout_permission(doc, ptype=None, user=None, debug=False):
    user = user or frappe.session.user
    if is_unrestricted(user):
        return None
    return None if doc.get("vendor_profile") in _own_vendor_profiles(user) else False


def support_request_query(user: str | None = None, doctype: str | None = None) -> str:
    """permission_query_conditions for MedGrid Support Request: a requester lists its own requests."""
    user = user or frappe.session.user
    return "" if is_unrestricted(user) else f"`tabMedGrid Support Request`.`requester` = {_quote(user)}"


def support_request_permission(doc, ptype=None, user=None, debug=False):
    user = user or frappe.session.user
    if is_unrestricted(user):
        return None
    return None if doc.get("requester") == user else False
