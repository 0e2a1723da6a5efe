"""Packed Item: child table row (minimal in this subset)."""

from frappe.model.document import Document


class PackedItem(Document):
	pass
