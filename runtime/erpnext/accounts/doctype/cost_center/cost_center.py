"""Cost Center: the accounting dimension transactions are booked against (a tree per company).

Named "<cost center name> - <company abbreviation>" (with the number in front when one is given),
as ERPNext names it. Only the tree, its naming and the group/ledger rules are kept here.
"""

import frappe
from frappe import _
from frappe.utils import cint
from frappe.utils.nestedset import NestedSet


class CostCenter(NestedSet):
	nsm_parent_field = "parent_cost_center"

	def autoname(self):
		self.name = get_autoname_with_number(self.cost_center_number, self.cost_center_name, self.company)

	def validate(self):
		"""A cost center needs a group parent of the same company (only a company's root has none)."""
		if not self.parent_cost_center and not self.flags.ignore_mandatory:
			frappe.throw(_("Please enter parent cost center"))
		if self.parent_cost_center:
			parent = frappe.db.get_value("Cost Center", self.parent_cost_center, ["is_group", "company"], as_dict=True)
			if parent and not cint(parent.is_group):
				frappe.throw(_("{0} is not a group node. Please select a group node as parent cost center").format(
					frappe.bold(self.parent_cost_center)))
			if parent and parent.company != self.company:
				frappe.throw(_("Parent Cost Center {0} does not belong to Company {1}").format(
					frappe.bold(self.parent_cost_center), frappe.bold(self.company)))
		if not self.is_new() and not cint(self.is_group) and frappe.db.exists(
				"Cost Center", {"parent_cost_center": self.name}):
			frappe.throw(_("Cannot convert Cost Center to ledger as it has child nodes"))

	def on_update(self):
		super().on_update()


def get_autoname_with_number(number_value, doc_title, company):
	"""``[number - ]title - ABBR`` (the abbreviation of ``company``)."""
	abbr = frappe.get_cached_value("Company", company, "abbr") if company else None
	parts = [doc_title.strip()]
	if number_value and str(number_value).strip():
		parts.insert(0, str(number_value).strip())
	if abbr:
		parts.append(abbr)
	return " - ".join(parts)
