"""Onboarding (issue 14 item 6): the public Vendor Profile request (validated, rate-limited, Guest
allowed), the admin's approval (Vendor Profile, vendor login, welcome mail) or rejection, and the
self-ticking checklist of /portal/integrations."""

from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

import frappe as frappe_module
from medgrid.onboarding.checklist import vendor_checklist
from tests.medgrid.api_site import server_messages
from tests.medgrid.backoffice_helpers import ROLES_REFUSED, make_item, unique

SUBMIT = "medgrid.onboarding.requests.submit_request"
APPROVE = "medgrid.onboarding.requests.approve_request"
REJECT = "medgrid.onboarding.requests.reject_request"
REQUEST = "Vendor Profile Request"


def form(**values):
    email = f"{unique('owner')}@acme-peptides.example"
    return {"company_name": f"Acme {unique()}", "contact_name": "Ada Vendor", "email": email,
            "integration_type": "ShipStation", "phone": "+1 512 555 0100", "message": "We ship peptides.",
            **values}


@pytest.fixture(autouse=True)
def fresh_limits(api):
    """Every test starts with the form's rate limit unspent."""
    with api.context() as frappe:
        frappe.cache().delete_keys("rl:")


def requests_of(api, email):
    with api.context() as frappe:
        return frappe.get_all(REQUEST, filters={"email": email}, fields=["name", "status", "company_name"])


def test_a_guest_requests_a_profile_once(api):
    values = form()
    response = api.method(SUBMIT, None, "POST", **values)
    assert response.status_code == 200, response.json_body
    assert "reviews every request" in response.json_body["message"]["message"]
    again = api.method(SUBMIT, None, "POST", **values)
    assert again.json_body == response.json_body, "the answer never tells whether the email asked before"
    rows = requests_of(api, values["email"])
    assert [(r.status, r.company_name) for r in rows] == [("Pending", values["company_name"])]


@pytest.mark.parametrize("bad", [
    {"company_name": ""}, {"email": "not-an-email"}, {"email": "a@b.example, c@d.example"},
    {"integration_type": "Carrier pigeon"}, {"company_name": "x" * 141}, {"contact_name": "Ada\nEvil"},
    {"website": "javascript:alert(1)"}, {"company_name": ["a", "list"]}, {"message": "hello\x00\x1b[31m"},
])
def test_bad_input_is_refused_and_nothing_is_stored(api, bad):
    values = form(**bad)
    response = api.method(SUBMIT, None, "POST", **values)
    assert response.status_code == 417, response.json_body
    assert server_messages(response)
    assert requests_of(api, values["email"] if isinstance(values["email"], str) else "") == []


def test_the_form_is_post_only_and_rate_limited(api):
    assert api.method(SUBMIT, None, "GET", **form()).status_code in (403, 405)
    answers = [api.method(SUBMIT, None, "POST", **form()).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_only_admins_decide_or_read_requests(api, role):
    values = form()
    api.method(SUBMIT, None, "POST", **values)
    name = requests_of(api, values["email"])[0].name
    assert api.method(APPROVE, role, "POST", request=name).status_code == 403
    assert api.method(REJECT, role, "POST", request=name, reason="no").status_code == 403
    assert api.resource("GET", REQUEST, name, role).status_code == 403
    assert api.resource("GET", REQUEST, None, role).status_code == 403
    assert requests_of(api, values["email"])[0].status == "Pending"


def test_approval_creates_the_profile_the_login_and_the_welcome_mail(api, monkeypatch):
    sent = []
    monkeypatch.setattr(frappe_module, "sendmail", lambda **kwargs: sent.append(kwargs))
    values = form(integration_type="Shopify Store")
    api.method(SUBMIT, None, "POST", **values)
    name = requests_of(api, values["email"])[0].name
    response = api.method(APPROVE, "admin", "POST", request=name)
    assert response.status_code == 200, response.json_body
    assert response.json_body["message"] == {"vendor_profile": values["company_name"], "user": values["email"]}
    with api.context() as frappe:
        profile = frappe.db.get_value("Vendor Profile", values["company_name"],
                                      ["vendor_key", "user", "status"], as_dict=True)
        user = frappe.get_doc("User", values["email"])
        request = frappe.db.get_value(REQUEST, name, ["status", "vendor_profile", "reviewed_by"], as_dict=True)
    assert profile == {"vendor_key": "shopify", "user": values["email"], "status": "Onboarding"}
    assert user.user_type == "Website User" and [r.role for r in user.roles] == ["External Vendor"]
    assert request == {"status": "Approved", "vendor_profile": values["company_name"],
                       "reviewed_by": "admin@medgrid.example"}
    assert "password" not in response.get_data(as_text=True).lower()

    [mail] = sent
    assert mail["recipients"] == [values["email"]] and mail["reference_name"] == values["company_name"]
    password = re.search(r"Your first password is (\S+) ", mail["message"]).group(1)
    browser = Client(api.client.application)  # its own cookie jar: the API client stays token-only
    login = browser.post("/api/method/login", data={"usr": values["email"], "pwd": password},
                            headers={"X-Frappe-Site-Name": "api.localhost"})
    assert login.status_code == 200

    twice = api.method(APPROVE, "admin", "POST", request=name)
    assert twice.status_code == 417 and "already Approved" in " ".join(server_messages(twice))
    assert api.method(APPROVE, "admin", "POST", request="VPR-NOPE").status_code == 404


def test_rejection_needs_a_reason(api):
    values = form()
    api.method(SUBMIT, None, "POST", **values)
    name = requests_of(api, values["email"])[0].name
    assert api.method(REJECT, "admin", "POST", request=name).status_code == 417
    assert api.method(REJECT, "admin", "POST", request=name, reason="We do not list cosmetics").status_code == 200
    assert requests_of(api, values["email"])[0].status == "Rejected"
    with api.context() as frappe:
        assert not frappe.db.exists("User", values["email"])


def test_the_checklist_ticks_itself_from_real_state(api):
    with api.context() as frappe:
        profile = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": unique("Checklist Vendor"),
                                  "vendor_key": "shipstation", "status": "Onboarding"}).insert().name
        assert [s["done"] for s in vendor_checklist(profile)["steps"]] == [True, False, False, False, False]

        frappe.get_doc({"doctype": "ShipStation Connection", "vendor_profile": profile, "status": "Connected",
                        "api_key": "k", "api_secret": "s"}).insert(ignore_permissions=True)
        make_item(frappe, approved=1, vendor_profile=profile, shipstation_product_id=unique("SS"))
        order = unique("SO-CHECK")
        dispatch = frappe.get_doc({"doctype": "Fulfillment Dispatch", "sales_order": order, "vendor": "shipstation",
                                   "vendor_profile": profile, "status": "Sent", "vendor_status": "Delivered"})
        dispatch.flags.ignore_links = True
        dispatch.insert(ignore_permissions=True)
        event = frappe.get_doc({"doctype": "MedGrid Webhook Event", "vendor": "shipstation", "dedupe_key": unique(),
                                "status": "Processed", "sales_order": order, "payload": "{}"})
        event.flags.ignore_links = True
        event.insert(ignore_permissions=True)
        checklist = vendor_checklist(profile)
        assert [s["done"] for s in checklist["steps"]] == [True] * 5 and checklist["complete"]

        make_item(frappe, approved=1, vendor_profile=profile)  # routed to ShipStation, no SKU
        steps = {s["key"]: s for s in vendor_checklist(profile)["steps"]}
        assert not steps["mapping"]["done"] and "1 not mapped" in steps["mapping"]["detail"]
        frappe.db.rollback()
