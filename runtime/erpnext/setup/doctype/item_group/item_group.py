"""Item Group: a tree master (nested set on `parent_item_group`)."""

import frappe
from frappe import _

from erpnext.utilities.nestedset import TreeDocument


class ItemGroup(TreeDocument):
	nsm_parent_field = "parent_item_group"

	def validate(self):
		"""Attach new nodes to the root and refuse a non-group parent."""
		if not self.parent_item_group:
			root = _root_name("Item Group")
			if root and root != self.name:
				self.parent_item_group = root
		if self.parent_item_group and not frappe.db.get_value("Item Group", self.parent_item_group, "is_group"):
			frappe.throw(_("{0} {1} is not a group node. Please select a group node as parent").format(_("Item Group"), self.parent_item_group))

	def on_update(self):
		super().on_update()


def _root_name(doctype):
	"""Name of the existing root node, if any."""
	roots = frappe.get_all(doctype, filters=[["parent_item_group", "is", "not set"]], pluck="name", order_by="creation asc", limit=1)
	return roots[0] if roots else None
