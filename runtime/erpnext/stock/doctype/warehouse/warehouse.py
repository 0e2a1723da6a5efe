"""Warehouse: a (tree of) stock location(s) of one company."""

import frappe
from frappe import _
from frappe.utils import flt

from erpnext.utilities.nestedset import TreeDocument


class Warehouse(TreeDocument):
	nsm_parent_field = "parent_warehouse"

	def autoname(self):
		"""Name is "<warehouse_name> - <company abbr>" unless the suffix is already there."""
		if self.company:
			suffix = " - " + (frappe.db.get_value("Company", self.company, "abbr") or "")
			if not self.warehouse_name.endswith(suffix):
				self.name = self.warehouse_name + suffix
				return
		self.name = self.warehouse_name

	def validate(self):
		"""A parent must be a group warehouse of the same company."""
		if self.parent_warehouse:
			parent = frappe.db.get_value(
				"Warehouse", self.parent_warehouse, ["is_group", "company"], as_dict=True
			)
			if parent and not parent.is_group:
				frappe.throw(_("Parent Warehouse {0} must be a group warehouse").format(frappe.bold(self.parent_warehouse)))
		if not self.is_new() and not self.is_group and frappe.db.exists("Warehouse", {"parent_warehouse": self.name}):
			frappe.throw(_("Warehouses with child nodes cannot be converted to ledger"))

	def on_update(self):
		super().on_update()

	def on_trash(self):
		"""Refuse to delete a warehouse holding stock; drop its empty Bins."""
		for row in frappe.get_all(
			"Bin",
			filters={"warehouse": self.name},
			fields=["name", "item_code", "actual_qty", "reserved_qty", "ordered_qty", "indented_qty", "planned_qty"],
		):
			if any(flt(row.get(f)) for f in ("actual_qty", "reserved_qty", "ordered_qty", "indented_qty", "planned_qty")):
				frappe.throw(
					_("Warehouse {0} can not be deleted as quantity exists for Item {1}").format(self.name, row.item_code)
				)
		if frappe.db.exists("Warehouse", {"parent_warehouse": self.name}):
			frappe.throw(_("Child warehouse exists for this warehouse. You can not delete this warehouse."))
		frappe.db.delete("Bin", {"warehouse": self.name})
		# the tree base refuses roots: a company's "All Warehouses" may go with the company
		super().on_trash(allow_root_deletion=True)
