"""Property Setter: overrides one property of a DocType or of one of its fields."""

from __future__ import annotations

import frappe
from frappe.model.document import Document


class PropertySetter(Document):
    """Named ``{doc_type}-{field_name}-{property}`` (``{doc_type}-main-{property}`` for the doctype)."""

    def autoname(self):
        self.name = "{doc_type}-{field}-{property}".format(
            doc_type=self.doc_type, field=self.field_name or self.row_name or "main", property=self.property)

    def validate(self):
        # one setter per (doctype, field, property): replace an older one
        if self.is_new():
            frappe.db.delete("Property Setter", {"doc_type": self.doc_type, "field_name": self.field_name or "",
                                                 "property": self.property})

    def on_update(self):
        frappe.clear_cache(doctype=self.doc_type)

    def on_trash(self):
        frappe.clear_cache(doctype=self.doc_type)


def make_property_setter(doctype, fieldname, property, value, property_type, for_doctype=False,
                         validate_fields_for_doctype=True, is_system_generated=True):
    """Create (or replace) a Property Setter for a field, or for the doctype with ``for_doctype``."""
    property_setter = frappe.get_doc({
        "doctype": "Property Setter",
        "doctype_or_field": "DocType" if for_doctype else "DocField",
        "doc_type": doctype,
        "field_name": "" if for_doctype else fieldname,
        "property": property,
        "value": value,
        "property_type": property_type,
        "is_system_generated": is_system_generated,
    })
    property_setter.flags.ignore_permissions = True
    property_setter.insert()
    return property_setter
