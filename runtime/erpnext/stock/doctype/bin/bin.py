"""Bin: the running quantities of one item in one warehouse (one row per pair)."""

import frappe
from frappe.model.document import Document
from frappe.utils import flt

from erpnext.stock.stock_balance import compute_projected_qty


class Bin(Document):
	def before_save(self):
		"""Fill the stock UOM and keep projected_qty in step with the other quantities."""
		if not self.stock_uom and self.item_code:
			self.stock_uom = frappe.db.get_value("Item", self.item_code, "stock_uom")
		self.set_projected_qty()

	def set_projected_qty(self):
		"""projected = actual + ordered + indented + planned - reservations."""
		self.projected_qty = flt(compute_projected_qty(self.as_dict()))

	def update_reserved_qty_for_sales(self):
		"""Refresh reserved_qty from the submitted Sales Orders."""
		from erpnext.stock.stock_balance import get_reserved_qty

		self.reserved_qty = get_reserved_qty(self.item_code, self.warehouse)
		self.set_projected_qty()
		self.db_set({"reserved_qty": self.reserved_qty, "projected_qty": self.projected_qty}, update_modified=True)


def on_doctype_update():
	"""One Bin per (item_code, warehouse)."""
	frappe.db.add_unique("Bin", ["item_code", "warehouse"], constraint_name="unique_item_warehouse")
