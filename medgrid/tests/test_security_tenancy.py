"""Tenant isolation as an attacker meets it over HTTP (issue 12, items 7, 8, 9 and 12).

Real Frappe 15 lets each of these through (recordings A04–A06, A09–A10, A13, C07 in
security-desk.json); MedGrid's own hooks close them, on a real bench as on the runtime.
Users (medgrid/tests/api.py): partner = Demo Clinic Partner (United States), partner2 = Other
Clinic (Canada), rep = territory United States, rep2 = territory Canada.
"""

from __future__ import annotations

import contextlib
import json
from urllib.parse import quote

import frappe
from frappe.tests.utils import FrappeTestCase, patch_hooks
from frappe.utils import add_days, nowdate

from medgrid.tests import fake_connectors as fakes
from medgrid.tests.api import USERS, ApiSite
from medgrid.tests.api import order_body as api_order_body
from medgrid.tests.utils import JobQueue

# the hook through which an app replaces a vendor's connector (the last app wins)
CONNECTOR_OVERRIDE_HOOK = "medgrid_connectors"

ROLE_USERS = ("partner", "partner2", "rep", "rep2", "vendor")


def order_body(customer="Demo Clinic Partner", **extra):
    body = {"customer": customer, "transaction_date": nowdate(), "delivery_date": add_days(nowdate(), 7),
            "currency": "USD", "selling_price_list": "Standard Selling",
            "items": [{"item_code": "ITEM-001", "qty": 2, "rate": 89.0, "warehouse": "Skydell Main - SM"}]}
    body.update(extra)
    return body


def create(api, user, customer, **extra):
    r = api.resource("POST", "Sales Order", user=user, body=order_body(customer, **extra))
    assert r.status_code == 200, r.json_body
    return r.json_body["data"]["name"]


def submit(api, name, user="admin"):
    r = api.resource("PUT", "Sales Order", name, user=user, body={"docstatus": 1})
    assert r.status_code == 200, r.json_body


def child_rows(api, user, doctype, parent, filters=None, via="resource"):
    """Child rows the user gets with ``parent=<parent>`` (HTTP status, rows)."""
    fields = ["name", "parent", "parenttype"]
    if via == "resource":
        params = {"parent": parent, "fields": json.dumps(fields), "limit_page_length": 0}
        if filters:
            params["filters"] = json.dumps(filters)
        r = api.resource("GET", doctype, user=user, params=params)
        return r.status_code, (r.json_body or {}).get("data")
    body = {"doctype": doctype, "parent": parent, "fields": fields, "limit_page_length": 0}
    if filters:
        body["filters"] = filters
    r = api.method("frappe.client.get_list", user, "POST", **body)
    return r.status_code, (r.json_body or {}).get("message")

def server_messages(response) -> list[str]:
    return response.server_messages()


@contextlib.contextmanager
def committed():
    """Set-up or checks on the site between requests: a fresh snapshot, committed at the end."""
    frappe.db.rollback()
    yield
    frappe.db.commit()


def make_orders(api):
    """One submitted order of each clinic (dispatched by the fake vendors) and one draft each (tests that
    try to change an order make their own)."""
    us = create(api, "partner", "Demo Clinic Partner")
    ca = create(api, "partner2", "Other Clinic")
    submit(api, us)
    submit(api, ca)
    return {"us": us, "ca": ca, "us_draft": create(api, "partner", "Demo Clinic Partner"),
            "ca_draft": create(api, "partner2", "Other Clinic")}


