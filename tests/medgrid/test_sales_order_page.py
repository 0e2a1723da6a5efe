"""The /sales-order page's helper (medgrid.pages.sales_order_page.order_progress) and the REST calls the
page makes to reopen, edit, hold, resume and cancel an order, on the ``api`` site, every role as caller."""

from __future__ import annotations

import pytest
from frappe.utils import add_days, nowdate

from medgrid.connectors.carriers import carrier_label

PROGRESS = "medgrid.pages.sales_order_page.order_progress"
UPDATE_STATUS = "erpnext.selling.doctype.sales_order.sales_order.update_status"


def order_body(customer="Demo Clinic Partner", item="ITEM-003", qty=1):
    return {"customer": customer, "delivery_date": add_days(nowdate(), 7),
            "items": [{"item_code": item, "qty": qty, "warehouse": "Skydell Main - SM"}]}


def make_order(api, user="partner", submit=False, **body) -> str:
    response = api.resource("POST", "Sales Order", user=user, body={**order_body(), **body})
    assert response.status_code == 200, response.json_body
    name = response.json_body["data"]["name"]
    if submit:
        response = api.resource("PUT", "Sales Order", name, user=user, body={"docstatus": 1})
        assert response.status_code == 200, response.json_body
    return name


def set_status(api, user, status, name):
    """ERPNext's hold / close / resume, as the page calls it."""
    return api.request("POST", f"/api/method/{UPDATE_STATUS}", user, body={"status": status, "name": name})


def other_clinic_order(api) -> str:
    return make_order(api, user="partner2", submit=True, customer="Other Clinic")


def test_carrier_labels_read_as_people_write_them():
    assert carrier_label("ups") == carrier_label("UPS") == "UPS"
    assert carrier_label("fedex_walleted") == "FedEx"
    assert carrier_label("stamps_com") == "USPS"
    assert carrier_label("Canada Post") == "Canada Post"
    assert carrier_label(None) is None


def test_progress_of_a_submitted_order_names_vendors_and_carriers(api):
    name = make_order(api, submit=True)
    with api.context() as frappe:
        frappe.db.set_value("Fulfillment Dispatch", {"sales_order": name}, {"carrier": "ups", "tracking_number": "1Z9"})
    for user in ("partner", "rep", "admin"):
        response = api.method(PROGRESS, user, sales_order=name)
        assert response.status_code == 200, (user, response.json_body)
        data = response.json_body["message"]
        assert (data["sales_order"], data["docstatus"]) == (name, 1)
        (shipment,) = data["shipments"]
        assert shipment["vendor"] == "sinq" and shipment["vendor_label"].startswith("SINQ")
        assert shipment["carrier_label"] == "UPS" and shipment["cancel_result"] is None


@pytest.mark.parametrize("user", [None, "vendor", "partner", "rep"])
def test_progress_of_another_tenants_order_is_refused(api, user):
    name = other_clinic_order(api)
    response = api.method(PROGRESS, user, sales_order=name)
    assert response.status_code == 403, response.json_body
    assert "shipments" not in str(response.json_body)


@pytest.mark.parametrize("params, status", [({}, 400), ({"sales_order": "SO-NOPE-1"}, 404)])
def test_progress_answers_bad_input_with_a_4xx(api, params, status):
    response = api.method(PROGRESS, "partner", **params)
    assert response.status_code == status, response.json_body


def test_a_cancelled_order_tells_each_vendors_cancel_result_without_the_vendors_error_text(api):
    name = make_order(api, submit=True)
    response = api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 2})
    assert response.status_code == 200, response.json_body
    data = api.method(PROGRESS, "partner", sales_order=name).json_body["message"]
    assert data["docstatus"] == 2 and data["status"] == "Cancelled"
    (shipment,) = data["shipments"]
    assert shipment["cancel_result"] in ("cancelled", "by_hand"), shipment
    assert "SINQ" in shipment["cancel_note"]

    # a vendor that refused the cancel: the page says an admin follows up, never the vendor's error text
    with api.context() as frappe:
        frappe.db.set_value("Fulfillment Dispatch", {"sales_order": name},
                            {"status": "Sent", "last_error": "Cancel failed: HTTP 500 token=abc123"})
    (shipment,) = api.method(PROGRESS, "partner", sales_order=name).json_body["message"]["shipments"]
    assert shipment["cancel_result"] == "failed"
    assert "abc123" not in shipment["cancel_note"] and "admin" in shipment["cancel_note"]

    with api.context() as frappe:
        frappe.db.set_value("Fulfillment Dispatch", {"sales_order": name},
                            {"status": "Cancelled", "last_error": "SINQ offers no cancel through its API; cancel it"})
    (shipment,) = api.method(PROGRESS, "partner", sales_order=name).json_body["message"]["shipments"]
    assert shipment["cancel_result"] == "by_hand" and "ask SINQ" in shipment["cancel_note"]


