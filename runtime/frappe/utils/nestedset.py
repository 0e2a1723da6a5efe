"""Trees stored as nested sets (Frappe's frappe.utils.nestedset).

A tree doctype has a parent link field (``parent_<scrubbed doctype>`` unless the doctype or the
controller names another one in ``nsm_parent_field``), an ``old_parent`` field and the ``lft``/
``rgt`` integers: every node's interval holds the intervals of all its descendants. ``update_nsm``
keeps the numbers right after a node is saved: a new node is appended as the last child of its
parent (or as the last root), a node whose parent changed is moved with its subtree.
"""

from __future__ import annotations

from collections.abc import Iterator

import frappe
from frappe import _
from frappe.model.document import Document


class NestedSetRecursionError(frappe.ValidationError):
    pass


class NestedSetMultipleRootsError(frappe.ValidationError):
    pass


class NestedSetChildExistsError(frappe.ValidationError):
    pass


class NestedSetInvalidMergeError(frappe.ValidationError):
    pass


def _parent_field_of(doc) -> str:
    return getattr(doc, "nsm_parent_field", None) or "parent_" + frappe.scrub(doc.doctype)


def update_nsm(doc):
    """Renumber the tree for ``doc`` after a save (called from ``on_update``), then reload it."""
    parent_field = _parent_field_of(doc)
    old_parent_field = getattr(doc, "nsm_oldparent_field", None) or "old_parent"
    parent = doc.get(parent_field) or None
    old_parent = doc.get(old_parent_field) or None

    if not doc.get("lft") and not doc.get("rgt"):
        update_add_node(doc, parent or "", parent_field)
    elif old_parent != parent:
        update_move_node(doc, parent_field)

    doc.set(old_parent_field, parent)
    frappe.db.set_value(doc.doctype, doc.name, old_parent_field, parent or "", update_modified=False)
    doc.reload()


def update_add_node(doc, parent, parent_field):
    """Open a gap of two at the end of ``parent``'s interval (or after the last root) and put the
    new node there. Returns the node's ``lft``."""
    table = f"`tab{doc.doctype}`"
    if parent:
        bounds = frappe.db.sql(f"select `lft`, `rgt` from {table} where `name`=%s for update", (parent,))
        if not bounds:
            frappe.throw(_("{0} {1} not found").format(_(doc.doctype), parent), frappe.DoesNotExistError)
        left, right = bounds[0]
        validate_loop(doc.doctype, doc.name, left, right)
    else:
        right = frappe.db.sql(f"select coalesce(max(`rgt`), 0) + 1 from {table} "
                              f"where coalesce(`{parent_field}`, '') = ''")[0][0]
    right = int(right or 1)

    frappe.db.sql(f"update {table} set `rgt` = `rgt` + 2 where `rgt` >= %s", (right,))
    frappe.db.sql(f"update {table} set `lft` = `lft` + 2 where `lft` >= %s", (right,))
    if frappe.db.sql(f"select `name` from {table} where `lft` = %s or `rgt` = %s", (right, right + 1)):
        frappe.throw(_("Nested set error. Please contact the Administrator."))
    frappe.db.sql(f"update {table} set `lft` = %s, `rgt` = %s where `name` = %s", (right, right + 1, doc.name))
    return right


def update_move_node(doc, parent_field: str):
    """Move ``doc`` with its subtree under its new parent (or to the end, as a root)."""
    table = f"`tab{doc.doctype}`"
    parent = doc.get(parent_field)
    lft, rgt = _bounds(doc.doctype, doc.name)

    if parent:
        new_lft, new_rgt = _bounds(doc.doctype, parent, for_update=True)
        validate_loop(doc.doctype, doc.name, new_lft, new_rgt)

    # take the subtree out of the numbering (negative numbers) and close the gap it leaves
    frappe.db.sql(f"update {table} set `lft` = -`lft`, `rgt` = -`rgt` where `lft` >= %s and `rgt` <= %s",
                  (lft, rgt))
    width = rgt - lft + 1
    frappe.db.sql(f"update {table} set `lft` = `lft` - %s, `rgt` = `rgt` - %s where `lft` > %s",
                  (width, width, rgt))
    frappe.db.sql(f"update {table} set `rgt` = `rgt` - %s where `lft` < %s and `rgt` > %s", (width, lft, rgt))

    if parent:
        # the parent's numbers moved with the gap: read them again, then open a gap at its end
        new_lft, new_rgt = _bounds(doc.doctype, parent, for_update=True)
        frappe.db.sql(f"update {table} set `rgt` = `rgt` + %s where `name` = %s", (width, parent))
        frappe.db.sql(f"update {table} set `lft` = `lft` + %s, `rgt` = `rgt` + %s where `lft` > %s",
                      (width, width, new_rgt))
        frappe.db.sql(f"update {table} set `rgt` = `rgt` + %s where `lft` < %s and `rgt` > %s",
                      (width, new_lft, new_rgt))
        shift = new_rgt - lft
    else:
        max_rgt = frappe.db.sql(f"select max(`rgt`) from {table}")[0][0] or 0
        shift = int(max_rgt) + 1 - lft

    # put the subtree back at its new place
    frappe.db.sql(f"update {table} set `lft` = -`lft` + %s, `rgt` = -`rgt` + %s where `lft` < 0", (shift, shift))


