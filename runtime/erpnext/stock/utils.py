"""Stock helpers with ERPNext's names: bins, warehouse checks."""

import frappe
from frappe import _


class InvalidWarehouseCompany(frappe.ValidationError):
	pass


def get_or_make_bin(item_code, warehouse):
	"""Return the name of the Bin for (item_code, warehouse), creating it when missing."""
	name = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, "name")
	if name:
		return name
	bin_doc = frappe.get_doc({
		"doctype": "Bin",
		"item_code": item_code,
		"warehouse": warehouse,
		"stock_uom": frappe.db.get_value("Item", item_code, "stock_uom"),
	})
	bin_doc.flags.ignore_permissions = True
	# a savepoint keeps the transaction usable (PostgreSQL) if a concurrent request wins the race
	frappe.db.savepoint("make_bin")
	try:
		bin_doc.insert(ignore_permissions=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		frappe.db.rollback(save_point="make_bin")
		return frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse}, "name")
	return bin_doc.name


def get_bin(item_code, warehouse):
	"""Return the Bin document for (item_code, warehouse), creating it when missing."""
	return frappe.get_doc("Bin", get_or_make_bin(item_code, warehouse))


def is_group_warehouse(warehouse, is_group=None):
	"""Refuse a group warehouse in a transaction (``is_group``: the flag, when the caller read it)."""
	if is_group is None:
		is_group = frappe.db.get_value("Warehouse", warehouse, "is_group")
	if is_group:
		frappe.throw(_("Group node warehouse is not allowed to select for transactions"))


def validate_disabled_warehouse(warehouse, disabled=None):
	"""Refuse a disabled warehouse in a transaction."""
	if disabled is None:
		disabled = frappe.db.get_value("Warehouse", warehouse, "disabled")
	if disabled:
		frappe.throw(_("Disabled Warehouse {0} cannot be used for this transaction.").format(_link("Warehouse", warehouse)))


def validate_warehouse_company(warehouse, company, warehouse_company=None):
	"""Refuse a warehouse that belongs to another company."""
	if warehouse_company is None:
		warehouse_company = frappe.db.get_value("Warehouse", warehouse, "company")
	if warehouse_company and company and warehouse_company != company:
		frappe.throw(
			_("Warehouse {0} does not belong to company {1}").format(warehouse, company),
			InvalidWarehouseCompany,
		)


def validate_transaction_warehouses(warehouses, company):
	"""The three checks above for each of a transaction's warehouses, with one read for all of them.

	A name that is no warehouse passes here, as it does above (the link check reports it)."""
	names = sorted({name for name in warehouses if name})
	if not names:
		return
	found = {
		row.name: row
		for row in frappe.get_all(
			"Warehouse", filters={"name": ["in", names]}, fields=["name", "is_group", "disabled", "company"]
		)
	}
	for name in names:
		row = found.get(name)
		if row is None:
			continue
		is_group_warehouse(name, is_group=row.is_group)
		validate_disabled_warehouse(name, disabled=row.disabled)
		validate_warehouse_company(name, company, warehouse_company=row.company or "")


def _link(doctype, name):
	try:
		from frappe.utils import get_link_to_form

		return get_link_to_form(doctype, name)
	except Exception:
		return frappe.bold(name) if hasattr(frappe, "bold") else name
