"""Dynamic Link: child row linking an Address/Contact to any record."""

from frappe.model.document import Document


class DynamicLink(Document):
	pass
