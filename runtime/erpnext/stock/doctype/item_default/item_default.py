"""Item Default: per-company defaults of an Item (warehouse, price list)."""

from frappe.model.document import Document


class ItemDefault(Document):
	pass