def test_a_rep_may_not_cancel_through_the_api_the_page_uses(api):
    name = make_order(api, user="rep", submit=True)
    response = api.resource("PUT", "Sales Order", name, user="rep", body={"docstatus": 2})
    assert response.status_code == 403, response.json_body
    with api.context() as frappe:
        assert frappe.db.get_value("Sales Order", name, "docstatus") == 1


def test_a_reopened_draft_is_edited_with_its_lines_replaced_then_submitted(api):
    name = make_order(api)
    draft = api.resource("GET", "Sales Order", name, user="partner").json_body["data"]
    assert [row["item_code"] for row in draft["items"]] == ["ITEM-003"]
    body = {"items": [{"item_code": "ITEM-002", "qty": 2, "warehouse": "Skydell Main - SM"}]}
    response = api.resource("PUT", "Sales Order", name, user="partner", body=body)
    assert response.status_code == 200, response.json_body
    saved = api.resource("GET", "Sales Order", name, user="partner").json_body["data"]
    assert [(row["item_code"], row["qty"]) for row in saved["items"]] == [("ITEM-002", 2)]
    response = api.resource("PUT", "Sales Order", name, user="partner", body={"docstatus": 1})
    assert response.status_code == 200, response.json_body


@pytest.mark.parametrize("user", ["partner", "rep"])
def test_hold_and_resume_through_update_status_and_not_on_another_tenants_order(api, user):
    name = make_order(api, user=user, submit=True)
    response = set_status(api, user, "On Hold", name)
    assert response.status_code == 200, response.json_body
    with api.context() as frappe:
        assert frappe.db.get_value("Sales Order", name, "status") == "On Hold"
    response = set_status(api, user, "Draft", name)
    assert response.status_code == 200, response.json_body
    with api.context() as frappe:
        assert frappe.db.get_value("Sales Order", name, "status") != "On Hold"

    other = other_clinic_order(api)
    response = set_status(api, user, "On Hold", other)
    assert response.status_code == 403, response.json_body
    with api.context() as frappe:
        assert frappe.db.get_value("Sales Order", other, "status") != "On Hold"


def test_guest_and_vendor_cannot_hold_an_order(api):
    name = make_order(api, submit=True)
    for user in (None, "vendor"):
        response = set_status(api, user, "On Hold", name)
        assert response.status_code == 403, (user, response.json_body)
    with api.context() as frappe:
        assert frappe.db.get_value("Sales Order", name, "status") != "On Hold"


def test_the_admin_retry_names_where_a_failure_is_fixed(api):
    from frappe import _dict

    from medgrid.pages.admin import fix_for

    with api.context():
        def fix(error, vendor="sinq"):
            return fix_for(_dict(sales_order="SO-2026-00042", vendor=vendor, last_error=error, status="Failed"))

        assert fix("Sales Order SO-2026-00042 has no shipping address") == {
            "label": "Set the shipping address of SO-2026-00042", "url": "/app/sales-order/SO-2026-00042"}
        assert fix("Sales Order SO-2026-00042 cannot go to PerfectRx without: Patient First Name",
                   "perfectrx")["label"] == "Complete Sales Order SO-2026-00042"
        settings = fix("SINQ Settings have no api_key")
        assert settings["url"] == "/app/sinq-settings" and settings["label"].startswith("Check the SINQ")
        assert fix("HTTP 401 from ShipStation", "shipstation")["url"] == "/portal/integrations"
        assert fix("HTTP 503 from SINQ: try later") is None
        assert fix("") is None
