"""Support (medgrid.support, MedGrid Support Request, /portal/support): asking, answering, who reads what."""

from __future__ import annotations

import frappe
import pytest

from tests.medgrid import factories
from tests.medgrid.integration_helpers import ADMIN_ROLE, api_token, browser_logged_in, http, make_user, make_vendor

SUBMIT = "/api/method/medgrid.support.submit_request"
MINE = "/api/method/medgrid.support.my_requests"
PARTNER = "Customer / Partner Platform"
REP = "Internal Sales Rep"


def partner_of(customer: str) -> str:
    """A partner user held to ``customer`` (a User Permission, as the demo's partner)."""
    from frappe.permissions import add_user_permission

    user = make_user([PARTNER])
    add_user_permission("Customer", customer, user, ignore_permissions=True)
    return user


def other_customer() -> str:
    name = "Support Other Clinic"
    if not frappe.db.exists("Customer", name):
        frappe.get_doc({"doctype": "Customer", "customer_name": name, "customer_group": "Commercial",
                        "territory": "All Territories"}).insert(ignore_permissions=True)
    return name


def stored(name: str) -> dict:
    frappe.db.rollback()
    return frappe.db.get_value("MedGrid Support Request", name,
                               ["requester", "status", "sales_order", "subject", "category", "reply"], as_dict=True)


# ------------------------------------------------------------------------------------------ asking

def test_a_partner_asks_about_its_own_order(site):
    # given
    order = factories.sales_order([("CT-SS-SYRINGE", 1)])
    user = partner_of(factories.CUSTOMER)

    # when
    reply = http("POST", SUBMIT, headers=api_token(user),
                 body={"subject": "Where is my order?", "category": "Order", "message": "No tracking yet.",
                       "sales_order": order.name})

    # then
    assert reply.status == 200, reply.body
    row = stored(reply.message["name"])
    assert (row.requester, row.status, row.sales_order, row.category) == (user, "Open", order.name, "Order")


def test_another_customers_order_cannot_be_named(site):
    # given
    someone_elses = factories.sales_order([("CT-SS-SYRINGE", 1)])
    user = partner_of(other_customer())

    # when
    reply = http("POST", SUBMIT, headers=api_token(user),
                 body={"subject": "Peek", "message": "Tell me about this order", "sales_order": someone_elses.name})
    unknown = http("POST", SUBMIT, headers=api_token(user),
                   body={"subject": "Peek", "message": "x", "sales_order": "SO-NOPE-0001"})

    # then: the same answer whether the order exists or is someone else's; nothing stored
    assert reply.status == 400 and unknown.status == 400
    assert reply.server_messages() == [f"Sales Order {someone_elses.name} is not one of your orders"]
    frappe.db.rollback()
    assert not frappe.get_all("MedGrid Support Request", filters={"requester": user})


def test_a_vendor_may_name_an_order_routed_to_it_only(site):
    # given
    user, profile = make_vendor("centre_research")
    routed = factories.sales_order([("CT-CR-BPC", 1)])
    factories.dispatch(routed, "centre_research", vendor_profile=profile, status="Sent")
    not_routed = factories.sales_order([("CT-SS-SYRINGE", 1)])
    headers = api_token(user)

    # when
    ok = http("POST", SUBMIT, headers=headers, body={"subject": "Label", "message": "m", "sales_order": routed.name})
    refused = http("POST", SUBMIT, headers=headers,
                   body={"subject": "Label", "message": "m", "sales_order": not_routed.name})

    # then
    assert ok.status == 200 and refused.status == 400


@pytest.mark.parametrize(("body", "status"), [
    ({"message": "no subject"}, 400),
    ({"subject": "   ", "message": "blank subject"}, 400),
    ({"subject": "s"}, 400),
    ({"subject": "s", "message": "m", "category": "Bribery"}, 400),
    ({"subject": ["s"], "message": "m"}, 400),
    ({"subject": "s" * 141, "message": "m"}, 400),
    ({"subject": "s", "message": "m", "sales_order": {"name": "x"}}, 400),
])
def test_bad_requests_are_a_clean_400_and_store_nothing(site, body, status):
    user = make_user([PARTNER])
    reply = http("POST", SUBMIT, headers=api_token(user), body=body)
    assert reply.status == status, reply.body
    frappe.db.rollback()
    assert not frappe.get_all("MedGrid Support Request", filters={"requester": user})


def test_guests_cannot_ask_or_read(site):
    assert http("POST", SUBMIT, body={"subject": "s", "message": "m"}).status == 403
    assert http("GET", MINE).status == 403
    assert http("GET", "/portal/support", headers={"Accept": "text/html"}).status == 403
    assert http("GET", "/api/resource/MedGrid Support Request").status == 403


