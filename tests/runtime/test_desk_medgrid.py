"""Issue 13: the Desk's server calls on a MedGrid site, every role tried as an attacker.

``DESK_METHODS`` in tests/medgrid/permission_matrix.py holds the expected answers (Guest, partner, rep,
vendor, Marketplace Admin); each cell here is one test. On top: savedocs runs through MedGrid's write
guards (a partner cannot pull another clinic's draft into its reach by saving it from the form), the
rows of search_link are the REST list's, and the list count follows the rep's territory rule.
"""

from __future__ import annotations

import contextlib
import json
from urllib.parse import quote

import pytest

from tests.conftest import create_test_site, drop_test_site
from tests.medgrid import permission_matrix as pm
from tests.medgrid.api_site import USERS, ApiSite

SITE = "desk-medgrid.localhost"
ROLES = pm.ROLES


class DeskSite(ApiSite):
    """The MedGrid API test site under a name of its own (the MedGrid suite builds api.localhost)."""

    @contextlib.contextmanager
    def context(self, user="Administrator"):
        import frappe

        frappe.init(SITE, sites_path=self.sites_path, force=True)
        frappe.connect()
        frappe.set_user(user)
        try:
            yield frappe
            frappe.db.commit()
        finally:
            frappe.destroy()

    def request(self, method, path, user=None, params=None, body=None):
        from urllib.parse import urlencode

        headers = {"X-Frappe-Site-Name": SITE, "Accept": "application/json"}
        if user:
            key, secret = self.keys[user]
            headers["Authorization"] = f"token {key}:{secret}"
        if params:
            path = f"{path}?{urlencode(params)}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        response = self.client.open(path, method=method, headers=headers, data=data)
        response.json_body = json.loads(response.get_data(as_text=True) or "null") \
            if response.content_type.startswith("application/json") else None
        return response

    def call(self, method: str, who: str | None, *, get=None, form=None):
        headers = {"X-Frappe-Site-Name": SITE, "Accept": "application/json"}
        if who:
            key, secret = self.keys[who]
            headers["Authorization"] = f"token {key}:{secret}"
        path = f"/api/method/{method}"
        if form is not None:
            from urllib.parse import urlencode

            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = self.client.open(path, method="POST", headers=headers, data=urlencode(form))
        else:
            query = "&".join(f"{k}={quote(str(v))}" for k, v in (get or {}).items())
            response = self.client.open(f"{path}?{query}", method="GET", headers=headers)
        response.json_body = json.loads(response.get_data(as_text=True) or "null") \
            if response.content_type.startswith("application/json") else None
        return response


@pytest.fixture(scope="module")
def desk(sites_path):
    conf = create_test_site(sites_path, SITE, apps=("erpnext", "medgrid", "medgrid_fake_vendors"))
    site = DeskSite(sites_path)
    site.build()
    with site.context() as frappe:
        from frappe.utils import add_days, nowdate

        def order(user, customer, submit=False):
            frappe.set_user(user)
            doc = frappe.get_doc({"doctype": "Sales Order", "customer": customer,
                                  "delivery_date": add_days(nowdate(), 7),
                                  "items": [{"item_code": ITEM, "qty": 1, "warehouse": WAREHOUSE}]})
            doc.insert()
            if submit:
                doc.submit()
            return doc.name

        site.own_draft = order(USERS["partner"][0], "Demo Clinic Partner")
        site.other_draft = order(USERS["partner2"][0], "Other Clinic")
        frappe.set_user("Administrator")
    yield site
    drop_test_site(conf)


ITEM = "ITEM-001"  # the demo catalog's stocked item (as the MedGrid API tests order it)
WAREHOUSE = "Skydell Main - SM"


def _new_order_json(desk, customer: str) -> str:
    from frappe.utils import add_days, nowdate

    return json.dumps({"doctype": "Sales Order", "name": "new-sales-order-desk1", "__islocal": 1, "__unsaved": 1,
                       "customer": customer, "delivery_date": add_days(nowdate(), 7),
                       "items": [{"doctype": "Sales Order Item", "name": "new-sales-order-item-desk1", "__islocal": 1,
                                  "parentfield": "items", "parenttype": "Sales Order", "item_code": ITEM, "qty": 1, "warehouse": WAREHOUSE}]})


def _stored(desk, name: str) -> dict:
    with desk.context() as frappe:
        return frappe.get_doc("Sales Order", name).as_dict(convert_dates_to_str=True)


def _submitted_own_order(desk) -> str:
    with desk.context(USERS["partner"][0]) as frappe:
        from frappe.utils import add_days, nowdate

        doc = frappe.get_doc({"doctype": "Sales Order", "customer": "Demo Clinic Partner",
                              "delivery_date": add_days(nowdate(), 7),
                              "items": [{"item_code": ITEM, "qty": 1, "warehouse": WAREHOUSE}]})
        doc.insert()
        doc.submit()
        return doc.name


