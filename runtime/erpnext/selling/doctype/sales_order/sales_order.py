"""Sales Order: a customer's confirmed order.

The lifecycle follows ERPNext v15: `validate` fills everything a minimal payload leaves out
(customer details, currency, price list, item details, prices, warehouses, addresses) before
Frappe's mandatory check, computes the totals, and derives `status` from the status map.
Submitting reserves stock on the Bins of stock items; cancelling releases it.
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, cstr, flt, getdate, nowdate
from frappe.utils.caller_input import CallerInputError

from erpnext import get_company_currency, get_default_company
from erpnext.accounts.party import (
	get_default_price_list,
	get_party_shipping_address,
	validate_party_frozen_disabled,
)
from erpnext.controllers.accounts_controller import (
	round_item_floats,
	validate_grand_total_not_negative,
	validate_qty_is_not_zero,
)
from erpnext.stock.doctype.item.item import validate_end_of_life
from erpnext.stock.get_item_details import get_default_cost_center, get_price_list_rate_for
from erpnext.stock.stock_balance import update_reserved_qty_of_pairs
from erpnext.stock.utils import validate_transaction_warehouses


class WarehouseRequired(frappe.ValidationError):
	pass


class UOMMustBeIntegerError(frappe.ValidationError):
	pass


class _OrderTotalsTypeError(CallerInputError, TypeError):
	"""ERPNext's TypeError when an order without items reaches its payment schedule (a 500 on a real
	site), answered 400 here. Still a TypeError to Python callers; a client sees Frappe's exc_type
	"TypeError" and message, as with frappe.utils.caller_input.bad_request."""

	http_status_code = 400


# reported under the builtin's name, so the body reads "TypeError: ..." exactly as Frappe's does
_OrderTotalsTypeError.__name__ = _OrderTotalsTypeError.__qualname__ = "TypeError"
_OrderTotalsTypeError.__module__ = "builtins"


# ERPNext's status map for Sales Order, most specific first: the first condition that holds wins,
# and "Draft" is the fallback.
STATUS_RULES = (
	("On Hold", lambda d: d.status == "On Hold"),
	("Closed", lambda d: d.status == "Closed" and d.docstatus != 2),
	("Cancelled", lambda d: d.docstatus == 2),
	("Completed", lambda d: (_pct(d.per_delivered) >= 100 or cint(d.skip_delivery_note))
		and _pct(d.per_billed) >= 100 and d.docstatus == 1),
	("To Deliver", lambda d: _pct(d.per_delivered) < 100 and _pct(d.per_billed) >= 100 and d.docstatus == 1
		and not cint(d.skip_delivery_note)),
	("To Bill", lambda d: (_pct(d.per_delivered) >= 100 or cint(d.skip_delivery_note))
		and _pct(d.per_billed) < 100 and d.docstatus == 1),
	("To Deliver and Bill", lambda d: _pct(d.per_delivered) < 100 and _pct(d.per_billed) < 100 and d.docstatus == 1),
)

CURRENCY_PRECISION = 2


def _pct(value):
	return flt(value)


class SalesOrder(Document):
	# ------------------------------------------------------------------ validate
	def validate(self):
		"""Fill, check and total the order, then derive its status."""
		# the company's currency is read once per validation, not by every step that needs it
		self.flags.company_currency = None
		self.set_missing_values()
		validate_qty_is_not_zero(
			self, allow_zero=cint(frappe.db.get_single_value("Selling Settings", "allow_zero_qty_in_sales_order"))
		)
		self.calculate_taxes_and_totals()
		validate_grand_total_not_negative(self)
		# ERPNext's validate_all_documents_schedule: after the totals, also for an order without rows
		self.set_payment_schedule()
		self.validate_delivery_date()
		self.validate_uom_is_integer()
		self.validate_for_items()
		self.validate_warehouse()
		self.set_status()
		if not self.billing_status:
			self.billing_status = "Not Billed"
		if not self.delivery_status:
			self.delivery_status = "Not Delivered"
		self.reset_default_field_value("set_warehouse", "items", "warehouse")

	def set_missing_values(self):
		"""Fill what a minimal payload leaves out, only where the client gave nothing."""
		if not self.company:
			self.company = get_default_company()
		if not self.transaction_date:
			self.transaction_date = nowdate()
		if not self.order_type:
			self.order_type = "Sales"
		if self.tax_category is None:
			# ERPNext's party details always carry a (blank) tax category
			self.tax_category = ""
		if self.customer:
			self.set_customer_details()
		company_currency = self._company_currency()
		if not self.currency:
			self.currency = company_currency
		if not self.selling_price_list:
			self.selling_price_list = frappe.db.get_single_value("Selling Settings", "selling_price_list") or None
		if self.selling_price_list and not self.price_list_currency:
			self.price_list_currency = frappe.db.get_value("Price List", self.selling_price_list, "currency")
		# as ERPNext's set_price_list_currency: the company's own currency always converts at 1, so a
		# caller's rate (2, "NaN") cannot scale list prices or base amounts
		if self.currency and self.currency == company_currency:
			self.conversion_rate = 1.0
		if self.price_list_currency and self.price_list_currency == company_currency:
			self.plc_conversion_rate = 1.0
		elif not flt(self.plc_conversion_rate) and self.price_list_currency:
			if self.price_list_currency == self.currency and flt(self.conversion_rate):
				self.plc_conversion_rate = flt(self.conversion_rate)
		self.set_missing_item_details()

	def set_customer_details(self):
		"""Customer name/group/territory, currency, price list, addresses and contact."""
		check_permission = not self.flags.ignore_permissions and frappe.session.user != "Administrator"
		# the permission check reads the whole Customer: then the details come from that same document
		customer = frappe.get_doc("Customer", self.customer) if check_permission else _customer_details(self.customer)
		if check_permission:
			# ERPNext reads party details only for a customer the user may read (or select)
			only_select = getattr(frappe, "only_has_select_perm", None)
			ptype = "select" if only_select and only_select("Customer") else "read"
			frappe.has_permission("Customer", ptype, customer, throw=True)
		validate_party_frozen_disabled("Customer", self.customer, disabled=customer.disabled)
		self.customer_name = customer.customer_name
		for field in ("customer_group", "territory", "tax_id", "represents_company"):
			if not self.get(field):
				self.set(field, customer.get(field))
		self.is_internal_customer = cint(customer.is_internal_customer)
		if not self.language:
			self.language = customer.language or getattr(frappe.local, "lang", None) or "en"
		if not self.currency and customer.default_currency:
			self.currency = customer.default_currency
		if not self.selling_price_list:
			self.selling_price_list = get_default_price_list(customer) or None

		from erpnext.contacts.doctype.address.address import get_default_address, render_address
		from erpnext.contacts.doctype.contact.contact import contact_details, get_default_contact

		if not self.customer_address:
			self.customer_address = get_default_address("Customer", self.customer)
		if self.customer_address and not self.address_display:
			self.address_display = render_address(self.customer_address)
		if not self.shipping_address_name:
			self.shipping_address_name = get_party_shipping_address("Customer", self.customer)
		if self.shipping_address_name and not self.shipping_address:
			self.shipping_address = render_address(self.shipping_address_name)
		if not self.contact_person:
			self.contact_person = get_default_contact("Customer", self.customer)
		if self.contact_person and not self.contact_display:
			details = contact_details(self.contact_person)
			for field in ("contact_display", "contact_email", "contact_mobile", "contact_phone"):
				if not self.get(field):
					self.set(field, details.get(field))
		if not self.get("sales_team"):
			team = customer.get("sales_team") if isinstance(customer, Document) else _customer_sales_team(self.customer)
			for member in team or []:
				self.append("sales_team", {
					"sales_person": member.sales_person,
					"allocated_percentage": member.allocated_percentage,
					"commission_rate": member.commission_rate,
				})

	def set_missing_item_details(self):
		"""Item name/UOM/group, stock flags, warehouse, price list rate and stock levels per row."""
		default_warehouse = None
		# one read of the fields below for all lines; an item's child rows only when a line needs them
		items = _OrderItems(row.item_code for row in self.get("items"))
		stocked_rows = []
		# the items' stock flag as read now; the submit's stock reservation uses it (same save)
		stock_flags = self.flags.item_stock_flags = {}
		for row in self.get("items"):
			if not row.item_code:
				continue
			item = items.get(row.item_code)
			validate_end_of_life(item.name, item.end_of_life, item.disabled)
			row.item_name = row.item_name or item.item_name
			row.description = row.description or item.description
			row.item_group = item.item_group
			row.brand = item.brand
			row.image = item.image or ""
			row.is_stock_item = cint(item.is_stock_item)
			stock_flags[item.name] = row.is_stock_item
			row.grant_commission = cint(item.grant_commission)
			row.stock_uom = item.stock_uom
			row.uom = row.uom or item.sales_uom or item.stock_uom
			if row.uom == row.stock_uom:
				row.conversion_factor = 1.0
			elif not flt(row.conversion_factor):
				row.conversion_factor = _uom_factor(item, row.uom)
			row.stock_qty = flt(row.qty) * flt(row.conversion_factor)
			if not flt(row.weight_per_unit):
				row.weight_per_unit = flt(item.weight_per_unit)
				row.weight_uom = row.weight_uom or item.weight_uom
			row.total_weight = flt(row.weight_per_unit) * flt(row.stock_qty)
			if not row.delivery_date and self.delivery_date:
				row.delivery_date = self.delivery_date
			row.transaction_date = self.transaction_date
			if row.margin_type is None:
				row.margin_type = ""
			if not row.item_tax_rate:
				row.item_tax_rate = "{}"  # no item tax templates in this subset
			if not cint(self.reserve_stock):
				# rows only reserve stock when the order does
				row.reserve_stock = 0
			if not row.warehouse:
				if default_warehouse is None:
					default_warehouse = self._default_warehouse()
				row.warehouse = self.set_warehouse or _item_default_warehouse(item, self.company) or default_warehouse or None
			if not flt(row.price_list_rate) and self.selling_price_list:
				rate = get_price_list_rate_for(
					{
						"price_list": self.selling_price_list,
						"customer": self.customer,
						"uom": row.uom,
						"stock_uom": row.stock_uom,
						"conversion_factor": row.conversion_factor,
						"transaction_date": self.transaction_date,
						"qty": row.qty,
					},
					row.item_code,
				)
				if rate is not None and flt(self.conversion_rate):
					row.price_list_rate = flt(
						flt(rate) * flt(self.plc_conversion_rate or 1) / flt(self.conversion_rate), CURRENCY_PRECISION
					)
			if not row.cost_center:
				row.cost_center = get_default_cost_center(
					{"customer": self.customer, "company": self.company, "cost_center": self.cost_center}, item=item
				)
			stocked_rows.append((row, item))
		self.set_stock_levels(stocked_rows)

	def _default_warehouse(self):
		"""Stock Settings' default warehouse, when it belongs to this order's company."""
		warehouse = frappe.db.get_single_value("Stock Settings", "default_warehouse")
		if warehouse and frappe.db.get_value("Warehouse", warehouse, "company") == self.company:
			return warehouse
		return ""

	def set_stock_levels(self, rows_and_items):
		"""Show each warehouse's actual/projected qty and the valuation rate on its rows (one Bin read)."""
		rows_and_items = [(row, item) for row, item in rows_and_items if row.warehouse]
		if not rows_and_items:
			return
		bins = {}
		for bin_row in frappe.get_all(
			"Bin",
			filters={
				"item_code": ["in", sorted({row.item_code for row, _item in rows_and_items})],
				"warehouse": ["in", sorted({row.warehouse for row, _item in rows_and_items})],
			},
			fields=["item_code", "warehouse", "actual_qty", "projected_qty", "ordered_qty", "planned_qty", "valuation_rate"],
		):
			bins.setdefault((bin_row.item_code, bin_row.warehouse), bin_row)
		for row, item in rows_and_items:
			bin_values = bins.get((row.item_code, row.warehouse)) or frappe._dict()
			row.actual_qty = flt(bin_values.get("actual_qty"))
			row.projected_qty = flt(bin_values.get("projected_qty"))
			row.ordered_qty = flt(bin_values.get("ordered_qty"))
			row.planned_qty = flt(bin_values.get("planned_qty"))
			row.valuation_rate = flt(bin_values.get("valuation_rate")) or flt(item.valuation_rate)

	def _company_currency(self):
		"""The company's currency, read once per validation (``validate`` forgets it first)."""
		if not self.company:
			return None
		cached = self.flags.company_currency
		if not cached or cached[0] != self.company:
			cached = self.flags.company_currency = (self.company, get_company_currency(self.company))
		return cached[1]

	# ------------------------------------------------------------------ totals
	def calculate_taxes_and_totals(self):
		"""Row amounts, header totals, discount, rounding and amounts in words (no tax rows here)."""
		items = self.get("items") or []
		if not items:
			# as ERPNext: nothing to total, so the totals stay as they are (None on a new order)
			return
		company_currency = self._company_currency()
		if not self.currency or self.currency == company_currency:
			# as ERPNext: an order in the company's own currency converts at exactly 1, whatever
			# rate the caller sent (a rate of 2 or "NaN" would otherwise scale the base totals)
			self.currency = self.currency or company_currency
			self.conversion_rate = 1.0
		conversion_rate = flt(self.conversion_rate) or 0.0

		# rounded before anything reads them, so NaN/infinity from the caller become 0 here
		round_item_floats(self, items)
		for row in items:
			self.calculate_item_values(row, conversion_rate)

		self.total_qty = sum(flt(row.qty) for row in items)
		self.total = flt(sum(flt(row.amount) for row in items), CURRENCY_PRECISION)
		self.base_total = flt(self.total * conversion_rate, CURRENCY_PRECISION)
		self.total_net_weight = sum(flt(row.total_weight) for row in items)
		self.apply_discount(items, conversion_rate)
		self.net_total = flt(sum(flt(row.net_amount) for row in items), CURRENCY_PRECISION)
		self.base_net_total = flt(sum(flt(row.base_net_amount) for row in items), CURRENCY_PRECISION)

		self.calculate_taxes(conversion_rate)
		self.set_rounded_total()
		self.set_in_words()
		self.set_gross_profit(items)
		self.calculate_commission(items)
		self.has_unit_price_items = 0

	def calculate_taxes(self, conversion_rate):
		"""Tax rows on top of the net total; the grand total is the last row's running total."""
		taxes = self.get("taxes") or []
		running = flt(self.net_total)
		for tax in taxes:
			if cint(tax.included_in_print_rate):
				frappe.throw(_("Row {0}: taxes included in the basic rate are not supported by this runtime").format(tax.idx))
			rate = flt(tax.rate)
			if tax.charge_type == "Actual":
				amount = flt(tax.tax_amount)
			elif tax.charge_type == "On Net Total":
				amount = flt(self.net_total) * rate / 100.0
			elif tax.charge_type == "On Item Quantity":
				amount = flt(self.total_qty) * rate
			elif tax.charge_type in ("On Previous Row Amount", "On Previous Row Total"):
				row_id = cint(tax.row_id)
				if not row_id or row_id >= cint(tax.idx):
					frappe.throw(_("Cannot refer row number greater than or equal to current row number for this Charge type"))
				previous = taxes[row_id - 1]
				base = previous.tax_amount if tax.charge_type == "On Previous Row Amount" else previous.total
				amount = flt(base) * rate / 100.0
			else:
				frappe.throw(_("Row {0}: please select a valid Charge Type").format(tax.idx))
			tax.tax_amount = flt(amount, CURRENCY_PRECISION)
			tax.tax_amount_after_discount_amount = tax.tax_amount
			running = flt(running + tax.tax_amount, CURRENCY_PRECISION)
			tax.total = running
			tax.base_tax_amount = flt(tax.tax_amount * conversion_rate, CURRENCY_PRECISION)
			tax.base_tax_amount_after_discount_amount = tax.base_tax_amount
			tax.base_total = flt(tax.total * conversion_rate, CURRENCY_PRECISION)
			tax.account_currency = tax.account_currency or self.currency
		self.grand_total = flt(taxes[-1].total if taxes else self.net_total, CURRENCY_PRECISION)
		self.base_grand_total = flt(
			self.grand_total * conversion_rate if taxes else self.base_net_total, CURRENCY_PRECISION
		)
		self.total_taxes_and_charges = flt(self.grand_total - flt(self.net_total), CURRENCY_PRECISION)
		self.base_total_taxes_and_charges = flt(self.base_grand_total - flt(self.base_net_total), CURRENCY_PRECISION)

	def set_payment_schedule(self):
		"""One row due on the order date for the whole amount, unless the client split it.

		As in ERPNext, the amounts are the rounded total (or the grand total) times each row's
		portion. An order whose totals were never computed (no items, or no body at all) fails here
		with Python's TypeError on None: a real site answers that as a 500 (recorded:
		resource.json so_create_no_items). Being the caller's input, it is answered 400 here with
		the same exc_type and message (issue 12's rule; listed in runtime/README.md).
		"""
		grand_total = self.get("rounded_total") or self.grand_total
		base_grand_total = self.get("base_rounded_total") or self.base_grand_total
		rows = self.get("payment_schedule") or []
		if not rows:
			row = self.append("payment_schedule", {
				"due_date": self.transaction_date, "invoice_portion": 100.0,
				"payment_amount": grand_total, "base_payment_amount": base_grand_total,
			})
			if not row.name:
				# rows added during validate are named here (Frappe names them on insert as well)
				from frappe.model.naming import set_new_name

				set_new_name(row)
			rows = self.payment_schedule
		for row in rows:
			if flt(row.invoice_portion):
				try:
					row.payment_amount = flt(grand_total * flt(row.invoice_portion / 100.0), CURRENCY_PRECISION)
					row.base_payment_amount = flt(base_grand_total * flt(row.invoice_portion / 100.0), CURRENCY_PRECISION)
				except TypeError as e:
					raise _OrderTotalsTypeError(str(e)) from None
		if self.get("payment_terms_template") or len(rows) > 1:
			if abs(sum(flt(row.payment_amount) for row in rows) - flt(grand_total)) > 0.01:
				frappe.throw(_("Total Payment Amount in Payment Schedule must be equal to Grand / Rounded Total"))
		for row in rows:
			if not row.due_date:
				row.due_date = self.transaction_date
			if getdate(row.due_date) < getdate(self.transaction_date):
				frappe.throw(_("Row {0}: Due Date in the Payment Terms table cannot be before Posting Date").format(row.idx))
			row.payment_amount = flt(row.payment_amount, CURRENCY_PRECISION)
			row.base_payment_amount = flt(row.base_payment_amount, CURRENCY_PRECISION)
			row.paid_amount = flt(row.paid_amount)
			row.base_paid_amount = flt(row.base_paid_amount)
			row.outstanding = flt(row.payment_amount - row.paid_amount, CURRENCY_PRECISION)
			row.base_outstanding = flt(row.base_payment_amount - row.base_paid_amount, CURRENCY_PRECISION)
			row.discounted_amount = flt(row.discounted_amount)
			row.discount = flt(row.discount)
			for field in ("credit_days", "credit_months", "discount_validity"):
				row.set(field, cint(row.get(field)))

	def calculate_item_values(self, row, conversion_rate):
		"""rate from price_list_rate (only when missing), margin/discount, amounts, base values."""
		price_list_rate = flt(row.price_list_rate)
		if flt(row.discount_percentage) == 100:
			row.rate = 0.0
		elif price_list_rate and not flt(row.rate):
			row.rate = flt(price_list_rate * (1.0 - flt(row.discount_percentage) / 100.0), CURRENCY_PRECISION)
			row.discount_amount = price_list_rate * flt(row.discount_percentage) / 100.0

		rate_with_margin = self.calculate_margin(row)
		row.rate_with_margin = rate_with_margin
		row.base_rate_with_margin = flt(rate_with_margin * conversion_rate)
		if rate_with_margin > 0:
			row.rate = flt(rate_with_margin * (1.0 - flt(row.discount_percentage) / 100.0), CURRENCY_PRECISION)
			if flt(row.discount_amount) and not flt(row.discount_percentage):
				row.rate = rate_with_margin - flt(row.discount_amount)
			else:
				row.discount_amount = rate_with_margin - flt(row.rate)
		elif price_list_rate > 0:
			row.discount_amount = price_list_rate - flt(row.rate)

		row.rate = flt(row.rate)
		row.net_rate = row.rate
		row.amount = flt(row.rate * flt(row.qty), CURRENCY_PRECISION)
		row.net_amount = row.amount
		row.stock_uom_rate = flt(row.rate / flt(row.conversion_factor)) if flt(row.conversion_factor) else row.rate
		for field in ("price_list_rate", "rate", "net_rate", "amount", "net_amount"):
			row.set("base_" + field, flt(flt(row.get(field)) * conversion_rate, CURRENCY_PRECISION))
		row.distributed_discount_amount = flt(row.distributed_discount_amount)

	@staticmethod
	def calculate_margin(row):
		"""A client rate above the list price is recorded as an "Amount" margin (and returns 0),
		a margin set on the row raises the list price; no pricing rules exist in this subset."""
		price_list_rate = flt(row.price_list_rate)
		if not price_list_rate:
			return 0.0
		if flt(row.rate) > price_list_rate:
			row.margin_type = "Amount"
			row.margin_rate_or_amount = flt(flt(row.rate) - price_list_rate, CURRENCY_PRECISION)
			return 0.0
		if row.margin_type and flt(row.margin_rate_or_amount):
			margin = flt(row.margin_rate_or_amount)
			if row.margin_type == "Percentage":
				margin = price_list_rate * margin / 100.0
			return flt(price_list_rate + margin)
		return 0.0

	def apply_discount(self, items, conversion_rate):
		"""Spread the additional discount over the rows' net amounts (on net or grand total)."""
		if flt(self.additional_discount_percentage):
			self.discount_amount = flt(self.total * flt(self.additional_discount_percentage) / 100.0, CURRENCY_PRECISION)
		discount = flt(self.discount_amount)
		self.base_discount_amount = flt(discount * conversion_rate, CURRENCY_PRECISION)
		total = sum(flt(row.amount) for row in items)
		remaining = discount
		for index, row in enumerate(items):
			share = 0.0
			if discount and total:
				if index == len(items) - 1:
					share = remaining  # the last row takes the rounding remainder
				else:
					share = flt(discount * flt(row.amount) / total, CURRENCY_PRECISION)
				remaining -= share
			row.distributed_discount_amount = share
			row.net_amount = flt(flt(row.amount) - share, CURRENCY_PRECISION)
			row.net_rate = flt(row.net_amount / flt(row.qty), CURRENCY_PRECISION) if flt(row.qty) else row.rate
			row.base_net_amount = flt(row.net_amount * conversion_rate, CURRENCY_PRECISION)
			row.base_net_rate = flt(row.net_rate * conversion_rate, CURRENCY_PRECISION)

	def set_rounded_total(self):
		"""Round to the currency's smallest fraction (a cent here) unless rounding is disabled."""
		if cint(self.disable_rounded_total):
			self.rounded_total = self.base_rounded_total = 0.0
			self.rounding_adjustment = self.base_rounding_adjustment = 0.0
			return
		self.rounded_total = flt(round(flt(self.grand_total) / 0.01) * 0.01, CURRENCY_PRECISION)
		self.rounding_adjustment = flt(self.rounded_total - flt(self.grand_total), CURRENCY_PRECISION)
		self.base_rounded_total = flt(round(flt(self.base_grand_total) / 0.01) * 0.01, CURRENCY_PRECISION)
		self.base_rounding_adjustment = flt(self.base_rounded_total - flt(self.base_grand_total), CURRENCY_PRECISION)

	def set_in_words(self):
		"""Amounts in words, e.g. "USD Twenty Four only."."""
		from erpnext.utilities.money import money_in_words

		amount = self.grand_total if cint(self.disable_rounded_total) else self.rounded_total
		base_amount = self.base_grand_total if cint(self.disable_rounded_total) else self.base_rounded_total
		self.in_words = money_in_words(amount, self.currency)
		self.base_in_words = money_in_words(base_amount, self._company_currency() if self.company else self.currency)

	def set_gross_profit(self, items):
		for row in items:
			row.gross_profit = flt(flt(row.base_net_amount) - flt(row.valuation_rate) * flt(row.stock_qty), CURRENCY_PRECISION)

	def calculate_commission(self, items):
		"""Commission base (items that grant commission) and the sales team's shares."""
		self.amount_eligible_for_commission = flt(
			sum(flt(row.base_net_amount) for row in items if cint(row.grant_commission)), CURRENCY_PRECISION
		)
		self.total_commission = flt(
			self.amount_eligible_for_commission * flt(self.commission_rate) / 100.0, CURRENCY_PRECISION
		)
		for member in self.get("sales_team") or []:
			member.allocated_amount = flt(
				self.amount_eligible_for_commission * flt(member.allocated_percentage) / 100.0, CURRENCY_PRECISION
			)
			member.incentives = flt(member.allocated_amount * flt(member.commission_rate) / 100.0, CURRENCY_PRECISION)
		if self.get("sales_team"):
			total = sum(flt(member.allocated_percentage) for member in self.sales_team)
			if total and total != 100.0:
				frappe.throw(_("Total allocated percentage for sales team should be 100"))

	# ------------------------------------------------------------------ checks
	def validate_delivery_date(self):
		"""Delivery date on header or rows; the header carries the latest row date."""
		if self.order_type == "Sales" and not cint(self.skip_delivery_note):
			row_dates = [getdate(row.delivery_date) for row in self.get("items") if row.delivery_date]
			latest = max(row_dates) if row_dates else None
			if latest and (not self.delivery_date or getdate(self.delivery_date) != latest):
				self.delivery_date = latest
			if not self.delivery_date:
				frappe.throw(_("Please enter Delivery Date"))
			for row in self.get("items"):
				if not row.delivery_date:
					row.delivery_date = self.delivery_date
				if getdate(self.transaction_date) > getdate(row.delivery_date):
					frappe.msgprint(
						_("Expected Delivery Date should be after Sales Order Date"),
						indicator="orange",
						title=_("Invalid Delivery Date"),
						raise_exception=True,
					)

	def validate_uom_is_integer(self):
		"""Quantities in a whole-number UOM cannot be fractions."""
		for uom_field, qty_field in (("stock_uom", "stock_qty"), ("uom", "qty")):
			for row in self.get("items"):
				uom = row.get(uom_field)
				qty = flt(row.get(qty_field))
				if uom and qty != int(qty) and cint(frappe.db.get_value("UOM", uom, "must_be_whole_number")):
					frappe.throw(
						_("Row {1}: Quantity ({0}) cannot be a fraction. To allow this, disable '{2}' in UOM {3}.").format(
							qty, row.idx, frappe.bold(_("Must be Whole Number")), frappe.bold(uom)
						),
						UOMMustBeIntegerError,
					)

	def validate_for_items(self):
		"""Repeated items are refused when Selling Settings does not allow them."""
		if cint(frappe.db.get_single_value("Selling Settings", "allow_multiple_items")):
			return
		seen = set()
		for row in self.get("items"):
			key = (row.item_code, row.warehouse, cstr(row.delivery_date))
			if key in seen:
				frappe.throw(_("Same item cannot be entered multiple times."))
			seen.add(key)

	def validate_warehouse(self):
		"""Warehouses must be usable by this company; stock items need one."""
		validate_transaction_warehouses({row.warehouse for row in self.get("items") if row.warehouse}, self.company)
		for row in self.get("items"):
			if cint(row.is_stock_item) and not row.warehouse and not cint(row.delivered_by_supplier):
				frappe.throw(_("Delivery warehouse required for stock item {0}").format(row.item_code), WarehouseRequired)

	def reset_default_field_value(self, default_field, child_table, child_field):
		"""Clear a "set default X" header field when the rows disagree."""
		if len({row.get(child_field) for row in self.get(child_table)}) > 1:
			self.set(default_field, None)

	# ------------------------------------------------------------------ status
	def set_status(self, update=False, status=None, update_modified=True):
		"""Derive `status` from the status map (nothing while the document is new)."""
		if self.is_new():
			if self.get("amended_from"):
				self.status = "Draft"
			return
		if status:
			self.status = status
		new_status = "Draft"
		for name, condition in STATUS_RULES:
			if condition(self):
				new_status = name
				break
		self.status = new_status
		if update:
			self.db_set("status", new_status, update_modified=update_modified)

	def update_status(self, status):
		"""Hold, close or re-open ("Draft") the order and refresh the stock reservation."""
		self.set_status(update=True, status=status)
		self.update_reserved_qty()
		if hasattr(self, "notify_update"):
			self.notify_update()

	# ------------------------------------------------------------------ submit / cancel
	def on_submit(self):
		"""Reserve the ordered stock."""
		self.update_reserved_qty()

	def before_cancel(self):
		"""A closed order must be re-opened before it can be cancelled."""
		if self.status == "Closed":
			frappe.throw(_("Closed order cannot be cancelled. Unclose to cancel."))

	def on_cancel(self):
		"""Release the reservation and mark the order Cancelled."""
		self.update_reserved_qty()
		self.db_set("status", "Cancelled")

	def update_reserved_qty(self):
		"""Recompute reserved/projected qty of every (stock item, warehouse) pair on this order."""
		candidates = {(row.item_code, row.warehouse) for row in self.get("items")
			if row.item_code and row.warehouse and not cint(row.delivered_by_supplier)}
		if not candidates:
			self.flags.pop("item_stock_flags", None)
			return
		# the item's flag as stored (not the row's copy): as this save's validate read it (used once:
		# a later hold, close or cancel reads it again), else read now
		codes = {code for code, _wh in candidates}
		known = self.flags.pop("item_stock_flags", None) or {}
		if codes <= set(known):
			stock_items = {code for code in codes if known[code]}
		else:
			stock_items = set(frappe.get_all(
				"Item", filters={"name": ["in", sorted(codes)], "is_stock_item": 1}, pluck="name"
			))
		update_reserved_qty_of_pairs(sorted(pair for pair in candidates if pair[0] in stock_items))


