"""Amended Document Naming Settings: per-doctype amendment naming (rows of Document Naming Settings)."""

from frappe.model.document import Document


class AmendedDocumentNamingSettings(Document):
	pass
