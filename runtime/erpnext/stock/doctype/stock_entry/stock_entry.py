"""Stock Entry: moves stock into, out of, or between warehouses (receipt / issue / transfer)."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, cstr, flt, nowdate, nowtime

from erpnext.controllers.accounts_controller import validate_qty_is_not_zero
from erpnext.stock.stock_balance import compute_projected_qty
from erpnext.stock.stock_ledger import NegativeStockError
from erpnext.stock.utils import (
	get_or_make_bin,
	is_group_warehouse,
	validate_disabled_warehouse,
	validate_warehouse_company,
)

SOURCE_MANDATORY = ("Material Issue", "Material Transfer")
TARGET_MANDATORY = ("Material Receipt", "Material Transfer")
SUPPORTED_PURPOSES = ("Material Receipt", "Material Issue", "Material Transfer")


class StockEntry(Document):
	def validate(self):
		"""Derive the purpose, fill item details and warehouses, then value the lines."""
		self.set_purpose()
		if not self.posting_date:
			self.posting_date = nowdate()
		if not self.posting_time:
			self.posting_time = nowtime()
		validate_qty_is_not_zero(self)
		self.set_item_details()
		self.validate_warehouses()
		self.set_rates_and_totals()

	def set_purpose(self):
		"""`purpose` follows `stock_entry_type` (the standard types carry their purpose's name).

		ERPNext fetches it from the Stock Entry Type record; the standard types are named after
		their purpose, so the type decides and `purpose` alone only fills a missing type.
		"""
		if not self.stock_entry_type and self.purpose:
			self.stock_entry_type = self.purpose
		if self.stock_entry_type:
			self.purpose = self.stock_entry_type
		if self.purpose not in SUPPORTED_PURPOSES:
			frappe.throw(_("Stock Entry purpose {0} is not supported").format(frappe.bold(self.purpose or "")))

	def set_item_details(self):
		"""Copy item name/group/UOM onto each line and compute the stock-UOM quantity."""
		for row in self.items:
			item = frappe.get_doc("Item", row.item_code)
			if not cint(item.is_stock_item):
				frappe.throw(_("Item {0} is not a stock Item").format(row.item_code))
			row.item_name = row.item_name or item.item_name
			row.description = row.description or item.description
			row.item_group = item.item_group
			row.stock_uom = item.stock_uom
			row.uom = row.uom or item.stock_uom
			if row.uom == row.stock_uom:
				row.conversion_factor = 1.0
			elif not flt(row.conversion_factor):
				factors = {u.uom: flt(u.conversion_factor) for u in item.get("uoms") or []}
				row.conversion_factor = factors.get(row.uom) or 1.0
			row.transfer_qty = flt(row.qty) * flt(row.conversion_factor)

	def validate_warehouses(self):
		"""Each purpose needs its source and/or target warehouse (header defaults apply)."""
		for row in self.items:
			if self.purpose in SOURCE_MANDATORY and not row.s_warehouse:
				row.s_warehouse = self.from_warehouse
			if self.purpose in TARGET_MANDATORY and not row.t_warehouse:
				row.t_warehouse = self.to_warehouse
			if self.purpose not in SOURCE_MANDATORY:
				row.s_warehouse = None
			if self.purpose not in TARGET_MANDATORY:
				row.t_warehouse = None
			if self.purpose in SOURCE_MANDATORY and not row.s_warehouse:
				frappe.throw(_("Source warehouse is mandatory for row {0}").format(row.idx))
			if self.purpose in TARGET_MANDATORY and not row.t_warehouse:
				frappe.throw(_("Target warehouse is mandatory for row {0}").format(row.idx))
			if cstr(row.s_warehouse) == cstr(row.t_warehouse):
				frappe.throw(_("Source and target warehouse cannot be same for row {0}").format(row.idx))
			for warehouse in (row.s_warehouse, row.t_warehouse):
				if warehouse:
					is_group_warehouse(warehouse)
					validate_disabled_warehouse(warehouse)
					validate_warehouse_company(warehouse, self.company)

	def set_rates_and_totals(self):
		"""Outgoing lines are valued at the bin's valuation rate; receipts at their basic rate."""
		incoming = outgoing = 0.0
		for row in self.items:
			if row.s_warehouse and not cint(row.set_basic_rate_manually):
				rate = frappe.db.get_value("Bin", {"item_code": row.item_code, "warehouse": row.s_warehouse}, "valuation_rate")
				row.basic_rate = flt(rate) or flt(row.basic_rate)
			row.basic_amount = flt(flt(row.basic_rate) * flt(row.transfer_qty), 2)
			row.additional_cost = flt(row.additional_cost)
			row.amount = flt(row.basic_amount + row.additional_cost, 2)
			row.valuation_rate = flt(row.amount / row.transfer_qty) if flt(row.transfer_qty) else 0.0
			if row.s_warehouse:
				outgoing += row.amount
			if row.t_warehouse:
				incoming += row.amount
		self.total_incoming_value = flt(incoming, 2)
		self.total_outgoing_value = flt(outgoing, 2)
		self.value_difference = flt(incoming - outgoing, 2)
		self.total_amount = flt(sum(flt(row.amount) for row in self.items), 2)

	def on_submit(self):
		"""Add/remove the quantities on the Bins."""
		self.update_stock(1)

	def on_cancel(self):
		"""Reverse what submit did."""
		self.update_stock(-1)

	def update_stock(self, direction):
		"""Apply each line to its source (-qty) and target (+qty) Bin, refusing negative stock."""
		allow_negative = cint(frappe.db.get_single_value("Stock Settings", "allow_negative_stock"))
		for row in self.items:
			qty = flt(row.transfer_qty) * direction
			rate = flt(row.valuation_rate)
			if row.t_warehouse:
				self._move(row, row.t_warehouse, qty, rate, allow_negative)
			if row.s_warehouse:
				self._move(row, row.s_warehouse, -qty, rate, allow_negative)

	def _move(self, row, warehouse, qty, rate, allow_negative):
		bin_name = get_or_make_bin(row.item_code, warehouse)
		values = _bin_values_for_update(bin_name)
		actual_before = flt(values.get("actual_qty"))
		value_before = flt(values.get("stock_value")) or actual_before * flt(values.get("valuation_rate"))
		actual_after = actual_before + qty
		if actual_after < 0 and not allow_negative:
			frappe.throw(
				_("{0} units of {1} needed in {2} on {3} {4} for {5} to complete this transaction.").format(
					abs(actual_after), frappe.bold(row.item_code), frappe.bold(warehouse),
					self.posting_date, self.posting_time, _("Stock Entry") + " " + self.name,
				),
				NegativeStockError,
				title=_("Insufficient Stock"),
			)
		if qty > 0:
			value_after = value_before + qty * rate
		else:
			# stock leaves at the current average rate
			value_after = value_before + qty * (flt(values.get("valuation_rate")) or rate)
		valuation_rate = flt(value_after / actual_after) if actual_after > 0 else flt(values.get("valuation_rate"))
		values["actual_qty"] = actual_after
		frappe.db.set_value("Bin", bin_name, {
			"actual_qty": actual_after,
			"valuation_rate": valuation_rate,
			"stock_value": flt(actual_after * valuation_rate, 2) if actual_after > 0 else 0.0,
			"projected_qty": compute_projected_qty(values),
		})


def _bin_values_for_update(bin_name):
	"""Read a Bin's quantities, locking the row where the database API allows it."""
	fields = [
		"actual_qty", "ordered_qty", "indented_qty", "planned_qty", "reserved_qty",
		"reserved_qty_for_production", "reserved_qty_for_sub_contract", "reserved_qty_for_production_plan",
		"valuation_rate", "stock_value",
	]
	try:
		values = frappe.db.get_value("Bin", bin_name, fields, as_dict=True, for_update=True)
	except TypeError:
		values = frappe.db.get_value("Bin", bin_name, fields, as_dict=True)
	return dict(values or {})
