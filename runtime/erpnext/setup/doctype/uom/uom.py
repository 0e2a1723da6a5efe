"""UOM: a unit of measure."""

from frappe.model.document import Document


class UOM(Document):
	pass
