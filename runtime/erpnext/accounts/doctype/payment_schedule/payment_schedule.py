"""Payment Schedule: child table row (minimal in this subset)."""

from frappe.model.document import Document


class PaymentSchedule(Document):
	pass
