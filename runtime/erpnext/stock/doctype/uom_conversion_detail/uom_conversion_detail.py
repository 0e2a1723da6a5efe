"""UOM Conversion Detail: child table row (minimal in this subset)."""

from frappe.model.document import Document


class UOMConversionDetail(Document):
	pass
