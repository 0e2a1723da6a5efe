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

A child row inserted or deleted on its own (``POST``/``DELETE /api/resource/<child doctype>``) is
checked by Frappe against the parent's right only: its parent must be a draft (or lines land at any
rate on an order already placed, and vanish from one), and the parent with the new row must still be
the caller's to write (no link to another clinic's customer slipped in as a row).
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
        # a changed row is checked when its parent is saved (Frappe saves it right after the row)
        if doc.is_new():
            _check_lone_row(doc, adding=True)
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


def cancel_changes_nothing(doc, method=None) -> None:
    """doc_events "*" before_cancel: a cancel changes the docstatus and nothing else.

    Frappe skips validation on a cancel, so ``PUT {"docstatus": 2, "items": [...]}`` stores rewritten
    lines, totals and links with the cancel (and ERPNext then releases the stock reservations of the
    rewritten lines, not of the submitted ones). The rule for a submitted document applies: fields
    without "Allow on Submit" keep their stored values, for every caller.
    """
    if doc.is_new() or not doc.meta.is_submittable:
        return
    doc.validate_update_after_submit()


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
    """doc_events "*" on_trash: a child row deleted on its own must belong to a draft."""
    if doc.meta.istable and not _skip(doc):
        _check_lone_row(doc, adding=False)


def _check_lone_row(row, adding: bool) -> None:
    parenttype, parent_name = row.get("parenttype"), row.get("parent")
    if not parenttype or not parent_name or not frappe.db.exists(parenttype, parent_name):
        return  # Frappe refuses a row without a valid parent
    parent = frappe.get_doc(parenttype, parent_name)
    if parent.meta.is_submittable and parent.docstatus != 0:
        message = (_("Rows cannot be added to {0} {1} after submission") if adding else
                   _("Rows cannot be removed from {0} {1} after submission"))
        frappe.throw(message.format(_(parenttype), parent_name), frappe.UpdateAfterSubmitError)
    if adding and row.get("parentfield"):
        parent.append(row.parentfield, row.as_dict())
        if not frappe.permissions.has_permission(parenttype, "write", doc=parent, user=frappe.session.user,
                                                 print_logs=False):
            frappe.throw(_("You do not have access to {0} {1}").format(_(parenttype), parent_name),
                         frappe.PermissionError)
