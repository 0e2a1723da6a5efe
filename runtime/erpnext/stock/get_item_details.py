"""Price lookup with ERPNext's function names (no pricing rules in this subset)."""

import frappe
from frappe.utils import flt, getdate, nowdate


def get_price_list_rate_for(args, item_code):
	"""Return the Item Price rate of `item_code` for args.price_list, or None.

	args: price_list, customer (optional), uom, stock_uom, conversion_factor, transaction_date, qty.
	A customer-specific price wins over the general one; prices must be valid on the date.
	A price kept in the stock UOM is scaled by the conversion factor when a different UOM is asked.
	"""
	args = frappe._dict(args or {})
	if not args.price_list or not item_code:
		return None
	date = getdate(args.get("transaction_date") or nowdate())
	rows = frappe.get_all(
		"Item Price",
		filters={"item_code": item_code, "price_list": args.price_list},
		fields=["price_list_rate", "uom", "customer", "valid_from", "valid_upto"],
		order_by="valid_from desc, creation desc",
	)
	candidates = []
	for row in rows:
		if row.customer and row.customer != args.get("customer"):
			continue
		if row.valid_from and getdate(row.valid_from) > date:
			continue
		if row.valid_upto and getdate(row.valid_upto) < date:
			continue
		candidates.append(row)
	if not candidates:
		return None

	wanted_uom = args.get("uom") or args.get("stock_uom")

	def rank(row):
		# customer-specific first, then an exact UOM match, then the stock-UOM price
		return (0 if row.customer else 1, 0 if row.uom == wanted_uom else (1 if row.uom == args.get("stock_uom") else 2))

	best = sorted(candidates, key=rank)[0]
	rate = flt(best.price_list_rate)
	if best.uom and wanted_uom and best.uom != wanted_uom and best.uom == args.get("stock_uom"):
		rate *= flt(args.get("conversion_factor")) or 1.0
	return rate



def get_default_cost_center(args, item=None, company=None):
	"""The cost center of a transaction row, as ERPNext picks it.

	In order: the item's default for the company (selling for a customer's transaction, buying
	otherwise), the cost center already given in ``args``, then the company's default. A cost
	center of another company is not used. (Item Group and Brand defaults and Projects are not part
	of this subset.)
	"""
	args = frappe._dict(args or {})
	company = company or args.get("company")
	cost_center = None
	if item is None and args.get("item_code"):
		item = frappe.get_cached_doc("Item", args.item_code) if frappe.db.exists("Item", args.item_code) else None
	if item is not None and company:
		for row in item.get("item_defaults") or []:
			if row.company != company:
				continue
			cost_center = row.selling_cost_center if args.get("customer") else row.buying_cost_center
			break
	if not cost_center and args.get("cost_center"):
		cost_center = args.get("cost_center")
	if company and cost_center and frappe.get_cached_value("Cost Center", cost_center, "company") != company:
		return None
	if not cost_center and company:
		cost_center = frappe.get_cached_value("Company", company, "cost_center")
	return cost_center
