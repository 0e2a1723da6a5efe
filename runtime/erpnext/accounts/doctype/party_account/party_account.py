"""Party Account: child table row (minimal in this subset)."""

from frappe.model.document import Document


class PartyAccount(Document):
	pass
