"""Sales Person: a tree master (nested set on `parent_sales_person`)."""

import frappe
from frappe import _

from erpnext.utilities.nestedset import TreeDocument


class SalesPerson(TreeDocument):
	nsm_parent_field = "parent_sales_person"

	def validate(self):
		"""Attach new nodes to the root and refuse a non-group parent."""
		if not self.parent_sales_person:
			root = _root_name("Sales Person")
			if root and root != self.name:
				self.parent_sales_person = root
		if self.parent_sales_person and not frappe.db.get_value("Sales Person", self.parent_sales_person, "is_group"):
			frappe.throw(_("{0} {1} is not a group node. Please select a group node as parent").format(_("Sales Person"), self.parent_sales_person))

	def on_update(self):
		super().on_update()


def _root_name(doctype):
	"""Name of the existing root node, if any."""
	roots = frappe.get_all(doctype, filters=[["parent_sales_person", "is", "not set"]], pluck="name", order_by="creation asc", limit=1)
	return roots[0] if roots else None
