"""Tree (nested set) helpers of the subset's tree doctypes, on Frappe's frappe.utils.nestedset."""

from frappe.utils.nestedset import (  # noqa: F401
	NestedSet,
	get_ancestors_of,
	get_descendants_of,
	get_root_of,
	rebuild_tree,
)

# the subset's tree controllers (Territory, Customer Group, Item Group, Sales Person, Warehouse)
TreeDocument = NestedSet
