"""Item: a product or service that can be sold and (optionally) stocked."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt, getdate, nowdate, nowtime


class Item(Document):
	def autoname(self):
		"""Name by item_code (or by naming series when Stock Settings asks for it)."""
		if frappe.db.get_single_value("Stock Settings", "item_naming_by") == "Naming Series" and not self.item_code:
			from frappe.model.naming import make_autoname

			self.item_code = make_autoname((self.naming_series or "STO-ITEM-.YYYY.-") + ".#####", doc=self)
		# an empty code leaves the name empty: the framework's field:item_code naming then answers
		# "Item Code is required", as on a real site
		self.item_code = (self.item_code or "").strip()
		self.name = self.item_code

	def validate(self):
		"""Fill name/description/UOM defaults and check the stock flags."""
		if not self.item_name:
			self.item_name = self.item_code
		if not self.description:
			self.description = self.item_name
		if not self.stock_uom:
			self.stock_uom = frappe.db.get_single_value("Stock Settings", "stock_uom") or "Nos"
		if not self.item_group:
			self.item_group = frappe.db.get_single_value("Stock Settings", "item_group") or None
		if cint(self.opening_stock) and not self.is_stock_item:
			frappe.throw(_("Opening Stock can only be set for a stock item"))
		if flt(self.opening_stock) and not flt(self.valuation_rate) and self.is_new():
			frappe.throw(_("Valuation Rate is mandatory if Opening Stock entered"))
		self.set_stock_uom_conversion()
		self.customer_code = ",".join(row.ref_code for row in self.get("customer_items") or [] if row.ref_code)
		companies = [row.company for row in self.get("item_defaults") or []]
		if len(companies) != len(set(companies)):
			frappe.throw(_("Cannot set multiple Item Defaults for a company."))
		if not self.is_new():
			self.validate_stock_flag_change()

	def set_stock_uom_conversion(self):
		"""The UOM table always holds the stock UOM at factor 1, and each UOM once."""
		seen = set()
		for row in self.get("uoms") or []:
			if row.uom in seen:
				frappe.throw(_("Unit of Measure {0} has been entered more than once in Conversion Factor Table").format(row.uom))
			seen.add(row.uom)
			if row.uom == self.stock_uom:
				row.conversion_factor = 1.0
		if self.stock_uom and self.stock_uom not in seen:
			row = self.append("uoms", {"uom": self.stock_uom, "conversion_factor": 1.0})
			if not row.name:
				# rows added during validate are named here (Frappe names them on insert as well)
				from frappe.model.naming import set_new_name

				set_new_name(row)

	def validate_stock_flag_change(self):
		"""An item with stock movements cannot stop being a stock item."""
		before = frappe.db.get_value("Item", self.name, "is_stock_item")
		if cint(before) and not cint(self.is_stock_item):
			if frappe.db.exists("Bin", {"item_code": self.name, "actual_qty": ("!=", 0)}):
				frappe.throw(_("As there are existing transactions against item {0}, you can not change the value of {1}").format(
					self.name, frappe.bold(_("Maintain Stock"))))

	def after_insert(self):
		"""Create the standard selling price and the opening stock entry when they were given."""
		if flt(self.standard_rate):
			price_lists = {row.default_price_list for row in self.get("item_defaults") or []} or {None}
			for price_list in price_lists:
				self.add_price(price_list)
		if flt(self.opening_stock) and cint(self.is_stock_item):
			self.set_opening_stock()

	def add_price(self, price_list=None):
		"""Add an Item Price for `standard_rate` in the default selling price list."""
		price_list = (
			price_list
			or frappe.db.get_single_value("Selling Settings", "selling_price_list")
			or frappe.db.get_value("Price List", _("Standard Selling"))
		)
		if not price_list:
			return
		item_price = frappe.get_doc({
			"doctype": "Item Price",
			"price_list": price_list,
			"item_code": self.name,
			"uom": self.stock_uom,
			"brand": self.brand,
			"price_list_rate": self.standard_rate,
		})
		item_price.insert(ignore_permissions=True)

	def set_opening_stock(self):
		"""Receive `opening_stock` into the default warehouse at `valuation_rate`."""
		warehouse = next(
			(row.default_warehouse for row in self.get("item_defaults") or [] if row.default_warehouse), None
		) or frappe.db.get_single_value("Stock Settings", "default_warehouse")
		if not warehouse:
			return
		company = frappe.db.get_value("Warehouse", warehouse, "company")
		entry = frappe.get_doc({
			"doctype": "Stock Entry",
			"stock_entry_type": "Material Receipt",
			"purpose": "Material Receipt",
			"company": company,
			"posting_date": nowdate(),
			"posting_time": nowtime(),
			"items": [{
				"item_code": self.name,
				"t_warehouse": warehouse,
				"qty": self.opening_stock,
				"basic_rate": self.valuation_rate,
			}],
		})
		entry.insert(ignore_permissions=True)
		entry.submit()

	def on_trash(self):
		"""Remove the item's prices and empty bins; refuse while stock remains."""
		if frappe.db.exists("Bin", {"item_code": self.name, "actual_qty": ("!=", 0)}):
			frappe.throw(_("Cannot delete Item {0} as stock exists for it").format(self.name))
		frappe.db.delete("Item Price", {"item_code": self.name})
		frappe.db.delete("Bin", {"item_code": self.name})


def validate_end_of_life(item_code, end_of_life=None, disabled=None):
	"""Refuse an item past its end of life or disabled."""
	if end_of_life is None and disabled is None:
		end_of_life, disabled = frappe.db.get_value("Item", item_code, ["end_of_life", "disabled"])
	if end_of_life and str(end_of_life) != "0000-00-00" and getdate(end_of_life) <= getdate(nowdate()):
		frappe.throw(_("Item {0} has reached its end of life on {1}").format(item_code, _format_date(end_of_life)))
	if cint(disabled):
		frappe.throw(_("Item {0} is disabled").format(item_code))


def _format_date(value):
	try:
		from frappe.utils import formatdate

		return formatdate(value)
	except Exception:
		return str(value)


def get_conversion_factor(item_code, uom):
	"""Factor from `uom` to the item's stock UOM (1.0 when the item lists none)."""
	stock_uom = frappe.db.get_value("Item", item_code, "stock_uom")
	if not uom or uom == stock_uom:
		return {"conversion_factor": 1.0}
	factor = frappe.db.get_value(
		"UOM Conversion Detail", {"parent": item_code, "parenttype": "Item", "uom": uom}, "conversion_factor"
	)
	return {"conversion_factor": flt(factor) or 1.0}
