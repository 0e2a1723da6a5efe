"""Portal User: child table row (minimal in this subset)."""

from frappe.model.document import Document


class PortalUser(Document):
	pass
