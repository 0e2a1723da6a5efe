"""Sales Order Item: one line of a Sales Order."""

from frappe.model.document import Document


class SalesOrderItem(Document):
	pass
