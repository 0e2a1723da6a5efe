"""Customer Credit Limit: child table row (minimal in this subset)."""

from frappe.model.document import Document


class CustomerCreditLimit(Document):
	pass