def test_a_requester_cannot_set_status_reply_or_requester(site):
    # given
    user = make_user([PARTNER])
    victim = make_user([PARTNER])

    # when: extra fields are not arguments of the method; the REST API has no create for requesters
    via_method = http("POST", SUBMIT, headers=api_token(user),
                      body={"subject": "s", "message": "m", "status": "Closed", "requester": victim})
    via_rest = http("POST", "/api/resource/MedGrid Support Request", headers=api_token(user),
                    body={"subject": "s", "message": "m", "requester": victim, "status": "Answered"})

    # then
    assert via_method.status in (400, 417) or stored(via_method.message["name"]).requester == user
    assert via_rest.status == 403
    frappe.db.rollback()
    assert not frappe.get_all("MedGrid Support Request", filters={"requester": victim})


# ------------------------------------------------------------------------------------------ answering and reading

def test_an_admin_answers_and_the_requester_reads_the_reply_on_the_portal(site):
    # given
    user = make_user([REP])
    name = http("POST", SUBMIT, headers=api_token(user), body={"subject": "Catalog", "message": "Missing SKU"}
                ).message["name"]
    admin = make_user([ADMIN_ROLE])
    admin_headers = api_token(admin)

    # when
    answer = http("PUT", f"/api/resource/MedGrid Support Request/{name}", headers=admin_headers,
                  body={"reply": "Mapped it <b>today</b>.", "assigned_to": admin})
    page = http("GET", "/portal/support", client=browser_logged_in(user), headers={"Accept": "text/html"})
    mine = http("GET", MINE, headers=api_token(user))

    # then
    assert answer.status == 200, answer.body
    row = stored(name)
    assert row.status == "Answered"
    html = page.body.decode()
    assert page.status == 200 and name in html
    assert "Mapped it &lt;b&gt;today&lt;/b&gt;." in html  # the reply is text, never markup
    assert [r["name"] for r in mine.message] == [name] and mine.message[0]["reply"] == "Mapped it <b>today</b>."


def test_requesters_never_see_each_others_requests(site):
    # given
    alice, bob = make_user([PARTNER]), make_vendor("shipstation")[0]
    alices = http("POST", SUBMIT, headers=api_token(alice), body={"subject": "Alice's", "message": "m"}).message["name"]
    bobs_headers = api_token(bob)
    http("POST", SUBMIT, headers=bobs_headers, body={"subject": "Bob's", "message": "m"})

    # when
    listed = http("GET", "/api/resource/MedGrid Support Request", headers=bobs_headers,
                  query={"fields": '["name", "requester"]', "limit_page_length": 0})
    get_alices = http("GET", f"/api/resource/MedGrid Support Request/{alices}", headers=bobs_headers)
    change_alices = http("PUT", f"/api/resource/MedGrid Support Request/{alices}", headers=bobs_headers,
                         body={"status": "Closed"})
    page = http("GET", "/portal/support", client=browser_logged_in(bob), headers={"Accept": "text/html"})

    # then
    assert listed.status == 200 and {r["requester"] for r in listed.json()["data"]} == {bob}
    assert get_alices.status == 403 and change_alices.status == 403
    assert alices not in page.body.decode() and "Alice&#39;s" not in page.body.decode()
    assert stored(alices).status == "Open"


def test_the_portal_menu_has_a_support_entry_for_every_role(site):
    for roles in ([PARTNER], [REP], ["External Vendor"]):
        page = http("GET", "/me", client=browser_logged_in(make_user(roles)), headers={"Accept": "text/html"})
        assert 'href="/portal/support"' in page.body.decode()


def test_a_flood_of_requests_is_stopped_with_429(site):
    # given: a user who opened the hour's allowance
    from medgrid.support import REQUESTS_PER_HOUR

    user = make_user([PARTNER])
    for i in range(REQUESTS_PER_HOUR):
        frappe.get_doc({"doctype": "MedGrid Support Request", "subject": f"s{i}", "message": "m",
                        "requester": user}).insert(ignore_permissions=True)
    other = make_user([PARTNER])

    # when
    flooded = http("POST", SUBMIT, headers=api_token(user), body={"subject": "one more", "message": "m"})
    unaffected = http("POST", SUBMIT, headers=api_token(other), body={"subject": "first", "message": "m"})

    # then
    assert flooded.status == 429 and unaffected.status == 200
    frappe.db.rollback()
    assert frappe.db.count("MedGrid Support Request", {"requester": user}) == REQUESTS_PER_HOUR
