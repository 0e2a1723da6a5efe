"""Tree (nested set) base class for the subset's tree doctypes.

Frappe's `frappe.utils.nestedset.NestedSet` is used when the framework provides it. Otherwise a
small stand-in keeps `lft`/`rgt` consistent by renumbering the whole tree after a change, which
is plenty for the short trees (groups, territories, warehouses) this app keeps.
"""

import frappe
from frappe import _
from frappe.model.document import Document

try:
	from frappe.utils.nestedset import NestedSet as _FrameworkNestedSet
except ImportError:  # the runtime core may not ship nested sets
	_FrameworkNestedSet = None


def _parent_field(doc):
	return getattr(doc, "nsm_parent_field", None) or "parent_" + frappe.scrub(doc.doctype)


def renumber_tree(doctype, parent_field):
	"""Give every node of `doctype` fresh `lft`/`rgt` values (depth-first, by name).

	Returns {name: (lft, rgt)}; only rows whose numbers change are written.
	"""
	rows = frappe.get_all(doctype, fields=["name", parent_field, "lft", "rgt"], order_by="name asc")
	children = {}
	known = {r.name for r in rows}
	for r in rows:
		parent = r.get(parent_field)
		# an unknown parent is treated as root so a broken link cannot hide nodes
		children.setdefault(parent if parent in known else None, []).append(r)

	numbers = {}
	counter = 0
	stack = [(r, False) for r in reversed(children.get(None, []))]
	while stack:
		node, closing = stack.pop()
		if closing:
			counter += 1
			numbers[node.name] = (numbers[node.name][0], counter)
			continue
		counter += 1
		numbers[node.name] = (counter, None)
		stack.append((node, True))
		for child in reversed(children.get(node.name, [])):
			stack.append((child, False))

	for r in rows:
		lft, rgt = numbers[r.name]
		if (r.lft, r.rgt) != (lft, rgt):
			frappe.db.set_value(doctype, r.name, {"lft": lft, "rgt": rgt}, update_modified=False)
	return numbers


if _FrameworkNestedSet is not None:
	TreeDocument = _FrameworkNestedSet
else:

	class TreeDocument(Document):
		"""Minimal nested-set document: keeps lft/rgt right and protects nodes with children."""

		nsm_parent_field = None

		def on_update(self):
			"""Renumber the tree so `lft`/`rgt` reflect the saved parent."""
			numbers = renumber_tree(self.doctype, _parent_field(self))
			if self.name in numbers:
				self.lft, self.rgt = numbers[self.name]

		def on_trash(self, allow_root_deletion=False):
			"""Refuse to delete a node that still has children (or the root, unless allowed)."""
			parent_field = _parent_field(self)
			if not self.get(parent_field) and not allow_root_deletion:
				frappe.throw(_("Root {0} cannot be deleted").format(_(self.doctype)))
			if frappe.db.exists(self.doctype, {parent_field: self.name}):
				frappe.throw(
					_("Cannot delete {0} {1} as it has child nodes").format(_(self.doctype), self.name),
					frappe.ValidationError,
				)

		def after_delete(self):
			renumber_tree(self.doctype, _parent_field(self))

		def get_root_of(self):
			"""Return the root node name of this doctype's tree."""
			return get_root_of(self.doctype)


def get_root_of(doctype):
	"""Return the name of the (first) root node of a tree doctype."""
	parent_field = "parent_" + frappe.scrub(doctype)
	roots = frappe.get_all(doctype, filters=[[parent_field, "is", "not set"]], pluck="name", order_by="lft asc", limit=1)
	return roots[0] if roots else None


def get_ancestors_of(doctype, name):
	"""Return the names of `name`'s ancestors, nearest first."""
	parent_field = "parent_" + frappe.scrub(doctype)
	out, seen = [], {name}
	current = frappe.db.get_value(doctype, name, parent_field)
	while current and current not in seen:
		out.append(current)
		seen.add(current)
		current = frappe.db.get_value(doctype, current, parent_field)
	return out
