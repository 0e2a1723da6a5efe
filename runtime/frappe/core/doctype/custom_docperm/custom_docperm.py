"""Custom DocPerm: site-level permission rows that replace a doctype's standard DocPerm rows."""

import frappe
from frappe.model.document import Document


class CustomDocPerm(Document):
    def on_update(self):
        frappe.clear_cache(doctype=self.parent)

    def on_trash(self):
        frappe.clear_cache(doctype=self.parent)
