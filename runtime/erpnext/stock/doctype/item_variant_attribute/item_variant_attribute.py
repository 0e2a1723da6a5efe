"""Item Variant Attribute: child table row (minimal in this subset)."""

from frappe.model.document import Document


class ItemVariantAttribute(Document):
	pass
