"""Stock Entry Detail: one item line of a Stock Entry."""

from frappe.model.document import Document


class StockEntryDetail(Document):
	pass
