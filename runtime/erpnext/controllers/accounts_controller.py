"""Checks shared by ERPNext transactions (ERPNext keeps them on its AccountsController)."""

import frappe
from frappe import _
from frappe.utils import flt


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
