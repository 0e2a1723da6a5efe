"""Territory: a tree master (nested set on `parent_territory`)."""

import frappe
from frappe import _

from erpnext.utilities.nestedset import TreeDocument


class Territory(TreeDocument):
	nsm_parent_field = "parent_territory"

	def validate(self):
		"""Attach new nodes to the root and refuse a non-group parent."""
		if not self.parent_territory:
			root = _root_name("Territory")
			if root and root != self.name:
				self.parent_territory = root
		if self.parent_territory and not frappe.db.get_value("Territory", self.parent_territory, "is_group"):
			frappe.throw(_("{0} {1} is not a group node. Please select a group node as parent").format(_("Territory"), self.parent_territory))

	def on_update(self):
		super().on_update()


def _root_name(doctype):
	"""Name of the existing root node, if any."""
	roots = frappe.get_all(doctype, filters=[["parent_territory", "is", "not set"]], pluck="name", order_by="creation asc", limit=1)
	return roots[0] if roots else None