# Item fields the order's lines copy or check (set_missing_item_details)
ORDER_ITEM_FIELDS = (
	"name", "item_name", "description", "item_group", "brand", "image", "is_stock_item", "grant_commission",
	"stock_uom", "sales_uom", "weight_per_unit", "weight_uom", "valuation_rate", "end_of_life", "disabled",
)


class _OrderItems:
	"""The order's items as its lines read them: the fields above in one query for all lines, and an
	item's child rows (UOMs, defaults) on first use, again in one query for all the order's items.

	A whole Item is the row plus eight child tables; a line needs a handful of fields and, only when it
	has no warehouse, cost center or UOM factor yet, the item defaults or UOM table."""

	def __init__(self, item_codes):
		self.codes = sorted({code for code in item_codes if code})
		rows = frappe.get_all("Item", filters={"name": ["in", self.codes]}, fields=list(ORDER_ITEM_FIELDS)) if self.codes else []
		self.items = {row.name: _OrderItem(row, self) for row in rows}
		self.tables = {}

	def get(self, item_code):
		item = self.items.get(item_code)
		if item is None:
			# not there: Frappe's own "Item X not found" for it
			return frappe.get_doc("Item", item_code)
		return item

	def child_rows(self, item_code, fieldname):
		if fieldname not in self.tables:
			df = frappe.get_meta("Item").get_field(fieldname)
			grouped = {}
			for row in frappe.get_all(
				df.options,
				filters={"parent": ["in", self.codes], "parenttype": "Item", "parentfield": fieldname},
				fields=["*"],
				order_by="idx asc",
			):
				grouped.setdefault(row.parent, []).append(row)
			self.tables[fieldname] = grouped
		return self.tables[fieldname].get(item_code, [])