def _bounds(doctype, name, for_update=False):
    rows = frappe.db.sql(f"select `lft`, `rgt` from `tab{doctype}` where `name`=%s" + (" for update" if for_update else ""),
                         (name,))
    if not rows:
        frappe.throw(_("{0} {1} not found").format(_(doctype), name), frappe.DoesNotExistError)
    return int(rows[0][0] or 0), int(rows[0][1] or 0)


@frappe.whitelist()
def rebuild_tree(doctype, parent_field=None):
    """Number the whole tree again from its parent links (roots and children by name)."""
    if getattr(frappe.local, "request", None) and frappe.local.form_dict.get("cmd") == "rebuild_tree":
        frappe.only_for("System Manager")
    meta = frappe.get_meta(doctype)
    if not meta.has_field("lft") or not meta.has_field("rgt"):
        frappe.throw(_("Rebuilding of tree is not supported for {}").format(frappe.bold(doctype)),
                     title=_("Invalid Action"))
    parent_field = parent_field or meta.get("nsm_parent_field") or "parent_" + frappe.scrub(doctype)
    roots = frappe.db.sql(f"select `name` from `tab{doctype}` where coalesce(`{parent_field}`, '') = '' "
                          "order by `name` asc")
    right = 1
    for (name,) in roots:
        right = rebuild_node(doctype, name, right, parent_field)


def rebuild_node(doctype, parent, left, parent_field):
    """Number ``parent``'s subtree starting at ``left``; returns the next free number."""
    right = left + 1
    children = frappe.db.sql(f"select `name` from `tab{doctype}` where `{parent_field}` = %s order by `name` asc",
                             (parent,))
    for (name,) in children:
        right = rebuild_node(doctype, name, right, parent_field)
    frappe.db.set_value(doctype, parent, {"lft": left, "rgt": right}, update_modified=False)
    return right + 1


def validate_loop(doctype, name, lft, rgt):
    """A node cannot be put under one of its own descendants (or itself)."""
    ancestors_or_self = frappe.db.sql(f"select `name` from `tab{doctype}` where `lft` <= %s and `rgt` >= %s",
                                      (lft, rgt))
    if name in {r[0] for r in ancestors_or_self}:
        frappe.throw(_("Item cannot be added to its own descendants"), NestedSetRecursionError)


def remove_subtree(doctype: str, name: str, throw=True):
    """Delete ``name`` and all its descendants with plain SQL (no controller hooks) and close the gap."""
    frappe.has_permission(doctype, ptype="delete", throw=throw)
    lft, rgt = _bounds(doctype, name)
    frappe.db.sql(f"delete from `tab{doctype}` where `lft` >= %s and `rgt` <= %s", (lft, rgt))
    width = rgt - lft + 1
    frappe.db.sql(f"update `tab{doctype}` set `lft` = `lft` - %s where `lft` > %s", (width, rgt))
    frappe.db.sql(f"update `tab{doctype}` set `rgt` = `rgt` - %s where `rgt` > %s", (width, rgt))


