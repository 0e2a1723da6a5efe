"""Custom Field: a field added to another app's doctype; saving it alters the table."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document


class CustomField(Document):
    """Named ``{dt}-{fieldname}``; the meta cache is dropped and the column added on save."""

    def autoname(self):
        self.set_fieldname()
        self.name = f"{self.dt}-{self.fieldname}"

    def set_fieldname(self):
        if not self.fieldname:
            label = self.label or ""
            if not label:
                frappe.throw(_("Label is mandatory"))
            # fieldnames made from a label get Frappe's custom_ prefix
            self.fieldname = "custom_" + "".join(c if c.isalnum() else "_" for c in label.strip().lower()).strip("_")
        self.fieldname = self.fieldname.lower()

    def validate(self):
        self.set_fieldname()
        meta = frappe.get_meta(self.dt, cached=False)
        if self.fieldname in ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx",
                              "parent", "parentfield", "parenttype"):
            frappe.throw(_("Fieldname {0} is restricted").format(self.fieldname), frappe.InvalidColumnName)
        df = meta.get_field(self.fieldname)
        if self.is_new() and df and not df.get("is_custom_field"):
            frappe.throw(_("A field with the name {0} already exists in {1}").format(
                frappe.bold(self.fieldname), self.dt))
        if self.insert_after == "append":
            self.insert_after = meta.fields[-1].fieldname if meta.fields else None

    def on_update(self):
        from frappe.database.schema import sync_table

        frappe.clear_cache(doctype=self.dt)
        if not frappe.flags.in_create_custom_fields:
            sync_table(frappe.get_meta(self.dt, cached=False))

    def on_trash(self):
        frappe.clear_cache(doctype=self.dt)


def create_custom_field(doctype, df, ignore_validate=False, is_system_generated=True):
    """Create one Custom Field on ``doctype`` unless it exists; returns the doc (or None)."""
    df = frappe._dict(df)
    if not df.fieldname and df.label:
        df.fieldname = frappe.scrub(df.label)
    if frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": df.fieldname}):
        return None
    custom_field = frappe.get_doc({"doctype": "Custom Field", "dt": doctype, "permlevel": 0,
                                   "fieldtype": "Data", "hidden": 0, "is_system_generated": is_system_generated})
    custom_field.update(df)
    custom_field.flags.ignore_validate = ignore_validate
    custom_field.insert(ignore_permissions=True)
    return custom_field


def create_custom_fields(custom_fields: dict, ignore_validate=False, update=True):
    """Create or update Custom Fields: ``{"Sales Order": [{fieldname, fieldtype, ...}], ...}``.

    Idempotent, as in Frappe: existing fields are updated (when ``update``), missing ones created,
    and each touched doctype's table is altered once at the end.
    """
    from frappe.database.schema import sync_table

    touched = set()
    frappe.flags.in_create_custom_fields = True
    try:
        for doctypes, fields in custom_fields.items():
            if isinstance(fields, dict):
                fields = [fields]
            if isinstance(doctypes, str):
                doctypes = (doctypes,)
            for doctype in doctypes:
                touched.add(doctype)
                for df in fields:
                    df = dict(df)
                    fieldname = df.get("fieldname") or frappe.scrub(df.get("label") or "")
                    existing = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": fieldname})
                    if not existing:
                        create_custom_field(doctype, df, ignore_validate=ignore_validate)
                    elif update:
                        doc = frappe.get_doc("Custom Field", existing)
                        doc.flags.ignore_validate = ignore_validate
                        doc.update(df)
                        doc.save(ignore_permissions=True)
    finally:
        frappe.flags.in_create_custom_fields = False
    for doctype in touched:
        frappe.clear_cache(doctype=doctype)
        sync_table(frappe.get_meta(doctype, cached=False))
