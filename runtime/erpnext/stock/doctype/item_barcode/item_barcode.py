"""Item Barcode: child table row (minimal in this subset)."""

from frappe.model.document import Document


class ItemBarcode(Document):
	pass
