"""Numbers and empty orders from callers in the ERPNext subset's Sales Order (issue 12 item 3).

ERPNext 15 rounds every Currency/Float/Percent field of an item row to its precision before it prices
the row (calculate_taxes_and_totals -> round_floats_in), and that comes before SalesOrder.validate
checks whole-number UOMs. ``flt`` with a precision turns NaN and infinity into 0, so:

* a quantity of "NaN", "Infinity" or 1e309 is 0 by the time anything else reads it (no int(nan));
* a rate like that is 0 and is then taken from the price list;
* an order in the company's currency converts at exactly 1, whatever rate the caller sent.

An order without items never gets totals; ERPNext's payment schedule then multiplies None (a 500 on a
real site); here it is a 400 that still reads as that TypeError.
"""

from __future__ import annotations

import math

import pytest

from tests.runtime.test_erpnext_subset import _order, company, masters  # noqa: F401  (fixtures)

NON_FINITE = ["NaN", "Infinity", "-Infinity", math.nan, math.inf, 1e309]


def _frappe():
    import frappe

    return frappe


@pytest.fixture()
def whole_uom(masters):  # noqa: F811
    """The syringe sold in a UOM that must be whole, so validate_uom_is_integer really looks at the qty."""
    frappe = _frappe()
    assert frappe.db.get_value("UOM", "Nos", "must_be_whole_number") == 1
    return masters


@pytest.mark.parametrize("qty", NON_FINITE)
def test_a_non_finite_quantity_is_rounded_to_zero_before_the_uom_check(whole_uom, qty):
    # ERPNext itself saves such a row with qty 0 (MedGrid's own line check is what refuses it)
    so = _order(whole_uom, items=[{"item_code": whole_uom.item["syringe"], "qty": qty}]).insert()
    row = so.items[0]
    assert (row.qty, row.stock_qty, row.amount) == (0.0, 0.0, 0.0)
    assert (so.total_qty, so.grand_total) == (0.0, 0.0)


@pytest.mark.parametrize("rate", NON_FINITE)
def test_a_non_finite_rate_takes_the_price_list_rate(masters, rate):  # noqa: F811
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 4, "rate": rate}]).insert()
    row = so.items[0]
    assert (row.price_list_rate, row.rate, row.amount) == (1.5, 1.5, 6.0)
    assert (row.margin_type, row.margin_rate_or_amount) == ("", 0.0)
    assert so.grand_total == so.base_grand_total == 6.0


@pytest.mark.parametrize("field", ["discount_percentage", "margin_rate_or_amount", "discount_amount",
                                   "conversion_factor", "price_list_rate"])
def test_other_row_numbers_never_stay_non_finite(masters, field):  # noqa: F811
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 2, field: "Infinity"}]).insert()
    row = so.items[0]
    for df in row.meta.fields:
        if df.fieldtype in ("Currency", "Float", "Percent"):
            assert math.isfinite(row.get(df.fieldname) or 0), df.fieldname
    assert math.isfinite(so.grand_total)


def test_row_numbers_are_rounded_to_their_precision_as_in_erpnext(masters):  # noqa: F811
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": "2.00049", "rate": "3.335"}]).insert()
    row = so.items[0]
    # qty is a Float (3 places), rate a Currency (2 places; a tie rounds up under the legacy method)
    assert (row.qty, row.rate, row.amount) == (2.0, 3.34, 6.68)


def test_valuation_rate_is_left_unrounded(masters):  # noqa: F811
    from erpnext.controllers.accounts_controller import round_item_floats

    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": "1.23456"}])
    so.items[0].valuation_rate = 0.123456
    round_item_floats(so, so.items)
    assert so.items[0].valuation_rate == 0.123456 and so.items[0].qty == 1.235


@pytest.mark.parametrize("conversion_rate", ["NaN", "Infinity", 2, 0])
def test_company_currency_converts_at_one(masters, conversion_rate):  # noqa: F811
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 2}], conversion_rate=conversion_rate)
    so.insert()
    assert so.conversion_rate == 1.0
    assert (so.grand_total, so.base_grand_total, so.items[0].base_rate) == (3.0, 3.0, 1.5)


@pytest.mark.parametrize("items", [[], None], ids=["empty-items", "no-items-key"])
def test_an_order_without_items_is_a_400_typeerror(masters, items):  # noqa: F811
    frappe = _frappe()
    from frappe.utils.caller_input import CallerInputError

    before = frappe.db.count("Sales Order", {"customer": masters.customer})
    so = _order(masters, items=items or [])
    if items is None:
        so.delete_key("items")
    with pytest.raises(TypeError) as raised:
        so.insert()
    error = raised.value
    # a client sees Frappe's exc_type and message, with a client-error status instead of 500
    assert isinstance(error, CallerInputError) and error.http_status_code == 400
    assert type(error).__name__ == "TypeError" and type(error).__module__ == "builtins"
    assert str(error) == "unsupported operand type(s) for *: 'NoneType' and 'float'"
    assert frappe.db.count("Sales Order", {"customer": masters.customer}) == before


def test_a_bad_payment_portion_is_a_400_too(masters):  # noqa: F811
    frappe = _frappe()
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 2}],
                payment_schedule=[{"invoice_portion": 100, "due_date": frappe.utils.nowdate()}])
    so.set_missing_values()
    so.calculate_taxes_and_totals()
    so.payment_schedule[0].invoice_portion = "100"  # a string slipped past the document layer
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for /: 'str' and 'float'") as raised:
        so.set_payment_schedule()
    assert raised.value.http_status_code == 400


def test_whole_number_uom_check_still_refuses_fractions(whole_uom):
    from erpnext.selling.doctype.sales_order.sales_order import UOMMustBeIntegerError

    with pytest.raises(UOMMustBeIntegerError, match="Quantity \\(2.5\\) cannot be a fraction"):
        _order(whole_uom, items=[{"item_code": whole_uom.item["syringe"], "qty": 2.5}]).insert()


def test_the_error_reads_like_frappes_typeerror(masters):  # noqa: F811
    # what the error body's "exception" line is built from: the same text a real site prints
    import traceback

    with pytest.raises(TypeError) as raised:
        _order(masters, items=[]).insert()
    last_line = traceback.format_exception_only(type(raised.value), raised.value)[-1].strip()
    assert last_line == "TypeError: unsupported operand type(s) for *: 'NoneType' and 'float'"
