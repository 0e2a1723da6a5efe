"""Company: the legal entity every transaction belongs to."""

import frappe
from frappe import _
from frappe.model.document import Document

# ERPNext creates these warehouses for every new company (under "All Warehouses").
DEFAULT_WAREHOUSES = ["Stores", "Work In Progress", "Finished Goods", "Goods In Transit"]


class Company(Document):
	def validate(self):
		"""Check the abbreviation and fill the currency default."""
		self.abbr = (self.abbr or "").strip()
		if not self.abbr:
			frappe.throw(_("Abbreviation is mandatory"))
		if len(self.abbr) > 10:
			frappe.throw(_("Abbreviation cannot have more than 5 characters"))
		clash = frappe.db.get_value("Company", {"abbr": self.abbr, "name": ("!=", self.name or "")}, "name")
		if clash:
			frappe.throw(_("Abbreviation already used for another company"))
		if not self.default_currency:
			self.default_currency = "USD"

	def on_update(self):
		"""Create the company's default warehouses and defaults, as ERPNext does on first save."""
		if not frappe.local.flags.get("ignore_chart_of_accounts") and not frappe.db.exists(
			"Warehouse", {"company": self.name}
		):
			self.create_default_warehouses()
		if not frappe.db.get_value("Cost Center", {"is_group": 0, "company": self.name}):
			self.create_default_cost_center()
		self.set_site_defaults()

	def create_default_warehouses(self):
		"""Insert "All Warehouses - ABBR" and the standard leaf warehouses below it."""
		root = frappe.get_doc({
			"doctype": "Warehouse", "warehouse_name": _("All Warehouses"), "is_group": 1, "company": self.name,
		})
		root.insert(ignore_permissions=True)
		for name in DEFAULT_WAREHOUSES:
			frappe.get_doc({
				"doctype": "Warehouse", "warehouse_name": _(name), "is_group": 0, "company": self.name,
				"parent_warehouse": root.name,
			}).insert(ignore_permissions=True)

	def create_default_cost_center(self):
		"""The company's root cost center (named after the company) and "Main" below it, which
		becomes the company's default cost center."""
		root = frappe.get_doc({
			"doctype": "Cost Center", "cost_center_name": self.name, "company": self.name, "is_group": 1,
			"parent_cost_center": None,
		})
		root.flags.ignore_permissions = True
		root.flags.ignore_mandatory = True
		root.insert()
		main = frappe.get_doc({
			"doctype": "Cost Center", "cost_center_name": _("Main"), "company": self.name, "is_group": 0,
			"parent_cost_center": root.name,
		})
		main.flags.ignore_permissions = True
		main.insert()
		self.db_set("cost_center", main.name)

	def set_site_defaults(self):
		"""Stand in for ERPNext's setup wizard on a site without one.

		The first company becomes the `company` default and its "Stores" warehouse the default
		warehouse of Stock Settings, exactly what the wizard leaves behind.
		"""
		from erpnext import _first_default

		if not _first_default("company"):
			try:
				frappe.db.set_default("company", self.name)
			except Exception:
				# a runtime without site defaults falls back to "the only company"
				pass
		stores = frappe.db.get_value("Warehouse", {"company": self.name, "warehouse_name": "Stores", "is_group": 0})
		if stores and not frappe.db.get_single_value("Stock Settings", "default_warehouse"):
			frappe.db.set_single_value("Stock Settings", "default_warehouse", stores)

	def on_trash(self):
		"""Remove the company's empty warehouses and its cost centers together with it."""
		for name in frappe.get_all("Warehouse", filters={"company": self.name}, pluck="name", order_by="lft desc"):
			if frappe.db.exists("Bin", {"warehouse": name, "actual_qty": ("!=", 0)}):
				frappe.throw(_("Cannot delete Company {0}: warehouse {1} still holds stock").format(self.name, name))
			frappe.db.delete("Bin", {"warehouse": name})
			frappe.db.delete("Warehouse", {"name": name})
		frappe.db.delete("Cost Center", {"company": self.name})
		if _default_company() == self.name:
			try:
				frappe.db.set_default("company", None)
			except Exception:
				pass


def _default_company():
	from erpnext import _first_default

	return _first_default("company")
