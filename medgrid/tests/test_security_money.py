"""Money integrity of Sales Orders over HTTP (issue 12): non-negative totals, price floors, stock.

* item 2 — a negative rate is refused as real ERPNext refuses it (recording security-desk B01);
* item 10 — partners and reps cannot price a line below the price list the catalog shows the order's
  customer; admins only as far as MedGrid System Settings allow;
* item 11 — a line the catalog would not sell (no stock where it is ordered from) is refused, when the
  draft is saved and again at the submit.
"""

from __future__ import annotations

import contextlib
import json
import uuid

import frappe
from frappe.tests.utils import FrappeTestCase, patch_hooks
from frappe.utils import add_days, nowdate

from medgrid.tests import fake_connectors as fakes
from medgrid.tests.api import ApiSite
from medgrid.tests.utils import JobQueue

MAIN = "Skydell Main - SM"
EXO = "Skydell Exoceuticals - SM"
SETTINGS = "MedGrid System Settings"
# the hook through which an app replaces a vendor's connector (the last app wins)
CONNECTOR_OVERRIDE_HOOK = "medgrid_connectors"


def body(customer="Demo Clinic Partner", lines=(("ITEM-002", 1, 24.50, MAIN),), **extra) -> dict:
    items = []
    for code, qty, rate, warehouse in lines:
        row = {"item_code": code, "qty": qty, "warehouse": warehouse}
        if rate is not None:
            row["rate"] = rate
        items.append(row)
    return {"customer": customer, "delivery_date": add_days(nowdate(), 7), "items": items, **extra}


def low_stock_item(qty: float, rate: float = 10.0) -> str:
    """A fresh saleable SINQ item with ``qty`` units in the main warehouse (committed)."""
    code = f"SEC-LOW-{uuid.uuid4().hex[:8].upper()}"
    frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": "Low stock vitamin", "item_group": "Products",
                    "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1, "medgrid_approved": 1,
                    "sinq_sku": f"SINQ-{code}"}).insert(ignore_permissions=True)
    frappe.get_doc({"doctype": "Item Price", "item_code": code, "price_list": "Standard Selling",
                    "price_list_rate": rate}).insert(ignore_permissions=True)
    entry = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                            "purpose": "Material Receipt", "company": "Skydell",
                            "items": [{"item_code": code, "qty": qty, "t_warehouse": MAIN, "basic_rate": 1}]})
    entry.insert(ignore_permissions=True)
    entry.submit()
    frappe.db.commit()
    return code


