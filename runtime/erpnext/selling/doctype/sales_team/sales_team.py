"""Sales Team: a sales person's share in a customer or sales order."""

from frappe.model.document import Document


class SalesTeam(Document):
	pass
