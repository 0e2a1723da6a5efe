"""``frappe.delete_doc``: permission, submitted check, on_trash, link check, rows, after_delete."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.naming import revert_series_if_last


def delete_doc(doctype=None, name=None, force=0, ignore_doctypes=None, for_reload=False,
               ignore_permissions=False, flags=None, ignore_on_trash=False, ignore_missing=True,
               delete_permanently=False):
    """Delete a document and its child rows the way Frappe does."""
    if not doctype:
        doctype = frappe.form_dict.get("dt")
        name = frappe.form_dict.get("dn")
    names = name if isinstance(name, (list, tuple)) else [name]
    for name in names:
        if not frappe.db.exists(doctype, name):
            if not ignore_missing:
                # Frappe raises it bare here: a 404 with no message
                raise frappe.DoesNotExistError
            continue
        doc = frappe.get_doc(doctype, name)
        if flags:
            doc.flags.update(flags)
        if not (ignore_permissions or doc.flags.ignore_permissions):
            if frappe.session.user != "Administrator" and not doc.has_permission("delete"):
                frappe.flags.error_message = _("No permission for {0}").format(f"{_(doctype)} {name}")
                frappe.msgprint(_("User not allowed to delete {0}: {1}").format(doctype, name),
                                raise_exception=frappe.PermissionError)
        if doc.docstatus == 1 and not force:
            frappe.throw(_("{0} {1}: Submitted Record cannot be deleted. You must {2} Cancel {3} it first.").format(
                _(doctype), name,
                "<a href='https://docs.frappe.io/erpnext/user/manual/en/delete-submitted-document' target='_blank'>",
                "</a>"))
        if not ignore_on_trash:
            doc.run_method("on_trash")
            doc.flags.in_delete = True
            doc.run_method("on_change")
        if not force:
            check_if_doc_is_linked(doc)
        _revert_series(doc)
        for df in doc.meta.get_table_fields():
            frappe.db.sql(f"delete from `tab{df.options}` where `parent`=%s and `parenttype`=%s", (name, doctype))
        frappe.db.sql(f"delete from `tab{doctype}` where `name`=%s", (name,))
        if doctype != "DocShare" and frappe.db.table_exists("DocShare"):
            # its shares go with it: a later document of the same name starts unshared
            frappe.db.sql("delete from `tabDocShare` where `share_doctype`=%s and `share_name`=%s", (doctype, name))
        from frappe.utils.password import delete_all_passwords_for

        delete_all_passwords_for(doctype, name)
        frappe.clear_document_cache(doctype, name)
        if not ignore_on_trash:
            doc.run_method("after_delete")


def _revert_series(doc) -> None:
    autoname = doc.meta.get("autoname") or ""
    if autoname.startswith("naming_series:") and doc.get("naming_series"):
        revert_series_if_last(doc.naming_series + ".#####", doc.name, doc)
    elif "#" in autoname and not autoname.startswith(("format:", "field:")):
        revert_series_if_last(autoname, doc.name, doc)


def check_if_doc_is_linked(doc, method="Delete"):
    """Refuse to delete a document that submitted/draft documents link to (LinkExistsError)."""
    from frappe.model import log_types
    from frappe.model.meta import get_doctype_index

    # logs never block a delete (Frappe's ignore_links_on_delete hook)
    ignored = set(log_types) | set(frappe.get_hooks("ignore_links_on_delete") or [])
    for doctype in get_doctype_index():
        if doctype in ignored:
            continue
        try:
            meta = frappe.get_meta(doctype)
        except Exception:
            continue
        if meta.issingle or meta.get("is_virtual"):
            continue
        for df in meta.get_link_fields():
            if df.options != doc.doctype:
                continue
            if not frappe.db.table_exists(doctype):
                continue
            fields = ["name", "docstatus"] + (["parent", "parenttype"] if meta.istable else [])
            rows = frappe.db.sql(f"select {', '.join(f'`{f}`' for f in fields)} from `tab{doctype}` "
                                 f"where `{df.fieldname}`=%s limit 1", (doc.name,), as_dict=True)
            for row in rows:
                linked_doctype = row.parenttype if meta.istable else doctype
                linked_name = row.parent if meta.istable else row.name
                if linked_doctype == doc.doctype and linked_name == doc.name:
                    continue
                if method == "Cancel" and row.docstatus != 1:
                    continue
                has_disable = doc.meta.has_field("enabled") or doc.meta.has_field("disabled")
                reason = _("You can disable this {0} instead of deleting it.").format(_(doc.doctype)) \
                    if has_disable else ""
                frappe.throw(_("Cannot delete or cancel because {0} {1} is linked with {2} {3} {4}").format(
                    _(doc.doctype), doc.name, _(linked_doctype), linked_name, reason).strip(),
                    frappe.LinkExistsError)
