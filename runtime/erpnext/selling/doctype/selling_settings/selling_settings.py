"""Selling Settings: site-wide selling defaults (single)."""

import frappe
from frappe.model.document import Document


class SellingSettings(Document):
	def validate(self):
		"""Mirror the default price list into the site defaults, as ERPNext does."""
		for key in ("selling_price_list", "customer_group", "territory"):
			try:
				frappe.db.set_default(key, self.get(key) or "")
			except Exception:
				# defaults are a convenience for forms; the documents read the single directly
				pass