class TestOrderMoney(FrappeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = ApiSite().build()

    def setUp(self):
        fakes.reset()
        hooks = patch_hooks({CONNECTOR_OVERRIDE_HOOK: fakes.CONNECTOR_OVERRIDES})
        hooks.__enter__()
        self.addCleanup(hooks.__exit__, None, None, None)
        self.jobs = JobQueue().start()
        self.addCleanup(self.jobs.stop)

    @contextlib.contextmanager
    def committed(self):
        """Set-up or checks on the site that the next request must see: committed at the end."""
        frappe.db.rollback()  # a fresh snapshot of what requests committed
        yield
        frappe.db.commit()

    def post(self, user, **kwargs):
        return self.api.resource("POST", "Sales Order", user=user, body=body(**kwargs))

    def order_count(self) -> int:
        frappe.db.rollback()
        return frappe.db.count("Sales Order")

    def dispatch_count(self, name) -> int:
        frappe.db.rollback()
        return frappe.db.count("Fulfillment Dispatch", {"sales_order": name})

    @contextlib.contextmanager
    def discount_limits(self, **values):
        """Set MedGrid System Settings' discount limits for the block, then put back what was stored."""
        with self.committed():
            before = {k: v for k, v in frappe.db.get_singles_dict(SETTINGS).items() if k in values}
            doc = frappe.get_single(SETTINGS)
            doc.update(values)
            doc.save(ignore_permissions=True)
        try:
            yield
        finally:
            with self.committed():
                doc = frappe.get_single(SETTINGS)
                doc.update({k: before.get(k) for k in values})  # a field never stored goes back to its default
                doc.save(ignore_permissions=True)

    # ------------------------------------------------------------------------------ item 2: B01

    def test_a_negative_rate_is_refused_with_erpnexts_417(self):
        before = self.order_count()
        r = self.post("partner", lines=(("ITEM-001", 1, -100, MAIN),))
        assert r.status_code == 417, r.json_body
        message = "Incorrect value:Grand Total (Company Currency) must be >= 0.0"
        assert r.json_body["exc_type"] == "ValidationError"
        assert r.json_body["exception"] == f"frappe.exceptions.ValidationError: {message}"
        if "exc" in r.json_body:  # tracebacks shown: ERPNext raised it, as the recording says
            assert r.json_body["_exc_source"] == "erpnext (app)"
        [raw] = json.loads(r.json_body["_server_messages"])
        decoded = json.loads(raw)
        assert (decoded["message"], decoded["title"], decoded["indicator"], decoded["raise_exception"]) == \
            (message, "Message", "red", 1)
        assert self.order_count() == before

    # --------------------------------------------------------------------------- item 10: prices

    def test_a_partner_cannot_price_a_line_below_the_list(self):
        before = self.order_count()
        r = self.post("partner", lines=(("ITEM-002", 1, 0.01, MAIN),))
        assert r.status_code == 417 and r.json_body["exc_type"] == "ValidationError"
        assert r.server_messages() == ["Row #1: rate 0.01 for ITEM-002 is below the price list rate 24.50 of "
                                      "Standard Selling"]
        assert self.order_count() == before
        # at the list price, or above it, the same order is taken
        assert self.post("partner", lines=(("ITEM-002", 1, 24.50, MAIN),)).status_code == 200
        assert self.post("partner", lines=(("ITEM-002", 1, 30, MAIN),)).status_code == 200

    def test_the_rule_names_the_line_that_breaks_it(self):
        r = self.post("partner", lines=(("ITEM-002", 1, 24.50, MAIN), ("ITEM-003", 2, 1, MAIN)))
        assert r.status_code == 417
        assert r.server_messages() == ["Row #2: rate 1.00 for ITEM-003 is below the price list rate 19.00 of "
                                      "Standard Selling"]

    def test_a_partner_cannot_lower_the_price_of_its_draft(self):
        name = self.post("partner").json_body["data"]["name"]
        r = self.api.resource("GET", "Sales Order", name, user="partner")
        row = r.json_body["data"]["items"][0]
        r = self.api.resource("PUT", "Sales Order", name, user="partner",
                              body={"items": [{"name": row["name"], "item_code": "ITEM-002", "qty": 1, "rate": 0.01,
                                               "warehouse": MAIN}]})
        assert r.status_code == 417 and "rate 0.01 for ITEM-002" in r.server_messages()[0]
        # nor at the submit
        r = self.api.resource("PUT", "Sales Order", name, user="partner",
                              body={"docstatus": 1, "items": [{"name": row["name"], "item_code": "ITEM-002", "qty": 1,
                                                               "rate": 0.01, "warehouse": MAIN}]})
        assert r.status_code == 417
        with self.committed():
            assert frappe.db.get_value("Sales Order", name, "docstatus") == 0
            assert frappe.db.get_value("Sales Order Item", row["name"], "rate") == 24.5
        assert self.dispatch_count(name) == 0

    def test_an_order_discount_is_a_price_too(self):
        r = self.post("partner", additional_discount_percentage=50)
        assert r.status_code == 417
        assert r.server_messages() == ["Row #1: net rate (after the order discount) 12.25 for ITEM-002 is below the "
                                       "price list rate 24.50 of Standard Selling"]
        r = self.post("partner", discount_amount=20)
        assert r.status_code == 417 and "net rate" in r.server_messages()[0]

    def test_a_negative_charge_cannot_take_the_price_back(self):
        charge = {"charge_type": "Actual", "account_head": "Rebates - SM", "description": "Rebate", "tax_amount": -20}
        r = self.post("partner", lines=(("ITEM-002", 2, 24.50, MAIN),), taxes=[charge])
        assert r.status_code == 417
        assert r.server_messages() == ["Grand Total 29.00 is below 49.00, the lowest total price list Standard Selling "
                                      "allows for these lines"]
        assert self.post("partner", lines=(("ITEM-002", 2, 24.50, MAIN),),
                    taxes=[{**charge, "tax_amount": 5}]).status_code == 200

    def test_choosing_a_cheaper_price_list_does_not_lower_the_floor(self):
        with self.committed():
            if not frappe.db.exists("Price List", "Sec Wholesale"):
                frappe.get_doc({"doctype": "Price List", "price_list_name": "Sec Wholesale", "selling": 1,
                                "currency": "USD"}).insert(ignore_permissions=True)
                frappe.get_doc({"doctype": "Item Price", "item_code": "ITEM-002", "price_list": "Sec Wholesale",
                                "price_list_rate": 5}).insert(ignore_permissions=True)
        # no rate: ERPNext takes the chosen list's 5.00; a client-sent price_list_rate is no better
        r = self.post("partner", lines=(("ITEM-002", 1, None, MAIN),), selling_price_list="Sec Wholesale")
        assert r.status_code == 417
        assert r.server_messages() == ["Row #1: rate 5.00 for ITEM-002 is below the price list rate 24.50 of "
                                      "Standard Selling"]
        r = self.api.resource("POST", "Sales Order", user="partner", body={**body(lines=()), "items": [
            {"item_code": "ITEM-002", "qty": 1, "warehouse": MAIN, "price_list_rate": 0.5}]})
        assert r.status_code == 417 and "rate 0.50 for ITEM-002" in r.server_messages()[0]

    def test_the_customers_own_price_list_sets_its_floor(self):
        with self.committed():
            if not frappe.db.exists("Price List", "Sec Clinic List"):
                frappe.get_doc({"doctype": "Price List", "price_list_name": "Sec Clinic List", "selling": 1,
                                "currency": "USD"}).insert(ignore_permissions=True)
                frappe.get_doc({"doctype": "Item Price", "item_code": "ITEM-002", "price_list": "Sec Clinic List",
                                "price_list_rate": 20}).insert(ignore_permissions=True)
            frappe.db.set_value("Customer", "Other Clinic", "default_price_list", "Sec Clinic List")
        try:
            # the catalog shows partner2 its customer's list, and so does the order check
            r = self.api.method("medgrid.catalog.items_in_warehouse", "partner2", warehouse=MAIN)
            assert {i["item_code"]: i["rate"] for i in r.json_body["message"]}["ITEM-002"] == 20.0
            assert self.post("partner2", customer="Other Clinic", lines=(("ITEM-002", 1, 20, MAIN),)).status_code == 200
            r = self.post("partner2", customer="Other Clinic", lines=(("ITEM-002", 1, 19.99, MAIN),))
            assert r.status_code == 417
            assert r.server_messages() == ["Row #1: rate 19.99 for ITEM-002 is below the price list rate 20.00 of "
                                          "Sec Clinic List"]
        finally:
            with self.committed():
                frappe.db.set_value("Customer", "Other Clinic", "default_price_list", None)

    def test_an_item_the_list_does_not_price_cannot_be_priced_by_partners(self):
        code = low_stock_item(5)
        with self.committed():
            frappe.db.delete("Item Price", {"item_code": code})
        r = self.post("partner", lines=((code, 1, 10, MAIN),))
        assert r.status_code == 417
        assert r.server_messages() == [f"Row #1: Item {code} has no rate in price list Standard Selling"]
        assert self.post("admin", lines=((code, 1, 10, MAIN),)).status_code == 200

    def test_a_rep_cannot_price_below_the_list(self):
        r = self.post("rep", lines=(("ITEM-002", 1, 0.01, MAIN),))
        assert r.status_code == 417 and r.server_messages()[0].startswith("Row #1: rate 0.01 for ITEM-002 is below")

    def test_an_admin_may_discount_as_far_as_the_settings_allow(self):
        # the default admin limit is 100 %: any rate down to zero
        assert self.post("admin", lines=(("ITEM-002", 1, 0.01, MAIN),)).status_code == 200
        with self.discount_limits(max_discount_admin=10):
            r = self.post("admin", lines=(("ITEM-002", 1, 22.04, MAIN),))
            assert r.status_code == 417
            assert r.server_messages() == ["Row #1: rate 22.04 for ITEM-002 is below 22.05, the price list rate 24.50 "
                                          "of Standard Selling less the maximum discount of 10.0%"]
            assert self.post("admin", lines=(("ITEM-002", 1, 22.05, MAIN),)).status_code == 200

    def test_the_partner_and_rep_limits_come_from_the_settings(self):
        with self.discount_limits(max_discount_partner=10, max_discount_sales_rep=20):
            assert self.post("partner", lines=(("ITEM-002", 1, 22.05, MAIN),)).status_code == 200
            assert self.post("partner", lines=(("ITEM-002", 1, 22.04, MAIN),)).status_code == 417
            assert self.post("rep", lines=(("ITEM-002", 1, 19.60, MAIN),)).status_code == 200
            assert self.post("rep", lines=(("ITEM-002", 1, 19.59, MAIN),)).status_code == 417

    def test_a_limit_outside_0_to_100_is_refused(self):
        with self.committed():
            doc = frappe.get_single(SETTINGS)
            doc.max_discount_partner = 150
            with self.assertRaisesRegex(frappe.ValidationError, "between 0 and 100"):
                doc.save(ignore_permissions=True)

    def test_a_draft_an_admin_priced_can_be_submitted_by_its_partner(self):
        name = self.post("admin", lines=(("ITEM-002", 1, 12.25, MAIN),)).json_body["data"]["name"]
        r = self.api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 1})
        assert r.status_code == 200, r.json_body
        assert r.json_body["data"]["items"][0]["rate"] == 12.25
        assert self.dispatch_count(name) == 1

    def test_a_vendor_store_order_keeps_the_stores_prices(self):
        # orders MedGrid imports from a vendor's own store skip the marketplace checks (order_import.py)
        with self.committed():
            doc = frappe.get_doc({"doctype": "Sales Order", **body(lines=(("ITEM-002", 1, 0.5, MAIN),))})
            doc.flags.ignore_permissions = True
            doc.flags.medgrid_skip_validation = True
            doc.flags.medgrid_skip_dispatch = True
            doc.insert()
            doc.submit()
            assert (doc.docstatus, doc.items[0].rate) == (1, 0.5)

    # ---------------------------------------------------------------------------- item 11: stock

    def test_an_item_where_the_warehouse_holds_none_is_refused(self):
        # recording C08: ITEM-001 has no Bin in the Exoceuticals warehouse; real ERPNext takes the order
        before = self.order_count()
        r = self.post("partner", lines=(("ITEM-001", 1, 89, EXO),))
        assert r.status_code == 400 and r.json_body["exc_type"] == "InvalidOrderError"
        assert r.server_messages() == ["Row #1: Item ITEM-001 is not available in warehouse Skydell Exoceuticals - SM: "
                                      "0 in stock, 1 ordered"]
        assert self.order_count() == before

    def test_more_than_the_available_quantity_is_refused(self):
        code = low_stock_item(2)
        r = self.post("partner", lines=(("ITEM-002", 1, 24.5, MAIN), (code, 3, 10, MAIN)))
        assert r.status_code == 400
        assert r.server_messages() == [f"Row #2: Item {code} is not available in warehouse {MAIN}: 2 in stock, 3 ordered"]
        assert self.post("partner", lines=((code, 2, 10, MAIN),)).status_code == 200  # a draft reserves nothing

    def test_stock_is_checked_again_at_the_submit(self):
        code = low_stock_item(2)
        mine = self.post("partner", lines=((code, 2, 10, MAIN),)).json_body["data"]["name"]
        # meanwhile another order takes both units (a submitted order reserves its quantity)
        other = self.post("admin", lines=((code, 2, 10, MAIN),)).json_body["data"]["name"]
        assert self.api.resource("PUT", "Sales Order", other, user="admin", body={"docstatus": 1}).status_code == 200
        r = self.api.resource("PUT", "Sales Order", mine, user="partner", body={"docstatus": 1})
        assert r.status_code == 400 and r.json_body["exc_type"] == "InvalidOrderError"
        assert r.server_messages() == [f"Row #1: Item {code} is not available in warehouse {MAIN}: 0 in stock, 2 ordered"]
        with self.committed():
            assert frappe.db.get_value("Sales Order", mine, "docstatus") == 0
        assert self.dispatch_count(mine) == 0

    def test_the_catalog_and_the_order_check_agree(self):
        code = low_stock_item(3)
        r = self.api.method("medgrid.catalog.search_items", "partner", query=code)
        assert [(i["item_code"], i["warehouse"], i["available_qty"]) for i in r.json_body["message"]] == [(code, MAIN, 3.0)]
        assert self.post("partner", lines=((code, 3, 10, MAIN),)).status_code == 200
        assert self.post("partner", lines=((code, 1, 10, EXO),)).status_code == 400  # not listed there
        with self.committed():
            frappe.db.set_value("Item", code, "medgrid_approved", 0)  # no longer listed at all
        r = self.post("partner", lines=((code, 1, 10, MAIN),))
        assert r.status_code == 400 and "not available for sale" in r.server_messages()[0]
