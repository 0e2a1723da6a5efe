"""Item Supplier: child table row (minimal in this subset)."""

from frappe.model.document import Document


class ItemSupplier(Document):
	pass
