"""Issue 17 "Submit": the SQL statements of the partner's five-vendor Sales Order submit.

Every statement is a round trip to MariaDB, so the submit's latency follows their number. The counts
are taken at the database drivers (all three engines; transaction control and connection set-up left
out), never times. On this test site (fake vendor connectors) the submit sends 60 statements as the
Administrator and 65 as the partner, whose Customer permission check reads the whole Customer; the
budget leaves a little room over that, far below the 150-odd it sent before the order's reads were
batched. The batched shapes are checked one by one, so a regression names itself.
"""

from __future__ import annotations

import pytest
from frappe.utils import add_days, nowdate

from tests.statement_log import StatementLog, drivers_logging_to

PARTNER = "partner@clinic.example"
MAIN, EXO = "Skydell Main - SM", "Skydell Exoceuticals - SM"
FIVE_VENDOR_LINES = [
    {"item_code": "ITEM-001", "qty": 1, "rate": 89.00, "warehouse": MAIN},
    {"item_code": "ITEM-002", "qty": 1, "warehouse": MAIN},
    {"item_code": "ITEM-003", "qty": 1, "warehouse": MAIN},
    {"item_code": "ITEM-004", "qty": 1, "warehouse": MAIN},
    {"item_code": "ITEM-005", "qty": 1, "warehouse": EXO},
]
RX_FIELDS = {"patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-12",
             "prescriber_npi": "1234567893", "prescriber_first_name": "Gregory", "prescriber_last_name": "House"}
SUBMIT_BUDGET = {"Administrator": 64, PARTNER: 70}


@pytest.fixture(scope="module")
def statements():
    with drivers_logging_to(StatementLog()) as log:
        yield log


def _draft(api, user) -> str:
    with api.context(user) as frappe:
        return frappe.get_doc({"doctype": "Sales Order", "customer": "Demo Clinic Partner", "company": "Skydell",
                               "delivery_date": add_days(nowdate(), 7),
                               "shipping_address_name": "Demo Clinic Partner-Shipping",
                               "items": [dict(line) for line in FIVE_VENDOR_LINES], **RX_FIELDS}).insert().name


def _submit(api, statements, user, name) -> StatementLog:
    with api.context(user) as frappe:
        doc = frappe.get_doc("Sales Order", name)
        with statements.counting():
            doc.submit()
        assert doc.docstatus == 1
    return statements


@pytest.mark.parametrize("user", list(SUBMIT_BUDGET))
def test_five_vendor_submit_stays_within_its_statement_budget(api, statements, user):
    _submit(api, statements, user, _draft(api, user))  # warm the caches a first submit fills
    counted = _submit(api, statements, user, _draft(api, user))
    listing = "\n".join(counted.statements)
    assert len(counted.statements) <= SUBMIT_BUDGET[user], f"{len(counted.statements)} statements:\n{listing}"

    # the order's items as fields, in one query (never each Item whole with its eight child tables)
    assert not counted.matching(r"^select \* from `tabItem` "), listing
    assert not counted.matching(r"from `tab(UOM Conversion Detail|Item Barcode|Item Reorder|Item Supplier)`"), listing
    # one read of the lines' Bins for the stock levels, one for the reservation (and the catalog's own,
    # which locks them at the submit)
    assert len(counted.matching(r"^select .* from `tabBin`")) <= 4, listing
    # the reservation takes the stock flag as this save's validate read it
    assert not counted.matching(r"^select `tabItem`\.`(name|is_stock_item)` from `tabItem` where .*is_stock_item"), listing
    assert len(counted.matching(r"from `tabSales Order Item` soi join")) == 1, listing
    # the warehouses' flags: once for ERPNext's checks, once for MedGrid's (not three reads per warehouse)
    assert len(counted.matching(r"^select .*`tabWarehouse`\.`(is_group|disabled|company)`")) <= 2, listing
    # the dispatches and their lines: one INSERT per table, the vendor statuses with them
    assert len(counted.matching(r"^insert into `tabFulfillment Dispatch` ")) == 1, listing
    assert len(counted.matching(r"^insert into `tabFulfillment Dispatch Line` ")) == 1, listing
    assert not counted.matching(r"^update `tabFulfillment Dispatch` "), listing
    assert len(counted.matching(r"^update `tabSales Order` set `\w+_status`")) == 1, listing


def test_submitted_order_reserves_and_dispatches_as_before(api, statements):
    name = _draft(api, PARTNER)
    with api.context() as frappe:
        reserved_before = {(b.item_code, b.warehouse): b.reserved_qty for b in frappe.get_all(
            "Bin", filters={"item_code": ["like", "ITEM-00%"]}, fields=["item_code", "warehouse", "reserved_qty"])}
    _submit(api, statements, PARTNER, name)
    with api.context() as frappe:
        reserved_after = {(b.item_code, b.warehouse): b.reserved_qty for b in frappe.get_all(
            "Bin", filters={"item_code": ["like", "ITEM-00%"]}, fields=["item_code", "warehouse", "reserved_qty"])}
        for line in FIVE_VENDOR_LINES:
            key = (line["item_code"], line["warehouse"])
            assert reserved_after[key] == reserved_before[key] + line["qty"], key
        # pairs the order does not name keep their reservation
        untouched = set(reserved_after) - {(l["item_code"], l["warehouse"]) for l in FIVE_VENDOR_LINES}
        assert all(reserved_after[k] == reserved_before.get(k, reserved_after[k]) for k in untouched)
        vendors = sorted(frappe.get_all("Fulfillment Dispatch", filters={"sales_order": name}, pluck="vendor"))
        assert vendors == ["centre_research", "exoceuticals", "perfectrx", "shipstation", "sinq"]