class _OrderItem(frappe._dict):
	"""One item's fields; its child tables (``item.get("uoms")``) come from the order's loader."""

	def __init__(self, values, loader):
		super().__init__(values)
		self.__dict__["_loader"] = loader

	def get(self, key, default=None):
		if key not in self and key in _item_table_fields():
			return self.__dict__["_loader"].child_rows(self.name, key)
		return super().get(key, default)


def _item_table_fields():
	return {df.fieldname for df in frappe.get_meta("Item").get_table_fields()}


CUSTOMER_DETAIL_FIELDS = (
	"name", "customer_name", "customer_group", "territory", "tax_id", "represents_company", "is_internal_customer",
	"language", "default_currency", "default_price_list", "disabled",
)


def _customer_details(customer):
	"""The Customer fields an order copies (its child tables are not needed for that)."""
	rows = frappe.get_all("Customer", filters={"name": customer}, fields=list(CUSTOMER_DETAIL_FIELDS), limit=1)
	if not rows:
		# not there: Frappe's own "Customer X not found" (404)
		return frappe.get_doc("Customer", customer)
	return rows[0]


def _customer_sales_team(customer):
	return frappe.get_all(
		"Sales Team",
		filters={"parent": customer, "parenttype": "Customer", "parentfield": "sales_team"},
		fields=["sales_person", "allocated_percentage", "commission_rate"],
		order_by="idx asc",
	)


