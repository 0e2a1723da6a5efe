"""Placing and tracking orders over HTTP as each MedGrid role, as the guide describes."""

from __future__ import annotations

import frappe
from frappe.tests.utils import FrappeTestCase, patch_hooks
from frappe.utils import nowdate

from medgrid.tests import fake_connectors as fakes
from medgrid.tests.api import USERS, ApiSite, order_body
from medgrid.tests.utils import JobQueue

AGG = "medgrid.fulfillment_router.aggregate_shipments"
# the hook through which an app replaces a vendor's connector (the last app wins)
CONNECTOR_OVERRIDE_HOOK = "medgrid_connectors"


class TestOrdersApi(FrappeTestCase):
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

    def create(self, user="partner", **kwargs):
        r = self.api.resource("POST", "Sales Order", user=user, body=order_body(**kwargs))
        self.assertEqual(r.status_code, 200, r.json_body)
        return r.json_body["data"]

    def names(self, user):
        r = self.api.resource("GET", "Sales Order", user=user, params={"limit_page_length": 0})
        return {row["name"] for row in r.json_body["data"]}

    def test_partner_creates_a_draft_as_in_the_guide(self):
        data = self.create()
        self.assertTrue(data["name"].startswith(f"SO-{nowdate()[:4]}-"))
        self.assertEqual((data["status"], data["grand_total"], data["docstatus"]), ("Draft", 445.0, 0))

    def test_partner_submits_and_the_router_dispatches(self):
        name = self.create()["name"]
        r = self.api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 1})
        self.assertEqual(r.status_code, 200, r.json_body)
        self.assertEqual((r.json_body["data"]["docstatus"], r.json_body["data"]["status"]), (1, "To Deliver and Bill"))
        self.jobs.commit()  # the worker sends what the submit queued
        rows = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": name}, fields=["vendor", "status"])
        self.assertEqual([(row.vendor, row.status) for row in rows], [("centre_research", "Sent")])
        self.assertEqual([s[:2] for s in fakes.SENT if s[1] == name], [("centre_research", name)])
        r = self.api.method(AGG, "partner", "POST", sales_order=name)
        self.assertEqual(r.status_code, 200)
        shipments = r.json_body["message"]["shipments"]
        self.assertEqual(r.json_body["message"]["sales_order"], name)
        self.assertEqual([s["vendor"] for s in shipments], ["centre_research"])
        self.assertEqual(set(shipments[0]), {"vendor", "vendor_label", "status", "tracking_number", "carrier",
                                             "tracking_url"})

    def test_partner_cannot_order_for_another_customer(self):
        r = self.api.resource("POST", "Sales Order", user="partner", body=order_body(customer="Other Clinic"))
        self.assertEqual(r.status_code, 403)
        self.assertFalse(frappe.db.exists("Sales Order", {"customer": "Other Clinic", "owner": USERS["partner"][0]}))

    def test_partner_sees_only_its_customers_orders(self):
        mine = self.create()["name"]
        other = self.create(user="partner2", customer="Other Clinic")["name"]
        names = self.names("partner")
        self.assertIn(mine, names)
        self.assertNotIn(other, names)
        self.assertEqual(self.api.resource("GET", "Sales Order", other, user="partner").status_code, 403)
        self.assertEqual(self.api.method(AGG, "partner", "POST", sales_order=other).status_code, 403)

    def test_sales_rep_sees_its_territory_and_its_own_orders(self):
        us_order = self.create()["name"]  # Demo Clinic Partner is in the United States
        ca_order = self.create(user="partner2", customer="Other Clinic")["name"]  # Canada
        self.assertIn(us_order, self.names("rep"))
        self.assertNotIn(ca_order, self.names("rep"))
        self.assertIn(ca_order, self.names("rep2"))
        self.assertNotIn(us_order, self.names("rep2"))
        self.assertEqual(self.api.resource("GET", "Sales Order", ca_order, user="rep").status_code, 403)
        own = self.create(user="rep2")["name"]  # a US order created by the Canada rep
        self.assertIn(own, self.names("rep2"))
        self.assertEqual(self.api.resource("GET", "Sales Order", own, user="rep2").status_code, 200)

    def test_sales_rep_cannot_approve_vendor_products(self):
        r = self.api.resource("PUT", "Item", "ITEM-002", user="rep", body={"medgrid_approved": 0})
        self.assertEqual(r.status_code, 403)
        r = self.api.resource("PUT", "Item", "ITEM-002", user="admin",
                              body={"medgrid_approved": 1, "item_name": "Sterile Syringe 5ml (box of 100)"})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(frappe.db.get_value("Item", "ITEM-002", "medgrid_approved"), 1)

    def test_unknown_order_is_404_and_missing_parameter_400(self):
        r = self.api.method(AGG, "partner", "POST", sales_order="SO-2026-99999")
        self.assertEqual((r.status_code, r.json_body["exc_type"]), (404, "DoesNotExistError"))
        r = self.api.method(AGG, "partner", "POST")
        self.assertEqual(r.status_code, 400)
        self.assertTrue(r.server_messages())

    def test_admin_redispatch_answers_409_and_417(self):
        draft = self.create()["name"]
        r = self.api.method("medgrid.fulfillment_router.dispatch_vendor", "admin", "POST", sales_order=draft,
                            vendor="centre_research")
        self.assertEqual(r.status_code, 417)
        self.api.resource("PUT", "Sales Order", draft, user="partner", body={"docstatus": 1})
        frappe.db.set_value("Fulfillment Dispatch", {"sales_order": draft}, "status", "Sent")
        frappe.db.commit()
        r = self.api.method("medgrid.fulfillment_router.dispatch_vendor", "admin", "POST", sales_order=draft,
                            vendor="centre_research")
        self.assertEqual((r.status_code, r.json_body["exc_type"]), (409, "AlreadyDispatchedError"))
        r = self.api.method("medgrid.fulfillment_router.dispatch_vendor", "partner", "POST", sales_order=draft,
                            vendor="centre_research")
        self.assertEqual(r.status_code, 403)

    def test_bad_lines_are_refused_with_clear_errors_and_nothing_saved(self):
        r = self.api.resource("POST", "Sales Order", user="partner", body=order_body(items=(("ITEM-001", 0),)))
        self.assertEqual((r.status_code, r.json_body["exc_type"]), (417, "InvalidQtyError"))
        frappe.db.set_value("Item", "ITEM-003", "medgrid_approved", 0)
        frappe.db.commit()
        try:
            r = self.api.resource("POST", "Sales Order", user="partner", body=order_body(items=(("ITEM-003", 1),)))
            self.assertEqual(r.status_code, 400)
            self.assertIn("not available for sale", r.server_messages()[0])
        finally:
            frappe.db.set_value("Item", "ITEM-003", "medgrid_approved", 1)
            frappe.db.commit()
        r = self.api.resource("POST", "Sales Order", user="partner", body=order_body(items=(("ITEM-004", 1),)))
        self.assertEqual(r.status_code, 417)
        self.assertIn("Prescription items need patient and prescriber", r.server_messages()[0])

    def test_vendor_and_roleless_users_cannot_touch_orders(self):
        self.assertEqual(self.api.resource("GET", "Sales Order", user="vendor").status_code, 403)
        self.assertEqual(self.api.resource("POST", "Sales Order", user="norole", body=order_body()).status_code, 403)
