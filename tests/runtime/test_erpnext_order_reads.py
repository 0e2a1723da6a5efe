"""Issue 17: the Sales Order reads an order's items, Bins and warehouses once for all its lines.

What the order computes must not change with it: reservations per (item, warehouse) pair even when
the order's items and warehouses cross, a stock flag changed after the draft, an item's UOM table and
defaults read only when a line needs them, Frappe's "not found" for an unknown item.
"""

from __future__ import annotations

import re

import pytest

from tests.runtime.test_erpnext_subset import _bin, _frappe, _order, company, masters  # noqa: F401 (fixtures)


@pytest.fixture()
def sql_log(monkeypatch):
    frappe = _frappe()
    seen = []
    real_sql = frappe.db.sql

    def recording(query, *args, **kwargs):
        seen.append(" ".join(str(query).split()))
        return real_sql(query, *args, **kwargs)

    monkeypatch.setattr(frappe.db, "sql", recording)
    return seen


def _matching(seen, pattern):
    return [q for q in seen if re.search(pattern, q, re.IGNORECASE)]


def test_crossed_items_and_warehouses_reserve_per_pair(masters):
    frappe = _frappe()
    syringe, mask = masters.item["syringe"], masters.item["mask"]
    first = _order(masters, items=[
        {"item_code": syringe, "qty": 3, "warehouse": masters.stores},
        {"item_code": mask, "qty": 2, "warehouse": masters.pharmacy},
    ]).insert()
    first.submit()
    # the crossed pairs (syringe in Pharmacy, mask in Stores) are not this order's: no Bin is made for them
    assert _bin(syringe, masters.pharmacy) is None and _bin(mask, masters.stores) is None
    assert (_bin(syringe, masters.stores).reserved_qty, _bin(mask, masters.pharmacy).reserved_qty) == (3, 2)

    second = _order(masters, items=[
        {"item_code": syringe, "qty": 4, "warehouse": masters.pharmacy},
        {"item_code": mask, "qty": 1, "warehouse": masters.pharmacy},
    ]).insert()
    second.submit()
    assert _bin(syringe, masters.pharmacy).reserved_qty == 4  # made by the reservation
    assert _bin(syringe, masters.stores).reserved_qty == 3  # the same item elsewhere keeps its own
    b = _bin(mask, masters.pharmacy)
    assert (b.reserved_qty, b.projected_qty) == (3, 47)

    doc = frappe.get_doc("Sales Order", first.name)
    doc.cancel()
    assert _bin(syringe, masters.stores).reserved_qty == 0
    assert _bin(syringe, masters.pharmacy).reserved_qty == 4
    b = _bin(mask, masters.pharmacy)
    assert (b.reserved_qty, b.projected_qty) == (1, 49)


def test_one_read_of_items_bins_and_warehouses_for_all_lines(masters, sql_log):
    so = _order(masters, items=[
        {"item_code": masters.item["syringe"], "qty": 3, "warehouse": masters.stores},
        {"item_code": masters.item["mask"], "qty": 2, "warehouse": masters.pharmacy},
        {"item_code": masters.item["service"], "qty": 1, "rate": 80},
    ]).insert()
    del sql_log[:]
    so.submit()
    listing = "\n".join(sql_log)
    assert not _matching(sql_log, r"^select \* from `tabItem`"), listing
    assert len(_matching(sql_log, r"^select .*`tabItem`\.`item_name`.* from `tabItem`")) == 1, listing
    # the lines' UOMs are their stock UOM and their warehouses are given: no child table of Item is read
    assert not _matching(sql_log, r"`tab(UOM Conversion Detail|Item Default|Item Barcode)`"), listing
    assert len(_matching(sql_log, r"^select .*`tabBin`\.`valuation_rate`")) == 1, listing
    assert len(_matching(sql_log, r"^select .*`tabWarehouse`\.`is_group`")) == 1, listing
    assert len(_matching(sql_log, r"`tabSales Order Item` soi join")) == 1, listing
    assert len(_matching(sql_log, r"^update `tabBin`")) == 1, listing
    assert len(_matching(sql_log, r"`tabCompany`\.`default_currency`")) <= 1, listing


def test_stock_flag_is_read_at_the_submit(masters):
    frappe = _frappe()
    so = _order(masters, items=[{"item_code": masters.item["mask"], "qty": 2, "warehouse": masters.pharmacy}]).insert()
    frappe.db.set_value("Item", masters.item["mask"], "is_stock_item", 0)
    so.submit()
    # validate read the item again at the submit: a service reserves nothing
    assert so.items[0].is_stock_item == 0
    assert _bin(masters.item["mask"], masters.pharmacy).reserved_qty == 0
    # a later hold reads the flag afresh too
    frappe.db.set_value("Item", masters.item["mask"], "is_stock_item", 1)
    from erpnext.selling.doctype.sales_order.sales_order import update_status

    update_status("On Hold", so.name)
    update_status("Draft", so.name)
    assert _bin(masters.item["mask"], masters.pharmacy).reserved_qty == 2


def test_item_defaults_and_uoms_are_read_only_when_a_line_needs_them(masters, sql_log):
    frappe = _frappe()
    box = frappe.get_doc({"doctype": "UOM", "uom_name": f"Box {masters.abbr}"}).insert()
    item = frappe.get_doc("Item", masters.item["syringe"])
    item.append("uoms", {"uom": box.name, "conversion_factor": 12})
    item.save()
    del sql_log[:]
    so = _order(masters, items=[
        {"item_code": masters.item["syringe"], "qty": 2, "uom": box.name},  # warehouse from the item default
        {"item_code": masters.item["mask"], "qty": 1, "warehouse": masters.pharmacy},
    ]).insert()
    assert (so.items[0].warehouse, so.items[0].conversion_factor, so.items[0].stock_qty) == (masters.stores, 12, 24)
    assert so.items[1].warehouse == masters.pharmacy
    # each child table once for the whole order
    assert len(_matching(sql_log, r"from `tabItem Default`")) == 1
    assert len(_matching(sql_log, r"from `tabUOM Conversion Detail`")) == 1


def test_unknown_item_among_known_ones_is_not_found(masters):
    frappe = _frappe()
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 1}, {"item_code": "NO-SUCH-ITEM", "qty": 1}])
    with pytest.raises((frappe.DoesNotExistError, frappe.LinkValidationError), match="NO-SUCH-ITEM"):
        so.insert()
    # the controller's own answer, links aside: Frappe's "Item NO-SUCH-ITEM not found"
    so.flags.ignore_links = True
    with pytest.raises(frappe.DoesNotExistError, match="NO-SUCH-ITEM"):
        so.run_method("validate")
