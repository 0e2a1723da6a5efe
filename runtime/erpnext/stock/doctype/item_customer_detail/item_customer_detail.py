"""Item Customer Detail: child table row (minimal in this subset)."""

from frappe.model.document import Document


class ItemCustomerDetail(Document):
	pass
