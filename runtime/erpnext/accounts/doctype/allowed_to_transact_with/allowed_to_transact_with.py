"""Allowed To Transact With: child table row (minimal in this subset)."""

from frappe.model.document import Document


class AllowedToTransactWith(Document):
	pass
