"""Contact Phone: one phone number of a Contact."""

from frappe.model.document import Document


class ContactPhone(Document):
	pass
