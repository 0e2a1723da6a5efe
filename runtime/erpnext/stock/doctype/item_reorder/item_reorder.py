"""Item Reorder: child table row (minimal in this subset)."""

from frappe.model.document import Document


class ItemReorder(Document):
	pass
