"""ERPNext refuses a transaction whose grand total (company currency) is below zero (issue 12, item 2).

Real ERPNext 15 answers a Sales Order with a rate of -100 with a 417 ValidationError "Incorrect
value:Grand Total (Company Currency) must be >= 0.0" (recording security-desk B01): its
AccountsController checks ``base_grand_total >= 0`` right after computing the totals.
"""

from __future__ import annotations

import pytest

from tests.runtime.test_erpnext_subset import _order, company, masters  # noqa: F401  (fixtures)

MESSAGE = "Incorrect value:Grand Total (Company Currency) must be >= 0.0"


def _frappe():
    import frappe

    return frappe


def test_a_negative_rate_is_refused_with_erpnexts_message(masters):  # noqa: F811
    frappe = _frappe()
    before = frappe.db.count("Sales Order", {"customer": masters.customer})
    with pytest.raises(frappe.ValidationError) as raised:
        _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 1, "rate": -100}]).insert()
    assert type(raised.value) is frappe.ValidationError  # not a subclass: exc_type "ValidationError", HTTP 417
    assert str(raised.value) == MESSAGE
    assert frappe.get_message_log()[-1]["message"] == MESSAGE
    assert frappe.db.count("Sales Order", {"customer": masters.customer}) == before


def test_a_negative_line_in_a_positive_order_passes_as_in_erpnext(masters):  # noqa: F811
    # the rule is on the total only; MedGrid's own price checks refuse such a line for its callers
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 10, "rate": 5},
                                {"item_code": masters.item["mask"], "qty": 1, "rate": -20,
                                 "warehouse": masters.pharmacy}]).insert()
    assert so.base_grand_total == 30.0


def test_a_zero_total_is_allowed(masters):  # noqa: F811
    so = _order(masters, items=[{"item_code": masters.item["syringe"], "qty": 2, "discount_percentage": 100}]).insert()
    assert so.grand_total == 0.0 and so.base_grand_total == 0.0


def test_validate_value_words_the_rule_like_frappe(masters):  # noqa: F811
    from erpnext.controllers.accounts_controller import validate_value

    frappe = _frappe()
    so = _order(masters)
    so.set_missing_values()
    row = so.items[0]
    row.idx = 1
    row.qty = -3
    with pytest.raises(frappe.ValidationError, match=r"^Incorrect value in row 1:Quantity must be > 0\.0$"):
        validate_value(row, "qty", ">", 0)
    so.base_grand_total = None  # an unset Currency reads as 0.0, which passes ">= 0"
    validate_value(so, "base_grand_total", ">=", 0)
    with pytest.raises(frappe.ValidationError, match=r"^Incorrect value:Company must be one of \['X'\]$"):
        validate_value(so, "company", "in", ["X"])
