"""Contact Email: one e-mail address of a Contact."""

from frappe.model.document import Document


class ContactEmail(Document):
	pass
