"""Helpers shared by the Desk form calls (load, save): argument checks, permlevel filtering, docinfo."""

from __future__ import annotations

import frappe
import frappe.permissions
from frappe import _
from frappe.model import table_fields


def require_doctype(doctype) -> str:
    """``doctype`` must name an installed doctype: otherwise Frappe's DoesNotExistError (404)."""
    from frappe.model.meta import get_doctype_index

    if not isinstance(doctype, str) or not doctype:
        frappe.throw(_("doctype is required"), frappe.MandatoryError)
    if doctype not in get_doctype_index():
        frappe.throw(_("DocType {0} not found").format(doctype), frappe.DoesNotExistError)
    return doctype


def check_meta_access(doctype: str) -> None:
    """The user needs some right on the doctype (the parent's, for a child table) to see its meta."""
    meta = frappe.get_meta(doctype)
    if meta.istable:
        from frappe.desk.form.load import get_parent_dt

        if get_parent_dt(doctype):
            return
    elif any(frappe.permissions.has_permission(doctype, ptype, print_logs=False) for ptype in ("read", "select", "create")):
        return
    frappe.flags.error_message = _("No permission for {0}").format(frappe.bold(doctype))
    raise frappe.PermissionError(("read", "DocType", doctype))


def readable_permlevels(doc) -> set[int]:
    """Permlevels of ``doc``'s doctype the session user may read (Administrator: all)."""
    meta = frappe.get_meta(doc.doctype)
    if frappe.session.user == "Administrator":
        return {int(df.permlevel or 0) for df in meta.fields} | {0}
    if meta.istable:
        # a child row on its own has no rights: its parent's permlevels apply
        parenttype = doc.get("parenttype")
        if not parenttype:
            return set()
        meta = frappe.get_meta(parenttype)
    levels = set(meta.get_permlevel_access("read"))
    if 0 not in levels and not doc.meta.istable and doc.get("name"):
        # a document shared with the user shows its permlevel-0 fields (Frappe's rule); higher
        # permlevels still need a role
        from frappe.share import is_shared

        if frappe.db.table_exists("DocShare") and is_shared(doc.doctype, doc.name, "read"):
            levels.add(0)
    return levels


def apply_fieldlevel_read_permissions(doc) -> None:
    """Clear the fields at permlevels the user may not read, on the document and its rows (child
    rows follow the parent's permlevel rights, as on Frappe): they then never reach the client."""
    if doc.flags.ignore_permissions:
        return
    allowed = readable_permlevels(doc)
    meta = frappe.get_meta(doc.doctype)
    for df in meta.fields:
        if df.fieldtype in table_fields:
            if int(df.permlevel or 0) not in allowed:
                doc.set(df.fieldname, [])
                continue
            child_meta = frappe.get_meta(df.options)
            hidden = [c.fieldname for c in child_meta.fields if int(c.permlevel or 0) not in allowed]
            for row in doc.get(df.fieldname) or []:
                for fieldname in hidden:
                    row.set(fieldname, None)
        elif int(df.permlevel or 0) not in allowed:
            doc.set(df.fieldname, None)


def get_doc_permissions_for_client(doc) -> dict:
    """docinfo.permissions: the user's rights on the document in Frappe's key order."""
    from frappe.permissions import get_doc_permissions, rights

    perms = dict(get_doc_permissions(doc) or {})
    # rights a DocShare gives on this document (the form of one's own User): has_permission decides
    shareable = ("read", "write", "submit", "share")
    if not all(perms.get(ptype) for ptype in shareable) and not doc.meta.istable and doc.get("name") \
            and frappe.db.table_exists("DocShare") and frappe.share.is_shared(doc.doctype, doc.name, "read"):
        for ptype in shareable:
            if not perms.get(ptype) and frappe.permissions.has_permission(doc.doctype, ptype, doc, print_logs=False):
                perms[ptype] = 1
        perms["select"] = perms.get("select") or perms.get("read")
    out = {"if_owner": perms.get("if_owner") or {}, "has_if_owner_enabled": bool(perms.get("has_if_owner_enabled"))}
    for ptype in rights:
        out[ptype] = frappe.utils.cint(perms.get(ptype))
    return out


def get_docinfo_dict(doc) -> dict:
    """Frappe's ``docinfo``: the form sidebar's data. The runtime has no comments, shares, versions,
    attachments or view logs, so those lists are empty; the keys and their order are Frappe's."""
    user_info = {}
    for user in (doc.get("owner"), doc.get("modified_by")):
        if user:
            _add_user_info(user, user_info)
    return {
        "user_info": user_info,
        "comments": [],
        "shared": _get_shares(doc),
        "assignment_logs": [],
        "attachment_logs": [],
        "info_logs": [],
        "like_logs": [],
        "workflow_logs": [],
        "doctype": doc.doctype,
        "name": doc.name,
        "attachments": [],
        "communications": [],
        "automated_messages": [],
        "versions": [],
        "assignments": [],
        "permissions": get_doc_permissions_for_client(doc),
        "views": [],
        "energy_point_logs": [],
        "additional_timeline_content": [],
        "milestones": [],
        "is_document_followed": None,
        "tags": doc.get("_user_tags") or "",
        "document_email": None,
    }


def _get_shares(doc) -> list:
    """docinfo.shared: the document's DocShare rows (Frappe's frappe.share.get_users; the caller
    already reads the document)."""
    if not doc.get("name") or doc.meta.istable or not frappe.db.table_exists("DocShare"):
        return []
    return frappe.get_all("DocShare", fields=["name", "user", "read", "write", "submit", "share", "everyone",
                                              "owner", "creation"],
                          filters={"share_doctype": doc.doctype, "share_name": doc.name}, order_by="creation asc")


def _add_user_info(user: str, user_info: dict) -> None:
    """fullname, image, name, email and time zone (the system's when the user has none)."""
    from frappe.utils import add_user_info

    add_user_info(user, user_info)
    info = user_info[user]
    if not info.get("time_zone"):
        from frappe.utils.data import get_system_timezone

        info["time_zone"] = get_system_timezone()
    user_info[user] = dict(info)
