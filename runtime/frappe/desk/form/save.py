"""``frappe.desk.form.save``: the form's Save / Submit / Update / Cancel, as Frappe v15 answers them.

Everything goes through ``Document.save``, so the write path is the REST API's: DocType rights,
``has_permission`` hooks and User Permissions on the document, permlevel write checks, MedGrid's
``doc_events "*"`` guards (``medgrid.permissions_writes``: the stored copy must be the caller's too),
link validation and the controllers. The answer is the saved document (with ``localname``, the
client's temporary name), ``docinfo`` and Frappe's green alert ("Saved", "Submitted", "Cancelled").
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.desk.form.load import run_onload
from frappe.desk.form.utils import apply_fieldlevel_read_permissions, get_docinfo_dict, require_doctype

# action → docstatus the document is saved with
_DOCSTATUS_FOR_ACTION = {"Save": 0, "Submit": 1, "Update": 1, "Cancel": 2}
_ALERT_FOR_ACTION = {"Save": "Saved", "Submit": "Submitted", "Update": "Updated", "Cancel": "Cancelled"}


@frappe.whitelist(methods=["POST", "PUT"])
def savedocs(doc, action):
    """Save the document the form sends (JSON) with ``action`` Save, Submit, Update or Cancel."""
    if action not in _DOCSTATUS_FOR_ACTION:
        frappe.throw(_("Invalid action {0}: expected one of {1}").format(
            frappe.bold(str(action)[:40]), ", ".join(_DOCSTATUS_FOR_ACTION)), frappe.ValidationError)
    doc = frappe.get_doc(_document_dict(doc))
    set_local_name(doc)
    doc.docstatus = _DOCSTATUS_FOR_ACTION[action]
    doc.save()
    run_onload(doc)
    send_updated_docs(doc)
    frappe.msgprint(_(_ALERT_FOR_ACTION[action]), indicator="green", alert=True)


@frappe.whitelist(methods=["POST", "PUT"])
def cancel(doctype=None, name=None, workflow_state_fieldname=None, workflow_state=None):
    """Cancel a submitted document (the form's Cancel button)."""
    doctype = require_doctype(doctype)
    if not isinstance(name, str) or not name:
        frappe.throw(_("name is required"), frappe.MandatoryError)
    doc = frappe.get_doc(doctype, name)
    if workflow_state_fieldname and workflow_state:
        if not doc.meta.get_field(workflow_state_fieldname):
            frappe.throw(_("{0} is not a field of {1}").format(workflow_state_fieldname, doctype), frappe.ValidationError)
        doc.set(workflow_state_fieldname, workflow_state)
    doc.cancel()
    send_updated_docs(doc)
    frappe.msgprint(_("Cancelled"), indicator="red", alert=True)


def send_updated_docs(doc) -> None:
    """The saved document (as the user may read it) and its docinfo into the response."""
    frappe.response["docinfo"] = get_docinfo_dict(doc)
    apply_fieldlevel_read_permissions(doc)
    d = doc.as_dict()
    if getattr(doc, "localname", None):
        d["localname"] = doc.localname
    frappe.response.docs.append(d)


def set_local_name(doc) -> None:
    """New documents and rows arrive with the client's temporary name (``new-sales-order-…``): it
    moves to ``localname`` so that naming gives the real one."""
    def move(d):
        if doc.get("__islocal") or d.get("__islocal"):
            d.localname = d.name
            d.name = None

    move(doc)
    for child in doc.get_all_children():
        move(child)
    if doc.get("__newname"):
        doc.name = doc.get("__newname")


def _document_dict(doc) -> dict:
    """The ``doc`` argument: a JSON object naming an installed doctype (400/417 otherwise)."""
    if isinstance(doc, str):
        from frappe.utils.caller_input import decode

        doc = decode(doc)
    if not isinstance(doc, dict):
        frappe.throw(_("doc must be a JSON object"), frappe.ValidationError)
    require_doctype(doc.get("doctype"))
    return doc
