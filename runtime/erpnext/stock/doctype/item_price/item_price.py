"""Item Price: the rate of an item in a price list (optionally per customer and dates)."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate


class ItemPriceDuplicateItem(frappe.ValidationError):
	pass


class ItemPrice(Document):
	def validate(self):
		"""Fill item details, copy the price list's currency/flags, check dates and duplicates."""
		self.validate_item()
		self.validate_dates()
		self.update_price_list_details()
		self.update_item_details()
		self.check_duplicates()

	def validate_item(self):
		if not frappe.db.exists("Item", self.item_code):
			frappe.throw(_("Item {0} not found.").format(self.item_code))

	def validate_dates(self):
		if self.valid_from and self.valid_upto and getdate(self.valid_from) > getdate(self.valid_upto):
			frappe.throw(_("Valid From Date must be lesser than Valid Upto Date."))

	def update_price_list_details(self):
		if not self.price_list:
			return
		details = frappe.db.get_value(
			"Price List", {"name": self.price_list, "enabled": 1}, ["buying", "selling", "currency"], as_dict=True
		)
		if not details:
			frappe.throw(_("The price list {0} does not exist or is disabled").format(self.price_list))
		self.buying, self.selling, self.currency = details.buying, details.selling, details.currency

	def update_item_details(self):
		item = frappe.db.get_value("Item", self.item_code, ["item_name", "description", "stock_uom", "brand"], as_dict=True)
		self.item_name = item.item_name
		self.item_description = item.description
		self.brand = item.brand
		if not self.uom:
			self.uom = item.stock_uom

	def check_duplicates(self):
		"""Reject a second price for the same item/list/uom/party/batch/packing unit and dates."""
		fields = ("uom", "customer", "supplier", "batch_no", "valid_from", "valid_upto", "packing_unit")
		others = frappe.get_all(
			"Item Price",
			filters={"item_code": self.item_code, "price_list": self.price_list, "name": ("!=", self.name or "")},
			fields=list(fields),
		)

		def key(values):
			# compare blank and NULL alike, and dates by value
			return tuple(
				str(getdate(values.get(f))) if f.startswith("valid_") and values.get(f)
				else (int(values.get(f) or 0) if f == "packing_unit" else (values.get(f) or None))
				for f in fields
			)

		mine = key(self.as_dict())
		if any(key(other) == mine for other in others):
			frappe.throw(
				_("Item Price appears multiple times based on Price List, Supplier/Customer, Currency, Item, Batch, UOM, Qty, and Dates."),
				ItemPriceDuplicateItem,
			)
