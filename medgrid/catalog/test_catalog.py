"""The guide's catalog methods (``medgrid.catalog``) as each role calls them: shapes, defaults, paging,
errors (exception type and the HTTP status it answers with) and who may call them."""

from __future__ import annotations

import frappe
from frappe.permissions import add_user_permission
from frappe.tests.utils import FrappeTestCase

from medgrid import catalog
from medgrid.setup.demo import make_demo_data

PARTNER = "test-catalog-partner@clinic.example"
REP = "test-catalog-rep@medgrid.example"
NOROLE = "test-catalog-norole@example.com"
MAIN = "Skydell Main - SM"
EXO = "Skydell Exoceuticals - SM"


def make_user(email, roles, customer=None):
    if not frappe.db.exists("User", email):
        frappe.get_doc({"doctype": "User", "email": email, "first_name": email.split("@")[0],
                        "send_welcome_email": 0, "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
        if customer:
            add_user_permission("Customer", customer, email, ignore_permissions=True)


def available(item_code, warehouse=MAIN):
    """What can be sold now: the Bin's actual minus reserved quantity (orders of other tests reserve)."""
    actual, reserved = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse},
                                           ["actual_qty", "reserved_qty"])
    return actual - reserved


class TestCatalog(FrappeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        make_demo_data()
        make_user(PARTNER, ["Customer / Partner Platform"], "Demo Clinic Partner")
        make_user(REP, ["Internal Sales Rep"])
        make_user(NOROLE, [])
        frappe.db.commit()

    def setUp(self):
        frappe.cache().delete_value(catalog.WAREHOUSES_CACHE_KEY)
        self.addCleanup(frappe.db.rollback)

    def call(self, user, method, **kwargs):
        with self.set_user(user):
            frappe.is_whitelisted(method)  # what the HTTP handler checks before calling
            return method(**kwargs)

    def assertAnswers(self, status, exc_type, user, method, **kwargs):
        """The call fails the way the API answers it: ``exc_type`` with HTTP ``status`` and a message."""
        with self.assertRaises(frappe.ValidationError if status != 403 else frappe.PermissionError) as caught:
            self.call(user, method, **kwargs)
        self.assertEqual(type(caught.exception).__name__, exc_type)
        self.assertEqual(caught.exception.http_status_code, status)
        self.assertTrue(str(caught.exception) or frappe.local.message_log)

    def test_list_warehouses_returns_the_guides_shape(self):
        self.assertEqual(self.call(PARTNER, catalog.list_warehouses), [
            {"name": EXO, "warehouse_name": "Skydell Exoceuticals"},
            {"name": MAIN, "warehouse_name": "Skydell Main"},
        ])

    def test_list_warehouses_needs_authentication(self):
        with self.assertRaises(frappe.PermissionError) as caught:
            self.call("Guest", catalog.list_warehouses)
        self.assertEqual(caught.exception.http_status_code, 403)

    def test_items_in_warehouse_lists_stock_with_rate(self):
        expected_qty = available("ITEM-001")
        rows = self.call(PARTNER, catalog.items_in_warehouse, warehouse=MAIN)
        self.assertEqual(rows[0], {"item_code": "ITEM-001", "item_name": "BPC-157 5mg",
                                   "description": "Body Protection Compound 157, 5mg lyophilized peptide",
                                   "stock_uom": "Nos", "rate": 89.0, "available_qty": expected_qty})
        self.assertLessEqual(expected_qty, 142.0)
        self.assertEqual([row["item_code"] for row in rows], ["ITEM-001", "ITEM-002", "ITEM-003", "ITEM-004"])
        self.assertTrue(all(row["available_qty"] > 0 for row in rows))

    def test_items_in_warehouse_paging_uses_frappes_names(self):
        rows = self.call(PARTNER, catalog.items_in_warehouse, warehouse=MAIN, limit_start=1, limit_page_length=2)
        self.assertEqual([row["item_code"] for row in rows], ["ITEM-002", "ITEM-003"])

    def test_items_in_warehouse_errors(self):
        for params, status, exc_type in (
            ({}, 400, "MissingParameterError"),
            ({"warehouse": "  "}, 400, "MissingParameterError"),
            ({"warehouse": "Nowhere - SM"}, 404, "DoesNotExistError"),
            ({"warehouse": MAIN, "price_list": "No Such List"}, 400, "InvalidParameterError"),
            ({"warehouse": MAIN, "limit_page_length": "ten"}, 400, "InvalidParameterError"),
            ({"warehouse": MAIN, "limit_start": "-1"}, 400, "InvalidParameterError"),
        ):
            with self.subTest(params=params):
                self.assertAnswers(status, exc_type, PARTNER, catalog.items_in_warehouse, **params)

    def test_price_list_defaults_to_the_customers(self):
        if not frappe.db.exists("Price List", "Partner Prices"):
            frappe.get_doc({"doctype": "Price List", "price_list_name": "Partner Prices", "currency": "USD",
                            "selling": 1, "enabled": 1}).insert()
            frappe.get_doc({"doctype": "Item Price", "item_code": "ITEM-001", "price_list": "Partner Prices",
                            "price_list_rate": 80}).insert()
        frappe.db.set_value("Customer", "Demo Clinic Partner", "default_price_list", "Partner Prices")
        rows = self.call(PARTNER, catalog.items_in_warehouse, warehouse=MAIN)
        self.assertEqual(rows[0]["rate"], 80.0)
        rows = self.call(PARTNER, catalog.items_in_warehouse, warehouse=MAIN, price_list="Standard Selling")
        self.assertEqual(rows[0]["rate"], 89.0)
        # a sales rep has no customer: the selling default applies
        self.assertEqual(self.call(REP, catalog.items_in_warehouse, warehouse=MAIN)[0]["rate"], 89.0)

    def test_search_items_across_warehouses_has_a_warehouse_column(self):
        self.assertEqual(self.call(PARTNER, catalog.search_items, query="bpc"), [
            {"item_code": "ITEM-001", "item_name": "BPC-157 5mg", "rate": 89.0,
             "available_qty": available("ITEM-001"), "warehouse": MAIN}])

    def test_search_items_matches_code_name_and_description(self):
        def codes(query):
            return [row["item_code"] for row in self.call(REP, catalog.search_items, query=query)]

        self.assertEqual(codes("ITEM-00"), ["ITEM-001", "ITEM-002", "ITEM-003", "ITEM-004", "ITEM-005"])
        self.assertEqual(codes("syringe"), ["ITEM-002"])
        self.assertEqual(codes("lyophilized"), ["ITEM-001"])
        self.assertEqual(codes("nothing-like-this"), [])

    def test_search_items_in_a_warehouse_is_strict(self):
        rows = self.call(PARTNER, catalog.search_items, query="ITEM", warehouse=EXO)
        self.assertEqual([(row["item_code"], row["warehouse"]) for row in rows], [("ITEM-005", EXO)])

    def test_search_items_errors(self):
        for params, status in (({}, 400), ({"query": ""}, 400), ({"query": "bpc", "warehouse": "Nowhere - SM"}, 404)):
            with self.subTest(params=params):
                with self.assertRaises(frappe.ValidationError) as caught:
                    self.call(PARTNER, catalog.search_items, **params)
                self.assertEqual(caught.exception.http_status_code, status)

    def test_catalog_is_closed_to_users_without_a_role(self):
        for method, params in ((catalog.search_items, {"query": "bpc"}),
                               (catalog.items_in_warehouse, {"warehouse": MAIN})):
            with self.subTest(method=method.__name__):
                with self.assertRaises(frappe.PermissionError) as caught:
                    self.call(NOROLE, method, **params)
                self.assertEqual(caught.exception.http_status_code, 403)

    def test_search_items_pages_over_item_and_warehouse_rows(self):
        rows = self.call(REP, catalog.search_items, query="ITEM", limit_start=1, limit_page_length=2)
        self.assertEqual([(row["item_code"], row["warehouse"]) for row in rows],
                         [("ITEM-002", MAIN), ("ITEM-003", MAIN)])
