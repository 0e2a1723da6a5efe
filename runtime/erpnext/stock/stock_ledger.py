"""Stock movement errors (ERPNext keeps these next to its stock ledger)."""

import frappe


class NegativeStockError(frappe.ValidationError):
	pass