def run_cell(desk: DeskSite, method: str, row: str, who: str | None):
    """One cell: the call a Desk user (or an attacker) makes for (method, row)."""
    if method == "frappe.desk.form.load.getdoctype":
        return desk.call(method, who, get={"doctype": "Sales Order", "with_parent": 1})
    if method == "frappe.desk.form.load.getdoc":
        name = desk.own_draft if row == "own" else desk.other_draft
        return desk.call(method, who, get={"doctype": "Sales Order", "name": name})
    if method == "frappe.desk.search.search_link":
        return desk.call(method, who, form={"doctype": "Customer", "txt": "", "reference_doctype": "Sales Order"})
    if method == "frappe.client.validate_link":
        return desk.call(method, who, get={"doctype": "Customer", "docname": "Demo Clinic Partner"})
    if method == "frappe.desk.reportview.get_count":
        return desk.call(method, who, form={"doctype": "Sales Order", "filters": "[]"})
    if method == "frappe.desk.form.save.savedocs":
        if row == "own":
            return desk.call(method, who, form={"doc": _new_order_json(desk, "Demo Clinic Partner"), "action": "Save"})
        doc = _stored(desk, desk.other_draft)
        doc["customer"] = "Demo Clinic Partner"
        doc.pop("customer_address", None)
        doc.pop("shipping_address_name", None)
        reply = desk.call(method, who, form={"doc": json.dumps(doc, default=str), "action": "Save"})
        if reply.status_code != 200:
            assert _stored(desk, desk.other_draft)["customer"] == "Other Clinic", "a refused save changed nothing"
        else:  # the admin may: put it back for the next cells
            with desk.context() as frappe:
                frappe.db.set_value("Sales Order", desk.other_draft, "customer", "Other Clinic")
        return reply
    if method == "frappe.desk.form.save.cancel":
        name = _submitted_own_order(desk)
        reply = desk.call(method, who, form={"doctype": "Sales Order", "name": name})
        if reply.status_code != 200:
            assert _stored(desk, name)["docstatus"] == 1
        return reply
    if method == "frappe.core.doctype.user.user.generate_keys":
        if row == "own":
            user = USERS[who][0] if who else "Guest"
        else:
            user = USERS["partner2"][0]
        before = desk.keys["partner2"]
        reply = desk.call(method, who, form={"user": user})
        if reply.status_code == 200 and who:
            desk.keys[who] = (reply.json_body["message"]["api_key"], reply.json_body["message"]["api_secret"])
        if row == "other":
            assert desk.call("frappe.auth.get_logged_user", "partner2").status_code == 200 or before != desk.keys["partner2"]
        return reply
    if method == "frappe.core.page.background_jobs.background_jobs.get_info":
        return desk.call(method, who)
    raise LookupError(method)


def _cells():
    params = []
    for method, text in pm.DESK_METHODS.items():
        for row, answers in pm.grid(text).items():
            for role, expected in zip(ROLES, answers):
                params.append(pytest.param(method, row, role, expected, id=f"{method}|{row}|{role}"))
    return params


@pytest.mark.parametrize(("method", "row", "role", "expected"), _cells())
def test_desk_method_cell(desk, method, row, role, expected):
    reply = run_cell(desk, method, row, None if role == "guest" else role)
    assert reply.status_code != 500, reply.get_data(as_text=True)[:1000]
    assert str(reply.status_code) == str(expected), reply.get_data(as_text=True)[:1000]


def test_search_link_rows_are_the_rest_lists_rows(desk):
    for who in ("partner", "rep", "admin"):
        found = desk.call("frappe.desk.search.search_link", who,
                          form={"doctype": "Customer", "txt": "", "reference_doctype": "Sales Order", "page_length": 100})
        listed = desk.request("GET", "/api/resource/Customer", who, params={"limit_page_length": 100})
        assert found.status_code == listed.status_code == 200
        assert sorted(r["value"] for r in found.json_body["message"]) == sorted(r["name"] for r in listed.json_body["data"])
    partner = desk.call("frappe.desk.search.search_link", "partner",
                        form={"doctype": "Customer", "txt": "", "ignore_user_permissions": 1})
    assert [r["value"] for r in partner.json_body["message"]] == ["Demo Clinic Partner"]


def test_list_count_follows_the_reps_territory(desk):
    counts = {}
    for who in ("rep", "admin"):
        reply = desk.call("frappe.desk.reportview.get_count", who, form={"doctype": "Sales Order", "filters": "[]"})
        assert reply.status_code == 200
        counts[who] = reply.json_body["message"]
    with desk.context() as frappe:
        outside = frappe.db.count("Sales Order", {"territory": ["!=", "United States"]})
    assert outside >= 1
    assert counts["admin"] == counts["rep"] + outside


def test_getdoc_of_an_order_outside_the_reps_territory_is_refused_as_recorded(desk):
    reply = desk.call("frappe.desk.form.load.getdoc", "rep", get={"doctype": "Sales Order", "name": desk.other_draft})
    assert reply.status_code == 403
    body = reply.json_body
    assert body["exc_type"] == "PermissionError"
    assert body["_error_message"] == f"Insufficient Permission for <strong>Sales Order {desk.other_draft}</strong>"
    assert "Other Clinic" not in reply.get_data(as_text=True).replace(desk.other_draft, "")


def test_settings_password_is_never_returned_by_the_desk(desk):
    with desk.context() as frappe:
        settings = frappe.get_doc("PerfectRx Settings")
        settings.client_secret = "prx-desk-secret-value"
        settings.save()
        frappe.db.commit()
    with desk.context() as frappe:
        frappe.set_user("Administrator")
        admin_user = USERS["admin"][0]
        meta = frappe.get_meta("PerfectRx Settings")
        roles = {p.role for p in meta.permissions if p.read}
    reply = desk.call("frappe.desk.form.load.getdoc", "admin",
                      get={"doctype": "PerfectRx Settings", "name": "PerfectRx Settings"})
    text = reply.get_data(as_text=True)
    assert "prx-desk-secret-value" not in text
    if reply.status_code == 200:
        assert set(reply.json_body["docs"][0]["client_secret"]) == {"*"}
    else:
        assert "MedGrid Marketplace Admin" not in roles, (admin_user, text[:300])
