"""frappe.utils.nestedset: lft/rgt kept by update_nsm, moves, rebuild_tree, deletes."""

from __future__ import annotations

import secrets

import pytest


def _tree(frappe, parent, *names):
    """Insert Territory nodes under ``parent`` in order; returns their names."""
    out = []
    for name in names:
        frappe.get_doc({"doctype": "Territory", "territory_name": name, "parent_territory": parent,
                        "is_group": 1}).insert()
        out.append(name)
    return out


def _bounds(frappe, name):
    return tuple(frappe.db.get_value("Territory", name, ["lft", "rgt"]))


def _assert_consistent(frappe):
    """Every node's interval holds its children's, and numbers are unique."""
    rows = frappe.get_all("Territory", fields=["name", "lft", "rgt", "parent_territory"])
    numbers = [n for r in rows for n in (r.lft, r.rgt)]
    assert len(numbers) == len(set(numbers))
    by_name = {r.name: r for r in rows}
    for r in rows:
        assert r.lft < r.rgt
        if r.parent_territory:
            parent = by_name[r.parent_territory]
            assert parent.lft < r.lft and r.rgt < parent.rgt


def test_new_nodes_are_appended_as_last_child(site):
    import frappe
    from frappe.utils.nestedset import get_ancestors_of, get_descendants_of, get_root_of

    tag = secrets.token_hex(3)
    top, = _tree(frappe, "All Territories", f"NS Top {tag}")
    a, b = _tree(frappe, top, f"NS A {tag}", f"NS B {tag}")
    leaf, = _tree(frappe, a, f"NS Leaf {tag}")
    top_l, top_r = _bounds(frappe, top)
    a_l, a_r = _bounds(frappe, a)
    b_l, b_r = _bounds(frappe, b)
    # insertion order, not name order: A was inserted first, then B
    assert top_l < a_l < a_r < b_l < b_r < top_r
    assert top_r - top_l == 7  # 4 nodes -> 8 numbers
    assert frappe.db.get_value("Territory", leaf, "old_parent") == a
    assert get_ancestors_of("Territory", leaf) == [a, top, "All Territories"]
    assert set(get_descendants_of("Territory", top)) == {a, b, leaf}
    assert get_root_of("Territory") == "All Territories"
    _assert_consistent(frappe)


def test_moving_a_subtree_and_rebuilding(site):
    import frappe
    from frappe.utils.nestedset import NestedSetRecursionError, rebuild_tree

    tag = secrets.token_hex(3)
    top, = _tree(frappe, "All Territories", f"NS Top {tag}")
    a, b = _tree(frappe, top, f"NS A {tag}", f"NS B {tag}")
    leaf, = _tree(frappe, a, f"NS Leaf {tag}")
    doc = frappe.get_doc("Territory", a)
    doc.parent_territory = b
    doc.save()
    b_l, b_r = _bounds(frappe, b)
    a_l, a_r = _bounds(frappe, a)
    l_l, l_r = _bounds(frappe, leaf)
    assert b_l < a_l < l_l < l_r < a_r < b_r
    _assert_consistent(frappe)
    frappe.db.set_value("Territory", top, {"lft": 0, "rgt": 0}, update_modified=False)
    rebuild_tree("Territory", "parent_territory")
    _assert_consistent(frappe)
    # a node cannot go under its own descendant (the request's rollback undoes the row update)
    top_doc = frappe.get_doc("Territory", top)
    top_doc.parent_territory = leaf
    with pytest.raises(NestedSetRecursionError):
        top_doc.save()


def test_a_node_with_children_cannot_be_deleted(site):
    import frappe
    from frappe.utils.nestedset import NestedSetChildExistsError

    tag = secrets.token_hex(3)
    top, = _tree(frappe, "All Territories", f"NS Top {tag}")
    child, = _tree(frappe, top, f"NS Child {tag}")
    with pytest.raises(NestedSetChildExistsError):
        frappe.delete_doc("Territory", top)
    frappe.delete_doc("Territory", child)
    frappe.delete_doc("Territory", top)
    assert not frappe.db.exists("Territory", top)
    _assert_consistent(frappe)


def test_get_all_takes_filters_in_the_fields_position(site):
    import frappe

    names = frappe.get_all("Territory", {"name": "All Territories"}, pluck="name")
    assert names == ["All Territories"]
    rows = frappe.get_all("Territory", [["name", "=", "All Territories"]], ["name", "is_group"])
    assert rows == [{"name": "All Territories", "is_group": 1}]