class TestTenancy(FrappeTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = ApiSite().build()
        with patch_hooks({CONNECTOR_OVERRIDE_HOOK: fakes.CONNECTOR_OVERRIDES}):
            jobs = JobQueue().start()
            try:
                cls.orders = make_orders(cls.api)
                jobs.commit()
            finally:
                jobs.stop()

    def setUp(self):
        fakes.reset()
        hooks = patch_hooks({CONNECTOR_OVERRIDE_HOOK: fakes.CONNECTOR_OVERRIDES})
        hooks.__enter__()
        self.addCleanup(hooks.__exit__, None, None, None)
        self.jobs = JobQueue().start()
        self.addCleanup(self.jobs.stop)

    # ------------------------------------------------------------------ 7. child rows through `parent`

    def test_child_rows_only_of_parents_the_caller_may_read(self):
        api, orders = self.api, self.orders
        # A05 / A09: another clinic's order lines by naming the order as a filter
        for via in ("resource", "get_list"):
            status, rows = child_rows(api, "partner", "Sales Order Item", "Sales Order",
                                      [["parent", "=", orders["ca"]]], via=via)
            assert status == 200 and rows == [], (via, rows)
            status, rows = child_rows(api, "partner", "Sales Order Item", "Sales Order",
                                      [["parent", "=", orders["us"]]], via=via)
            assert status == 200 and {r["parent"] for r in rows} == {orders["us"]}
        # A06: without a filter only the caller's own orders' lines come back
        with committed():
            own = set(frappe.get_all("Sales Order", filters={"customer": "Demo Clinic Partner"}, pluck="name"))
        for doctype in ("Sales Order Item", "Payment Schedule"):
            status, rows = child_rows(api, "partner", doctype, "Sales Order")
            assert status == 200 and rows and {r["parent"] for r in rows} <= own, doctype
        # a rep: its territory's lines, not another territory's
        status, rows = child_rows(api, "rep2", "Sales Order Item", "Sales Order")
        assert status == 200 and orders["ca"] in {r["parent"] for r in rows}
        assert not {orders["us"], orders["us_draft"]} & {r["parent"] for r in rows}
        # dispatch lines follow the dispatch, which follows the order
        status, rows = child_rows(api, "rep2", "Fulfillment Dispatch Line", "Fulfillment Dispatch")
        with committed():
            us_dispatches = set(frappe.get_all("Fulfillment Dispatch", filters={"sales_order": orders["us"]},
                                               pluck="name"))
        assert us_dispatches and status == 200 and not us_dispatches & {r["parent"] for r in rows}

    def test_has_role_rows_only_of_ones_own_user(self):
        api = self.api
        # A13: parent=User listed every user's (and every Page's and Report's) roles to a rep
        status, rows = child_rows(api, "rep", "Has Role", "User")
        assert status == 200 and rows
        assert {(r["parenttype"], r["parent"]) for r in rows} == {("User", USERS["rep"][0])}
        # a Marketplace Admin may not read other Users either; a System Manager may
        status, rows = child_rows(api, "admin", "Has Role", "User")
        assert status == 200 and {r["parent"] for r in rows} == {USERS["admin"][0]}
        with committed():
            frappe.set_user("Administrator")
            from medgrid.permissions import has_role_query

            assert has_role_query(USERS["admin"][0]) and not has_role_query("Administrator")
            manager = USERS["admin"][0]
            frappe.get_doc("User", manager).add_roles("System Manager")
        try:
            status, rows = child_rows(api, "admin", "Has Role", "User")
            assert status == 200 and USERS["rep"][0] in {r["parent"] for r in rows}
        finally:
            with committed():
                frappe.get_doc("User", manager).remove_roles("System Manager")

    def test_address_links_of_another_clinic_stay_hidden(self):
        api = self.api
        status, rows = child_rows(api, "partner2", "Dynamic Link", "Address")
        assert status == 200 and "Demo Clinic Partner-Shipping" not in {r["parent"] for r in rows}
        status, rows = child_rows(api, "partner", "Dynamic Link", "Address")
        assert status == 200 and "Demo Clinic Partner-Shipping" in {r["parent"] for r in rows}
        names = {row["name"] for row in api.resource("GET", "Address", user="partner2",
                                                     params={"limit_page_length": 0}).json_body["data"]}
        assert "Demo Clinic Partner-Shipping" not in names
        assert api.resource("GET", "Address", "Demo Clinic Partner-Shipping", user="partner2").status_code == 403
        assert api.resource("GET", "Address", "Demo Clinic Partner-Shipping", user="partner").status_code == 200

    def test_every_child_table_of_a_tenant_doctype_is_covered(self):
        """A new child table under an order, a customer or a dispatch must get the child-row rule too."""
        api = self.api
        from medgrid.permissions import CHILD_TABLE_PARENTS

        with committed():
            hooks = frappe.get_hooks("permission_query_conditions")
            for child in CHILD_TABLE_PARENTS:
                assert hooks.get(child) == ["medgrid.permissions.child_table_query"], child
            for parent in ("Sales Order", "Customer", "Address", "Contact", "Fulfillment Dispatch", "MedGrid Sales Rep"):
                for df in frappe.get_meta(parent).get_table_fields():
                    assert parent in CHILD_TABLE_PARENTS.get(df.options, ()), (parent, df.options)

    # ------------------------------------------------------------------ 8. ownership change by update

    @staticmethod
    def _customer(api, name):
        with committed():
            return frappe.db.get_value("Sales Order", name, ["customer", "territory", "owner"], as_dict=True)

    def test_partner_cannot_take_another_clinics_draft(self):
        api, orders = self.api, self.orders
        victim = create(api, "partner2", "Other Clinic")
        before = self._customer(api, victim)
        mine = {"customer": "Demo Clinic Partner"}
        attempts = [
            api.resource("PUT", "Sales Order", victim, user="partner", body=mine),
            api.request("POST", "/api/method/frappe.client.set_value", "partner",
                        body={"doctype": "Sales Order", "name": victim, "fieldname": mine}),
            api.request("PATCH", f"/api/v2/document/Sales%20Order/{quote(victim)}", "partner", body=mine),
        ]
        with committed():
            stolen = frappe.get_doc("Sales Order", victim).as_dict(convert_dates_to_str=True)
        stolen.update(mine)
        attempts.append(api.method("frappe.client.save", "partner", "POST", doc=stolen))
        for r in attempts:
            # v2 answers {"errors": [{"type": ...}]}, v1 {"exc_type": ...}
            assert r.status_code == 403, r.json_body
            assert (r.json_body.get("exc_type") or r.json_body["errors"][0]["type"]) == "PermissionError"
        assert self._customer(api, victim) == before
        # its own draft it still edits
        r = api.resource("PUT", "Sales Order", orders["us_draft"], user="partner", body={"po_no": "PO-1"})
        assert r.status_code == 200, r.json_body

    def test_partner_cannot_submit_or_cancel_another_clinics_order_by_retargeting_it(self):
        api, orders = self.api, self.orders
        victim = create(api, "partner2", "Other Clinic")
        r = api.resource("PUT", "Sales Order", victim, user="partner",
                         body={"customer": "Demo Clinic Partner", "docstatus": 1})
        assert r.status_code == 403
        r = api.resource("PUT", "Sales Order", orders["ca"], user="partner",
                         body={"customer": "Demo Clinic Partner", "docstatus": 2})
        assert r.status_code == 403
        with committed():
            assert frappe.db.get_value("Sales Order", victim, "docstatus") == 0
            assert frappe.db.get_value("Sales Order", orders["ca"], ["docstatus", "customer"]) == (1, "Other Clinic")

    def test_rep_cannot_pull_an_order_into_its_territory(self):
        api, orders = self.api, self.orders
        victim = create(api, "partner2", "Other Clinic")
        before = self._customer(api, victim)
        r = api.resource("PUT", "Sales Order", victim, user="rep", body={"territory": "United States"})
        assert r.status_code == 403 and r.json_body["exc_type"] == "PermissionError"
        assert self._customer(api, victim) == before
        # an order of its own territory it may still edit, but not push out of it
        r = api.resource("PUT", "Sales Order", orders["us_draft"], user="rep", body={"po_no": "PO-REP"})
        assert r.status_code == 200, r.json_body
        r = api.resource("PUT", "Sales Order", orders["us_draft"], user="rep", body={"territory": "Canada"})
        assert r.status_code == 403

    def test_partner_cannot_relink_another_clinics_address(self):
        api = self.api
        r = api.resource("PUT", "Address", "Demo Clinic Partner-Shipping", user="partner2",
                         body={"links": [{"link_doctype": "Customer", "link_name": "Other Clinic"}]})
        assert r.status_code == 403
        with committed():
            links = frappe.get_all("Dynamic Link", filters={"parent": "Demo Clinic Partner-Shipping"}, pluck="link_name")
        assert links == ["Demo Clinic Partner"]
        # an address for another clinic cannot be created either
        r = api.resource("POST", "Address", user="partner2",
                         body={"address_title": "Foreign", "address_type": "Billing", "address_line1": "1 Main St",
                               "city": "Austin", "country": "United States",
                               "links": [{"link_doctype": "Customer", "link_name": "Demo Clinic Partner"}]})
        assert r.status_code == 403

    def test_partner_and_vendor_cannot_link_an_address_to_another_clinic(self):
        api = self.api
        body = {"address_title": "Foreign", "address_type": "Billing", "address_line1": "1 Main St", "city": "Austin",
                "country": "United States", "links": [{"link_doctype": "Customer", "link_name": "Demo Clinic Partner"}]}
        for user in ("partner2", "vendor"):
            r = api.resource("POST", "Address", user=user, body=body)
            assert r.status_code == 403, (user, r.json_body)
        r = api.resource("POST", "Address", user="partner", body=body)
        assert r.status_code == 200, r.json_body

    def test_an_owners_contact_cannot_be_taken_over(self):
        """Contacts are everyone's own ("All", if owner): setting `owner` to oneself must not hand one over,
        not to a Marketplace Admin either (it is not a System Manager)."""
        api = self.api
        r = api.resource("POST", "Contact", user="partner2", body={"first_name": "Dr Other", "email_id": "dr@other.example"})
        assert r.status_code == 200, r.json_body
        contact = r.json_body["data"]["name"]
        for user in ("partner", "admin"):
            r = api.resource("PUT", "Contact", contact, user=user, body={"owner": USERS[user][0], "first_name": "Mine"})
            assert r.status_code == 403, (user, r.json_body)
        with committed():
            assert frappe.db.get_value("Contact", contact, ["owner", "first_name"]) == (USERS["partner2"][0], "Dr Other")

    def test_lone_rows_only_on_ones_own_draft(self):
        """POST/DELETE on a child doctype: Frappe checks only the right on the parent, so a line at any rate
        would land on an order already placed (or vanish from one), or on another clinic's draft."""
        api, orders = self.api, self.orders
        draft = create(api, "partner", "Demo Clinic Partner")
        foreign_draft = create(api, "partner2", "Other Clinic")
        with committed():
            # a complete line (every mandatory field), at a rate of 0.01
            line = frappe.get_doc("Sales Order", draft).items[0].as_dict(convert_dates_to_str=True)
            placed_rows = frappe.get_all("Sales Order Item", filters={"parent": orders["us"]}, pluck="name")
        line = {k: v for k, v in line.items() if k not in ("name", "idx", "creation", "modified", "owner",
                                                             "modified_by", "doctype", "parent", "docstatus")}
        line.update(rate=0.01, amount=0.01, qty=1)
        for user, parent, status in (("partner", orders["us"], 417), ("admin", orders["us"], 417),
                                     ("partner", foreign_draft, 403)):
            r = api.resource("POST", "Sales Order Item", user=user,
                             body={**line, "parent": parent, "parenttype": "Sales Order", "parentfield": "items"})
            assert r.status_code == status, (user, parent, r.json_body)
        r = api.resource("DELETE", "Sales Order Item", placed_rows[0], user="admin")
        assert 400 <= r.status_code < 500, r.json_body
        with committed():
            assert frappe.db.count("Sales Order Item", {"parent": orders["us"]}) == len(placed_rows)
            assert frappe.db.count("Sales Order Item", {"parent": foreign_draft}) == 1
            assert not frappe.db.count("Sales Order Item", {"parent": ["in", [orders["us"], foreign_draft]], "rate": 0.01})
        # an address row linking another clinic's customer is refused like the address itself
        r = api.resource("POST", "Dynamic Link", user="partner",
                         body={"parent": "Demo Clinic Partner-Shipping", "parenttype": "Address", "parentfield": "links",
                               "link_doctype": "Customer", "link_name": "Other Clinic"})
        assert r.status_code == 403, r.json_body
        # through the order, lines change as the order's rules allow
        r = api.resource("PUT", "Sales Order", draft, user="partner",
                         body={"items": [{"item_code": "ITEM-001", "qty": 1, "rate": 89.0, "warehouse": "Skydell Main - SM"},
                                         {"item_code": "ITEM-002", "qty": 1, "rate": 24.5, "warehouse": "Skydell Main - SM"}]})
        assert r.status_code == 200, r.json_body
        with committed():
            assert frappe.db.count("Sales Order Item", {"parent": draft}) == 2

    # ------------------------------------------------------------------ 9. amending another's order

    def test_partner_cannot_amend_another_clinics_cancelled_order(self):
        api = self.api
        foreign = create(api, "admin", "Other Clinic")
        submit(api, foreign)
        assert api.resource("PUT", "Sales Order", foreign, user="admin", body={"docstatus": 2}).status_code == 200
        r = api.resource("POST", "Sales Order", user="partner", body=order_body(amended_from=foreign))
        assert r.status_code == 403 and r.json_body["exc_type"] == "PermissionError", r.json_body
        with committed():
            assert not frappe.db.exists("Sales Order", {"amended_from": foreign})
        # its own cancelled order it amends
        own = create(api, "partner", "Demo Clinic Partner")
        submit(api, own, user="partner")
        assert api.resource("PUT", "Sales Order", own, user="partner", body={"docstatus": 2}).status_code == 200
        r = api.resource("POST", "Sales Order", user="partner", body=order_body(amended_from=own))
        assert r.status_code == 200 and r.json_body["data"]["name"] == f"{own}-1", r.json_body

    # ------------------------------------------------------------------ 12. dispatches follow the order

    def test_reps_see_only_the_dispatches_of_their_orders(self):
        api, orders = self.api, self.orders
        with committed():
            dispatches = {so: set(frappe.get_all("Fulfillment Dispatch", filters={"sales_order": so}, pluck="name"))
                          for so in (orders["us"], orders["ca"])}
        assert dispatches[orders["us"]] and dispatches[orders["ca"]]
        for rep, own, other in (("rep", "us", "ca"), ("rep2", "ca", "us")):
            r = api.resource("GET", "Fulfillment Dispatch", user=rep,
                             params={"fields": json.dumps(["name", "sales_order"]), "limit_page_length": 0})
            assert r.status_code == 200
            seen = {row["name"] for row in r.json_body["data"]}
            assert dispatches[orders[own]] <= seen and not dispatches[orders[other]] & seen, rep
            r = api.resource("GET", "Fulfillment Dispatch", next(iter(dispatches[orders[other]])), user=rep)
            assert r.status_code == 403, rep
            assert api.resource("GET", "Fulfillment Dispatch", next(iter(dispatches[orders[own]])),
                                user=rep).status_code == 200
        # webhook events and integration logs are the admins' alone (guide: no vendor records for reps)
        for doctype in ("MedGrid Webhook Event", "MedGrid Integration Log"):
            for user in ROLE_USERS:
                assert api.resource("GET", doctype, user=user).status_code == 403, (doctype, user)
            assert api.resource("GET", doctype, user="admin").status_code == 200

    def test_webhook_events_and_logs_follow_the_order_even_if_a_site_opens_them(self):
        """Should a site grant reps read on events and logs (Role Permission Manager), rows still follow
        the order: events about, and logs of, the rep's own territory's orders (or their dispatches) only."""
        api, orders = self.api, self.orders
        from frappe.permissions import add_permission

        rep_role = "Internal Sales Rep"
        doctypes = ("MedGrid Webhook Event", "MedGrid Integration Log")

        def insert(frappe, **values):
            return frappe.get_doc(values).insert(ignore_permissions=True).name

        with committed():
            for doctype in doctypes:
                add_permission(doctype, rep_role)
                frappe.clear_cache(doctype=doctype)
            made = {}
            for key in ("us", "ca"):
                so = orders[key]
                dispatch = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": so}, pluck="name")[0]
                made[key] = {
                    "event": insert(frappe, doctype="MedGrid Webhook Event", vendor="sinq", event_type="shipped",
                                    dedupe_key=f"tenancy-{so}", status="Processed", sales_order=so, payload="{}"),
                    "order log": insert(frappe, doctype="MedGrid Integration Log", vendor="sinq", status="Success",
                                        reference_doctype="Sales Order", reference_name=so),
                    "dispatch log": insert(frappe, doctype="MedGrid Integration Log", vendor="sinq", status="Success",
                                           reference_doctype="Fulfillment Dispatch", reference_name=dispatch),
                }
            unrelated = insert(frappe, doctype="MedGrid Integration Log", vendor="shopify", status="Success",
                               reference_doctype="Shopify Connection", reference_name="x")
        try:
            seen = set()
            for doctype in doctypes:
                r = api.resource("GET", doctype, user="rep", params={"limit_page_length": 0})
                assert r.status_code == 200, r.json_body
                seen |= {row["name"] for row in r.json_body["data"]}
            assert set(made["us"].values()) <= seen
            assert not set(made["ca"].values()) & seen and unrelated not in seen
            assert api.resource("GET", "MedGrid Webhook Event", made["ca"]["event"], user="rep").status_code == 403
            assert api.resource("GET", "MedGrid Webhook Event", made["us"]["event"], user="rep").status_code == 200
            for name in (made["ca"]["order log"], made["ca"]["dispatch log"], unrelated):
                assert api.resource("GET", "MedGrid Integration Log", name, user="rep").status_code == 403
            assert api.resource("GET", "MedGrid Integration Log", made["us"]["dispatch log"],
                                user="rep").status_code == 200
        finally:
            with committed():
                for doctype in doctypes:
                    frappe.db.delete("Custom DocPerm", {"parent": doctype, "role": rep_role})
                    frappe.clear_cache(doctype=doctype)
        for doctype in doctypes:
            assert api.resource("GET", doctype, user="rep").status_code == 403

    def test_an_order_names_only_its_own_customers_address_and_contact(self):
        """A partner may not ship to (and read back) another clinic's address through its own order."""
        api = self.api
        for field in ("shipping_address_name", "customer_address"):
            body = api_order_body(**{field: "Other Clinic-Shipping"})
            r = api.resource("POST", "Sales Order", user="partner", body=body)
            assert r.status_code == 403 and r.json_body["exc_type"] == "PermissionError", r.json_body
            assert "is not linked to Customer Demo Clinic Partner" in " ".join(server_messages(r))
        with committed():
            assert not frappe.db.exists("Sales Order", {"shipping_address_name": "Other Clinic-Shipping",
                                                        "customer": "Demo Clinic Partner"})
            assert not frappe.db.exists("Sales Order", {"customer_address": "Other Clinic-Shipping",
                                                        "customer": "Demo Clinic Partner"})
        # its own address is fine, and the address display is refused for the other clinic's
        assert api.resource("POST", "Sales Order", user="partner", body=api_order_body()).status_code == 200
        r = api.method("erpnext.contacts.doctype.address.address.get_address_display", "partner",
                       address_dict="Other Clinic-Shipping")
        assert r.status_code == 403

    def test_a_cancel_changes_nothing_but_the_docstatus(self):
        """PUT {"docstatus": 2} with rewritten lines would store them with the cancel (Frappe skips validation
        there) and release the stock of the rewritten lines instead of the submitted ones."""
        api = self.api
        r = api.resource("POST", "Sales Order", user="partner", body=api_order_body())
        assert r.status_code == 200, r.json_body
        name = r.json_body["data"]["name"]
        assert api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 1}).status_code == 200
        with committed():
            reserved = frappe.db.get_value("Bin", {"item_code": "ITEM-001", "warehouse": "Skydell Main - SM"},
                                           "reserved_qty")
        rewritten = {"docstatus": 2, "grand_total": 1, "items": [{"item_code": "ITEM-002", "qty": 1, "rate": 0.01,
                                                                   "warehouse": "Skydell Main - SM"}]}
        for user in ("partner", "admin"):
            r = api.resource("PUT", "Sales Order", name, user=user, body=rewritten)
            assert r.status_code == 417 and r.json_body["exc_type"] == "UpdateAfterSubmitError", r.json_body
        with committed():
            assert frappe.db.get_value("Sales Order", name, "docstatus") == 1
            assert frappe.get_all("Sales Order Item", filters={"parent": name}, pluck="item_code") == ["ITEM-001"]
        r = api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 2})
        assert r.status_code == 200, r.json_body
        with committed():
            after = frappe.db.get_value("Bin", {"item_code": "ITEM-001", "warehouse": "Skydell Main - SM"}, "reserved_qty")
        assert after == reserved - 5  # the submitted line's reservation is the one released