def _uom_factor(item, uom):
	"""Conversion factor of `uom` from the item's UOM table (1.0 when it is not listed, as ERPNext)."""
	for row in item.get("uoms") or []:
		if row.uom == uom and flt(row.conversion_factor):
			return flt(row.conversion_factor)
	return 1.0


def _item_default_warehouse(item, company):
	"""The item's default warehouse for `company` (Item Default row), if any."""
	for row in item.get("item_defaults") or []:
		if row.company == company and row.default_warehouse:
			return row.default_warehouse
	return None


@frappe.whitelist()
def update_status(status, name):
	"""Hold / close / re-open a submitted Sales Order (status "On Hold", "Closed" or "Draft")."""
	so = frappe.get_doc("Sales Order", name)
	so.check_permission("write")
	so.update_status(status)


@frappe.whitelist()
def close_or_unclose_sales_orders(names, status):
	"""Close (status "Closed") or re-open (any other status) several submitted Sales Orders."""
	if isinstance(names, str):
		names = frappe.parse_json(names)
	for name in names:
		so = frappe.get_doc("Sales Order", name)
		so.check_permission("write")
		if so.docstatus == 1:
			if status == "Closed":
				if so.status not in ("Cancelled", "Closed") and (
					flt(so.per_delivered) < 100 or flt(so.per_billed) < 100
				):
					so.update_status(status)
			elif so.status == "Closed":
				so.update_status("Draft")
