"""Customer: a party that buys."""

import re

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cstr, flt

from erpnext.contacts.naming import delete_contact_and_address


class Customer(Document):
	def autoname(self):
		"""Name by customer name (Selling Settings' default) or by naming series."""
		naming_by = frappe.db.get_single_value("Selling Settings", "cust_master_name") or "Customer Name"
		if naming_by == "Customer Name":
			self.name = self.get_customer_name()
		else:
			from frappe.model.naming import make_autoname

			self.name = make_autoname((self.naming_series or "CUST-.YYYY.-") + ".#####", doc=self)

	def get_customer_name(self):
		"""customer_name, or "customer_name - N" when a customer already has that name."""
		base = cstr(self.customer_name).strip()
		if not base:
			frappe.throw(_("Customer Name is mandatory"))
		if not frappe.db.exists("Customer", base) or frappe.flags.in_import:
			return base
		pattern = re.compile(r"^" + re.escape(base) + r" - (\d+)$")
		taken = frappe.get_all("Customer", filters={"name": ("like", base + " - %")}, pluck="name")
		count = max([int(m.group(1)) for m in (pattern.match(n) for n in taken) if m], default=0) + 1
		new_name = f"{base} - {count}"
		frappe.msgprint(
			_("Changed customer name to '{}' as '{}' already exists.").format(new_name, base),
			title=_("Note"),
			indicator="yellow",
		)
		return new_name

	def validate(self):
		"""Apply the selling defaults and check the sales team split."""
		self.customer_name = cstr(self.customer_name).strip()
		if not self.customer_group:
			self.customer_group = frappe.db.get_single_value("Selling Settings", "customer_group") or None
		if not self.territory:
			self.territory = frappe.db.get_single_value("Selling Settings", "territory") or None
		if not self.language:
			self.language = getattr(frappe.local, "lang", None) or "en"
		self.validate_sales_team()
		if self.customer_primary_address:
			from erpnext.contacts.doctype.address.address import render_address

			self.primary_address = render_address(self.customer_primary_address)
		else:
			self.primary_address = None

	def validate_sales_team(self):
		if self.sales_team:
			total = sum(flt(row.allocated_percentage) for row in self.sales_team)
			if total != 100.0:
				frappe.throw(_("Total contribution percentage should be equal to 100"))

	def on_trash(self):
		"""Delete the customer's own addresses and contacts, unlink shared ones."""
		delete_contact_and_address("Customer", self.name)


@frappe.whitelist()
def get_customer_primary_details(customer):
	"""Primary address and contact names of a customer."""
	from erpnext.contacts.doctype.address.address import get_default_address
	from erpnext.contacts.doctype.contact.contact import get_default_contact

	return {
		"customer_primary_address": get_default_address("Customer", customer),
		"customer_primary_contact": get_default_contact("Customer", customer),
	}