class NestedSet(Document):
    """Base controller of tree doctypes: numbers kept by ``update_nsm`` on every save."""

    def __setup__(self):
        if self.meta.get("nsm_parent_field"):
            self.nsm_parent_field = self.meta.nsm_parent_field
        elif not getattr(self, "nsm_parent_field", None):
            self.nsm_parent_field = "parent_" + frappe.scrub(self.doctype)

    def on_update(self):
        update_nsm(self)
        self.validate_ledger()

    def on_trash(self, allow_root_deletion=False):
        """Refuse to delete a node with children; detach the node so the numbers stay consistent."""
        if not getattr(self, "nsm_parent_field", None):
            self.nsm_parent_field = frappe.scrub(self.doctype) + "_parent"
        parent = self.get(self.nsm_parent_field)
        if not parent and not getattr(self, "allow_root_deletion", True):
            frappe.throw(_("Root {0} cannot be deleted").format(_(self.doctype)))
        self.validate_if_child_exists()
        self.set(self.nsm_parent_field, "")
        try:
            update_nsm(self)
        except frappe.DoesNotExistError:
            if self.flags.on_rollback:
                frappe.clear_last_message()
            else:
                raise

    def validate_if_child_exists(self):
        if frappe.db.count(self.doctype, {self.nsm_parent_field: self.name}):
            frappe.throw(_("Cannot delete {0} as it has child nodes").format(self.name), NestedSetChildExistsError)

    def before_rename(self, olddn, newdn, merge=False, group_fname="is_group"):
        if merge and self.meta.has_field(group_fname):
            if self.get(group_fname) != frappe.db.get_value(self.doctype, newdn, group_fname):
                frappe.throw(_("Merging is only possible between Group-to-Group or Leaf Node-to-Leaf Node"),
                             NestedSetInvalidMergeError)

    def after_rename(self, olddn, newdn, merge=False):
        parent_field = getattr(self, "nsm_parent_field", None) or "parent_" + frappe.scrub(self.doctype)
        frappe.db.set_value(self.doctype, {"old_parent": newdn}, {parent_field: newdn}, update_modified=False)
        if merge:
            rebuild_tree(self.doctype, parent_field)

    def validate_one_root(self):
        if not self.get(self.nsm_parent_field) and self.get_root_node_count() > 1:
            frappe.throw(_("Multiple root nodes not allowed."), NestedSetMultipleRootsError)

    def get_root_node_count(self):
        return len(frappe.db.sql(
            f"select `name` from `tab{self.doctype}` where coalesce(`{self.nsm_parent_field}`, '') = ''"))

    def validate_ledger(self, group_identifier="is_group"):
        """A leaf (is_group 0) cannot keep children."""
        if self.meta.has_field(group_identifier) and not self.get(group_identifier):
            if frappe.get_all(self.doctype, {self.nsm_parent_field: self.name, "docstatus": ("!=", 2)}):
                frappe.throw(_("{0} {1} cannot be a leaf node as it has children").format(_(self.doctype), self.name))

    def get_ancestors(self):
        return get_ancestors_of(self.doctype, self.name)

    def get_parent(self) -> "NestedSet":
        parent_name = self.get(self.nsm_parent_field)
        if parent_name:
            return frappe.get_doc(self.doctype, parent_name)

    def get_children(self) -> Iterator["NestedSet"]:
        for name in frappe.get_list(self.doctype, filters={self.nsm_parent_field: self.name}, pluck="name"):
            yield frappe.get_doc(self.doctype, name)


def get_root_of(doctype):
    """The name of the root of ``doctype``'s tree (a node no other node contains)."""
    rows = frappe.db.sql(
        f"select t1.`name` from `tab{doctype}` t1 where t1.`rgt` > t1.`lft` and not exists "
        f"(select 1 from `tab{doctype}` t2 where t2.`lft` < t1.`lft` and t2.`rgt` > t1.`rgt`) order by t1.`lft`")
    return rows[0][0] if rows else None


def get_ancestors_of(doctype, name, order_by="lft desc", limit=None):
    """Names of ``name``'s ancestors, nearest first by default."""
    lft, rgt = frappe.db.get_value(doctype, name, ["lft", "rgt"])
    return frappe.get_all(doctype, {"lft": ["<", lft], "rgt": [">", rgt]}, "name", order_by=order_by,
                          limit_page_length=limit, pluck="name")


def get_descendants_of(doctype, name, order_by="lft desc", limit=None, ignore_permissions=False):
    """Names of ``name``'s descendants (what the user may read, unless ``ignore_permissions``)."""
    lft, rgt = frappe.db.get_value(doctype, name, ["lft", "rgt"])
    if (rgt or 0) - (lft or 0) <= 1:
        return []
    return frappe.get_list(doctype, {"lft": [">", lft], "rgt": ["<", rgt]}, "name", order_by=order_by,
                           limit_page_length=limit, ignore_permissions=ignore_permissions, pluck="name")
