"""Recompute the quantities a Bin aggregates (reserved, projected)."""

import frappe
from frappe.utils import flt

QTY_FIELDS = (
	"actual_qty", "ordered_qty", "indented_qty", "planned_qty", "reserved_qty",
	"reserved_qty_for_production", "reserved_qty_for_sub_contract", "reserved_qty_for_production_plan",
)


def get_reserved_qty(item_code, warehouse):
	"""Stock qty still to deliver on submitted Sales Orders that are not on hold or closed.

	Each line counts (qty - delivered_qty) in stock units; over-delivered lines count zero.
	"""
	rows = frappe.db.sql(
		"""
		select soi.qty, soi.delivered_qty, soi.conversion_factor
		from `tabSales Order Item` soi
		join `tabSales Order` so on so.name = soi.parent
		where soi.item_code = %s and soi.warehouse = %s
			and so.docstatus = 1 and so.status not in ('On Hold', 'Closed')
			and coalesce(soi.delivered_by_supplier, 0) = 0
		""",
		(item_code, warehouse),
		as_dict=True,
	)
	total = 0.0
	for row in rows:
		pending = flt(row.qty) - flt(row.delivered_qty)
		if pending > 0:
			total += pending * (flt(row.conversion_factor) or 1.0)
	return total


def compute_projected_qty(values):
	"""projected = actual + ordered + indented + planned - every kind of reservation."""
	return (
		flt(values.get("actual_qty")) + flt(values.get("ordered_qty")) + flt(values.get("indented_qty"))
		+ flt(values.get("planned_qty")) - flt(values.get("reserved_qty"))
		- flt(values.get("reserved_qty_for_production")) - flt(values.get("reserved_qty_for_sub_contract"))
		- flt(values.get("reserved_qty_for_production_plan"))
	)


def update_bin_qty(item_code, warehouse, qty_dict=None):
	"""Write the given quantities to the Bin of (item_code, warehouse) and refresh projected_qty."""
	from erpnext.stock.utils import get_or_make_bin

	bin_name = get_or_make_bin(item_code, warehouse)
	current = frappe.db.get_value("Bin", bin_name, list(QTY_FIELDS), as_dict=True) or {}
	current = dict(current)
	current.update(qty_dict or {})
	changes = dict(qty_dict or {})
	changes["projected_qty"] = compute_projected_qty(current)
	frappe.db.set_value("Bin", bin_name, changes)
	return bin_name


def update_reserved_qty(item_code, warehouse):
	"""Recompute reserved_qty (and projected_qty) of one Bin from the submitted Sales Orders."""
	return update_bin_qty(item_code, warehouse, {"reserved_qty": get_reserved_qty(item_code, warehouse)})
