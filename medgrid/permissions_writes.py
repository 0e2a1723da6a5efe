"""Writes may not move a document between tenants (doc_events "*" in hooks.py).

Frappe checks a save against the document as the caller sent it: a partner that PUTs its own Customer
onto another clinic's draft passes the check and owns the order from then on, and a rep that changes
an order's territory to one of its own pulls it in. Every write path (``PUT /api/resource``, v2
``PATCH``, ``frappe.client.set_value`` / ``save`` / ``submit``, Desk's ``savedocs``) ends in
``Document.save``, whose ``before_validate`` (save, submit), ``before_cancel`` and
``before_update_after_submit`` run with the stored copy loaded: the caller must hold the same right on
that stored copy (roles, User Permissions, ``has_permission`` hooks) as Frappe demands of the new one.

A new document may name an ``amended_from`` only when the caller may read that document: Frappe checks
that it is cancelled, not whose it is.

Child rows are added and removed by saving their parent. Frappe also inserts or deletes a row on its
own (``POST``/``DELETE /api/resource/<child doctype>``) after checking only the right on the parent:
lines would land on an order without its validation (rates, stock) or totals following.
"""

from __future__ import annotations

import frappe
import frappe.permissions
from frappe import _

# the right Frappe checks on the new document for each save action
_RIGHT_FOR_ACTION = {"save": "write", "submit": "submit", "cancel": "cancel", "update_after_submit": "write"}


def _skip(doc) -> bool:
    # internal writes (webhooks, jobs, installs) opt out with ignore_permissions, as in Frappe. Admins
    # are checked too: if-owner rules (Address, Contact) bind a Marketplace Admin as they bind anyone.
    return doc.flags.ignore_permissions or doc.meta.issingle or frappe.session.user == "Administrator"


def guard_write(doc, method=None) -> None:
    """doc_events "*": before_validate / before_cancel / before_update_after_submit."""
    if _skip(doc):
        return
    if doc.meta.istable:
        # a row's changes are checked when its parent is saved (Frappe saves it right after); a new row
        # must come through the parent, whose validation (prices, stock, docstatus) it would skip
        if doc.is_new():
            _refuse_lone_row(doc)
        return
    check_amended_from(doc)
    if doc.is_new():
        return
    stored = doc.get_doc_before_save()
    if stored is None and frappe.db.exists(doc.doctype, doc.name):
        stored = frappe.get_doc(doc.doctype, doc.name)
    if stored is None:
        return
    right = _RIGHT_FOR_ACTION.get(getattr(doc, "_action", None) or "save", "write")
    if not frappe.permissions.has_permission(doc.doctype, right, doc=stored, user=frappe.session.user,
                                             print_logs=False):
        frappe.throw(_("You do not have access to {0} {1}").format(_(doc.doctype), doc.name), frappe.PermissionError)


def check_amended_from(doc) -> None:
    """A new (or re-pointed) ``amended_from`` must be a document of this doctype the caller may read."""
    source = doc.get("amended_from") if doc.meta.get_field("amended_from") else None
    if not source:
        return
    stored = None if doc.is_new() else doc.get_doc_before_save()
    if stored is not None and stored.get("amended_from") == source:
        return
    if not frappe.db.exists(doc.doctype, source):
        return  # Frappe's link check reports the unknown name
    original = frappe.get_doc(doc.doctype, source)
    if not frappe.permissions.has_permission(doc.doctype, "read", doc=original, user=frappe.session.user,
                                             print_logs=False):
        frappe.throw(_("You do not have access to {0} {1}, so it cannot be amended").format(_(doc.doctype), source),
                     frappe.PermissionError)


def guard_delete(doc, method=None) -> None:
    """doc_events "*" on_trash: a child row is removed by saving its parent without it, never alone
    (the parent's totals and validation would not follow)."""
    if doc.meta.istable and not doc.flags.ignore_permissions and frappe.session.user != "Administrator":
        _refuse_lone_row(doc)


def _refuse_lone_row(doc) -> None:
    parent = doc.get("parenttype") or _("its parent")
    frappe.throw(_("A {0} row is added or removed by saving its {1}").format(_(doc.doctype), _(parent)),
                 frappe.PermissionError)
