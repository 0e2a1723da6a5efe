"""Price List: a named set of Item Prices in one currency."""

import frappe
from frappe import _
from frappe.model.document import Document


class PriceList(Document):
	def validate(self):
		"""A price list is for buying, selling or both."""
		if not self.buying and not self.selling:
			frappe.throw(_("Price List must be applicable for Buying or Selling"))

	def on_update(self):
		"""Keep the copies on Item Price in step (currency, buying/selling flags)."""
		frappe.db.sql(
			"""update `tabItem Price` set currency=%s, buying=%s, selling=%s, modified=%s where price_list=%s""",
			(self.currency, self.buying or 0, self.selling or 0, frappe.utils.now(), self.name),
		)

	def on_trash(self):
		"""Clear the default price list wherever it points at this one."""
		if frappe.db.get_single_value("Selling Settings", "selling_price_list") == self.name:
			frappe.db.set_single_value("Selling Settings", "selling_price_list", None)
