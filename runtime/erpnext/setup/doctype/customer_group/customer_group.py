"""Customer Group: a tree master (nested set on `parent_customer_group`)."""

import frappe
from frappe import _

from erpnext.utilities.nestedset import TreeDocument


class CustomerGroup(TreeDocument):
	nsm_parent_field = "parent_customer_group"

	def validate(self):
		"""Attach new nodes to the root and refuse a non-group parent."""
		if not self.parent_customer_group:
			root = _root_name("Customer Group")
			if root and root != self.name:
				self.parent_customer_group = root
		if self.parent_customer_group and not frappe.db.get_value("Customer Group", self.parent_customer_group, "is_group"):
			frappe.throw(_("{0} {1} is not a group node. Please select a group node as parent").format(_("Customer Group"), self.parent_customer_group))

	def on_update(self):
		super().on_update()


def _root_name(doctype):
	"""Name of the existing root node, if any."""
	roots = frappe.get_all(doctype, filters=[["parent_customer_group", "is", "not set"]], pluck="name", order_by="creation asc", limit=1)
	return roots[0] if roots else None
