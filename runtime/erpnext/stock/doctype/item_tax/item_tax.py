"""Item Tax: child table row (minimal in this subset)."""

from frappe.model.document import Document


class ItemTax(Document):
	pass
