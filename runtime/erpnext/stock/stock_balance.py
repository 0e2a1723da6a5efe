"""Recompute the quantities a Bin aggregates (reserved, projected)."""

import frappe
from frappe.utils import flt

QTY_FIELDS = (
	"actual_qty", "ordered_qty", "indented_qty", "planned_qty", "reserved_qty",
	"reserved_qty_for_production", "reserved_qty_for_sub_contract", "reserved_qty_for_production_plan",
)


def get_reserved_qty(item_code, warehouse):
	"""Stock qty still to deliver on submitted Sales Orders that are not on hold or closed.

	Each line counts (qty - delivered_qty) in stock units (a conversion factor of 0 counts as 1);
	over-delivered lines count zero.
	"""
	return get_reserved_qty_of_pairs([(item_code, warehouse)])[(item_code, warehouse)]


def get_reserved_qty_of_pairs(pairs):
	"""get_reserved_qty of several (item_code, warehouse) pairs, in one query: {pair: qty}."""
	pairs = {tuple(pair) for pair in pairs}
	totals = dict.fromkeys(pairs, 0.0)
	if not pairs:
		return totals
	item_codes = sorted({item_code for item_code, _warehouse in pairs})
	warehouses = sorted({warehouse for _item_code, warehouse in pairs})
	# summed by the database: a pair's lines of every submitted order would otherwise all be fetched
	rows = frappe.db.sql(
		f"""
		select soi.item_code, soi.warehouse,
			sum(case when coalesce(soi.qty, 0) > coalesce(soi.delivered_qty, 0)
				then (coalesce(soi.qty, 0) - coalesce(soi.delivered_qty, 0))
					* (case when coalesce(soi.conversion_factor, 0) = 0 then 1 else soi.conversion_factor end)
				else 0 end) as pending
		from `tabSales Order Item` soi
		join `tabSales Order` so on so.name = soi.parent
		where soi.item_code in ({", ".join(["%s"] * len(item_codes))})
			and soi.warehouse in ({", ".join(["%s"] * len(warehouses))})
			and so.docstatus = 1 and so.status not in ('On Hold', 'Closed')
			and coalesce(soi.delivered_by_supplier, 0) = 0
		group by soi.item_code, soi.warehouse
		""",
		[*item_codes, *warehouses],
		as_dict=True,
	)
	for row in rows:
		pair = (row.item_code, row.warehouse)
		if pair in totals:  # (not an item of one pair in the warehouse of another)
			totals[pair] = flt(row.pending)
	return totals


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


def update_reserved_qty_of_pairs(pairs):
	"""update_reserved_qty of several (item_code, warehouse) pairs: one query for the reserved
	quantities, one for the Bins, then one update per Bin, in the order given (callers sort, so two
	orders update shared Bins in the same order)."""
	pairs = list(dict.fromkeys(tuple(pair) for pair in pairs))
	if not pairs:
		return []
	reserved = get_reserved_qty_of_pairs(pairs)
	bins = {}
	for row in frappe.get_all(
		"Bin",
		filters={"item_code": ["in", sorted({p[0] for p in pairs})], "warehouse": ["in", sorted({p[1] for p in pairs})]},
		fields=["name", "item_code", "warehouse", *QTY_FIELDS],
	):
		bins.setdefault((row.item_code, row.warehouse), row)
	names, writes = [], {}
	for item_code, warehouse in pairs:
		current = bins.get((item_code, warehouse))
		if current is None:
			# no Bin yet: made (and read) as one Bin at a time does
			names.append(update_bin_qty(item_code, warehouse, {"reserved_qty": reserved[(item_code, warehouse)]}))
			continue
		changes = {"reserved_qty": reserved[(item_code, warehouse)]}
		changes["projected_qty"] = compute_projected_qty({**current, **changes})
		writes[current.name] = changes
		names.append(current.name)
	_write_bins(writes)
	return names


def _write_bins(changes_by_bin):
	"""frappe.db.set_value of each Bin's changes (the same columns for all), in one UPDATE."""
	if len(changes_by_bin) < 2:
		for name, changes in changes_by_bin.items():
			frappe.db.set_value("Bin", name, changes)
		return
	from frappe.utils import now_datetime

	names = list(changes_by_bin)
	columns = list(next(iter(changes_by_bin.values())))
	assignments, values = [], []
	for column in columns:
		assignments.append(f"`{column}` = case `name` {' '.join(['when %s then %s'] * len(names))} end")
		for name in names:
			values += [name, flt(changes_by_bin[name][column])]
	assignments += ["`modified` = %s", "`modified_by` = %s"]
	values += [now_datetime(), frappe.session.user]
	frappe.db.sql(
		f"update `tabBin` set {', '.join(assignments)} where `name` in ({', '.join(['%s'] * len(names))})",
		values + names,
	)
	for name in names:
		frappe.clear_document_cache("Bin", name)
