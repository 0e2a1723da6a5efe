"""``frappe.desk.form.load``: what Desk calls to open a form (``getdoc``) and to learn a doctype
(``getdoctype``), answered as Frappe v15 answers them (security-desk.json section E).

Permissions are the REST API's: ``getdoc`` needs read permission on the document (doctype rights,
``has_permission`` hooks, User Permissions), drops the values of fields at permlevels the user may not
read, and never shows a Password value (its column only holds asterisks). ``getdoctype`` — which
Frappe answers for any signed-in user — needs a right on the doctype (on its parent for a child
table): the definition names fields and roles a user without access has no business with.
"""

from __future__ import annotations

import json

import frappe
import frappe.permissions
from frappe import _
from frappe.desk.form.meta import get_bundle_timestamp, get_meta_bundle
from frappe.desk.form.utils import (apply_fieldlevel_read_permissions, check_meta_access, get_docinfo_dict,
                                    require_doctype)


@frappe.whitelist()
@frappe.read_only()
def getdoctype(doctype, with_parent=False, cached_timestamp=None):
    """The doctype's meta bundle (itself and its child tables) in ``docs``; with ``with_parent`` a
    child doctype answers its parent's bundle and names the parent in ``parent_dt``."""
    doctype = require_doctype(doctype)
    parent_dt = None
    if frappe.utils.cint(with_parent) and frappe.get_meta(doctype).istable:
        parent_dt = get_parent_dt(doctype)
    check_meta_access(parent_dt or doctype)
    if parent_dt:
        frappe.response["parent_dt"] = parent_dt
    frappe.response["user_settings"] = json.dumps(get_user_settings(parent_dt or doctype))
    # the browser's copy is current: answer without building the bundle (its client code is not even read)
    if cached_timestamp and str(cached_timestamp) == get_bundle_timestamp(parent_dt or doctype):
        return "use_cache"
    frappe.response.docs.extend(get_meta_bundle(parent_dt or doctype))


def get_parent_dt(child_doctype: str) -> str | None:
    """The first doctype (in name order) with a Table field of ``child_doctype`` the user may read."""
    from frappe.model.meta import get_doctype_index
    from frappe.permissions import get_parentfields

    for name in sorted(get_doctype_index()):
        if get_parentfields(name, child_doctype) and frappe.permissions.has_permission(name, "read", print_logs=False):
            return name
    return None


def get_user_settings(doctype: str) -> dict:
    """List/report settings Desk saved for the user; the runtime keeps none (an empty object, as a
    fresh Frappe user gets)."""
    return {}


@frappe.whitelist()
@frappe.read_only()
def getdoc(doctype, name, user=None):
    """The document in ``docs`` (run through its ``onload``), with ``docinfo`` and ``_link_titles``."""
    doctype = require_doctype(doctype)
    if not isinstance(name, str) or not name:
        frappe.throw(_("doctype and name required!"), frappe.MandatoryError)
    try:
        doc = frappe.get_doc(doctype, name)
    except frappe.DoesNotExistError:
        # Frappe answers an empty list for a missing document (the form shows "not found")
        frappe.clear_last_message()
        return []
    if not doc.has_permission("read"):
        frappe.flags.error_message = _("Insufficient Permission for {0}").format(frappe.bold(f"{doctype} {name}"))
        raise frappe.PermissionError(("read", doctype, name))
    run_onload(doc)
    apply_fieldlevel_read_permissions(doc)
    frappe.response["docinfo"] = get_docinfo_dict(doc)
    frappe.response["_link_titles"] = {}
    frappe.response.docs.append(doc)


@frappe.whitelist()
@frappe.read_only()
def get_docinfo(doc=None, doctype=None, name=None):
    """``docinfo`` of a document the user may read (the form's sidebar reloads it)."""
    if doc is None or isinstance(doc, (str, dict)):
        doctype = require_doctype(doctype)
        doc = frappe.get_doc(doctype, name)
    if not doc.has_permission("read"):
        raise frappe.PermissionError
    frappe.response["docinfo"] = get_docinfo_dict(doc)


def run_onload(doc) -> None:
    """Frappe's ``onload`` hook: the controller may fill ``doc.__onload`` for the form."""
    doc.set("__onload", frappe._dict())
    doc.run_method("onload")
