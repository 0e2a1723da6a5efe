"""Standard masters ERPNext expects on every site, created when the app is installed."""

import frappe

# Roles named in this app's DocPerm rows. Frappe creates missing roles when it syncs a DocType;
# creating them here as well keeps a fresh site usable whatever the sync does.
ROLES = {
	"Sales User": 1, "Sales Manager": 1, "Sales Master Manager": 1,
	"Stock User": 1, "Stock Manager": 1, "Item Manager": 1,
	"Accounts User": 1, "Accounts Manager": 1,
	"Purchase User": 1, "Purchase Manager": 1, "Purchase Master Manager": 1,
	"Maintenance User": 1, "Maintenance Manager": 1,
	"Manufacturing User": 1, "Manufacturing Manager": 1, "Projects User": 1,
	"Customer": 0,
}

UOMS = [("Nos", 1), ("Unit", 1), ("Box", 1), ("Pair", 1), ("Set", 1), ("Kg", 0), ("Gram", 0),
	("Litre", 0), ("Millilitre", 0), ("Meter", 0), ("Hour", 0)]

ITEM_GROUPS = ["Products", "Raw Material", "Services", "Sub Assemblies", "Consumable"]
CUSTOMER_GROUPS = ["Commercial", "Government", "Individual", "Non Profit"]


def after_install():
	"""Create roles, UOMs, root tree nodes, standard price lists and the selling/stock settings."""
	for role, desk_access in ROLES.items():
		_insert_if_missing("Role", role, {"role_name": role, "desk_access": desk_access})

	for uom, whole in UOMS:
		_insert_if_missing("UOM", uom, {"uom_name": uom, "must_be_whole_number": whole})

	_insert_if_missing("Item Group", "All Item Groups", {"item_group_name": "All Item Groups", "is_group": 1})
	for group in ITEM_GROUPS:
		_insert_if_missing("Item Group", group,
			{"item_group_name": group, "is_group": 0, "parent_item_group": "All Item Groups"})

	_insert_if_missing("Customer Group", "All Customer Groups",
		{"customer_group_name": "All Customer Groups", "is_group": 1})
	for group in CUSTOMER_GROUPS:
		_insert_if_missing("Customer Group", group,
			{"customer_group_name": group, "is_group": 0, "parent_customer_group": "All Customer Groups"})

	_insert_if_missing("Territory", "All Territories", {"territory_name": "All Territories", "is_group": 1})
	_insert_if_missing("Sales Person", "Sales Team", {"sales_person_name": "Sales Team", "is_group": 1})

	_insert_if_missing("Price List", "Standard Selling",
		{"price_list_name": "Standard Selling", "currency": "USD", "selling": 1, "buying": 0, "enabled": 1})
	_insert_if_missing("Price List", "Standard Buying",
		{"price_list_name": "Standard Buying", "currency": "USD", "selling": 0, "buying": 1, "enabled": 1})

	selling = frappe.get_doc("Selling Settings")
	selling.update({
		"cust_master_name": selling.cust_master_name or "Customer Name",
		"selling_price_list": selling.selling_price_list or "Standard Selling",
		"so_required": selling.so_required or "No",
		"dn_required": selling.dn_required or "No",
		"sales_update_frequency": selling.sales_update_frequency or "Each Transaction",
		"maintain_same_rate_action": selling.maintain_same_rate_action or "Stop",
	})
	selling.flags.ignore_permissions = True
	selling.save()

	stock = frappe.get_doc("Stock Settings")
	stock.update({
		"item_naming_by": stock.item_naming_by or "Item Code",
		"stock_uom": stock.stock_uom or "Nos",
		"item_group": stock.item_group or "All Item Groups",
		"valuation_method": stock.valuation_method or "FIFO",
	})
	stock.flags.ignore_permissions = True
	stock.save()

	add_bin_unique_key()


def add_bin_unique_key():
	"""Make sure `tabBin` has the (item_code, warehouse) unique key, whatever the sync did."""
	from erpnext.stock.doctype.bin.bin import on_doctype_update

	try:
		on_doctype_update()
	except Exception:
		# an existing key (or a dialect that reports it differently) is fine
		pass


def _insert_if_missing(doctype, name, values):
	"""Insert a master record unless one with that name already exists."""
	if frappe.db.exists(doctype, name):
		return
	doc = frappe.get_doc(dict(values, doctype=doctype))
	doc.insert(ignore_permissions=True)
