"""Stock Settings: site-wide stock defaults (single)."""

from frappe.model.document import Document


class StockSettings(Document):
	pass
