"""Sales Taxes and Charges: child table row (minimal in this subset)."""

from frappe.model.document import Document


class SalesTaxesandCharges(Document):
	pass
