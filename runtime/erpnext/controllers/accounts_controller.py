"""Checks shared by ERPNext transactions (ERPNext keeps them on its AccountsController)."""

import frappe
from frappe import _
from frappe.utils import cast, compare, flt

FLOAT_FIELDTYPES = ("Currency", "Float", "Percent")

# ERPNext leaves these unrounded when it rounds an item row (costs carry more decimals than prices)
ROW_FIELDS_NOT_ROUNDED = ("valuation_rate", "incoming_rate", "sales_incoming_rate")


class InvalidQtyError(frappe.ValidationError):
	pass


def validate_qty_is_not_zero(doc, allow_zero=False):
	"""Every item row needs a quantity; "abc" counts as zero, exactly like ERPNext.

	The error text and title match ERPNext's ("Invalid Quantity", InvalidQtyError, HTTP 417).
	"""
	if allow_zero:
		return
	for row in doc.get("items") or []:
		if not flt(row.get("qty")):
			frappe.throw(
				_("Row #{0}: Quantity for Item {1} cannot be zero.").format(row.idx, frappe.bold(row.item_code)),
				title=_("Invalid Quantity"),
				exc=InvalidQtyError,
			)


def validate_value(doc, fieldname, condition, value):
	"""Refuse the document unless ``doc.<fieldname> <condition> value`` holds (Frappe's
	Document.validate_value, which ERPNext's AccountsController calls).

	Both sides are read as the field's type first, so an unset Currency is 0.0 and the limit prints
	as "0.0". The message joins "Incorrect value:" (or "Incorrect value in row N:" for a child row)
	and the rule with no space between them, exactly as Frappe words it; ValidationError, HTTP 417.
	"""
	df = doc.meta.get_field(fieldname)
	fieldtype = df.fieldtype if df else None
	current = cast(fieldtype, doc.get(fieldname)) if fieldtype else doc.get(fieldname)
	limit = cast(fieldtype, value) if fieldtype else value
	if compare(current, condition, limit):
		return
	label = doc.meta.get_label(fieldname)
	prefix = _("Incorrect value in row {0}:").format(doc.idx) if doc.get("parentfield") else _("Incorrect value:")
	if condition == "in":
		rule = _("{0} must be one of {1}").format(label, limit)
	elif condition == "not in":
		rule = _("{0} must be none of {1}").format(label, limit)
	elif condition == "^":
		rule = _("{0} must be beginning with '{1}'").format(label, limit)
	elif condition == "=":
		rule = _("{0} must be equal to '{1}'").format(label, limit)
	else:
		rule = _("{0} must be {1} {2}").format(label, condition, limit)
	frappe.msgprint(prefix + rule, raise_exception=True)


def validate_grand_total_not_negative(doc):
	"""A transaction that is not a return may not total below zero in company currency.

	ERPNext runs this right after computing the totals (AccountsController.validate): a rate of -100
	on a Sales Order is refused with "Incorrect value:Grand Total (Company Currency) must be >= 0.0".
	Sales Order has no ``is_return`` field, so the rule always applies to it.
	"""
	if doc.meta.get_field("is_return") and doc.get("is_return"):
		return
	validate_value(doc, "base_grand_total", ">=", 0)


def round_item_floats(doc, rows):
	"""Round every Currency/Float/Percent field of each item row to its precision, as ERPNext's
	calculate_taxes_and_totals does (round_floats_in) before it prices a row.

	This is also where a caller's "NaN", "Infinity" or 1e309 stops: ``flt`` with a precision gives
	0 for them, so a quantity of "NaN" becomes 0 (and the order is refused as having no quantity)
	and a rate of "NaN" becomes 0 (and is then taken from the price list). Precisions are looked up
	once per field kind, not once per field and row.
	"""
	from frappe.model.meta import get_field_precision

	rows = list(rows or [])
	if not rows:
		return
	precisions: dict = {}
	fields = []
	for df in rows[0].meta.fields:
		if df.fieldtype not in FLOAT_FIELDTYPES or df.fieldname in ROW_FIELDS_NOT_ROUNDED:
			continue
		key = (df.fieldtype, df.get("precision"))
		if key not in precisions:
			precisions[key] = get_field_precision(df, doc)
		fields.append((df.fieldname, precisions[key]))
	for row in rows:
		for fieldname, precision in fields:
			row.set(fieldname, flt(row.get(fieldname), precision))
