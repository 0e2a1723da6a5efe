"""Issue 12 runtime items (1, 3, 4, 15) on a site with the MedGrid app, against the answers real
Frappe 15 / ERPNext 15 recorded in security-desk.json (A01–A14, B02–B06, B12, B13, C01, C02)."""

from __future__ import annotations

import json

import pytest
from frappe.utils import add_days, nowdate

from tests.medgrid.api_site import SITE, server_messages

WEBHOOK_EVENT = "MedGrid Webhook Event"


def order_body(qty=1, rate=89, **extra):
    return {"customer": "Demo Clinic Partner", "delivery_date": add_days(nowdate(), 7),
            "items": [{"item_code": "ITEM-001", "qty": qty, "rate": rate, "warehouse": "Skydell Main - SM"}], **extra}


def post_raw(api, path, text, user="partner", content_type="application/json", headers=None):
    all_headers = {"X-Frappe-Site-Name": SITE, "Accept": "application/json", "Content-Type": content_type}
    if user:
        key, secret = api.keys[user]
        all_headers["Authorization"] = f"token {key}:{secret}"
    all_headers.update(headers or {})
    response = api.client.open(path, method="POST", data=text, headers=all_headers)
    response.json_body = json.loads(response.get_data(as_text=True) or "null")
    return response


def count_orders(api, **filters):
    with api.context() as frappe:
        return frappe.db.count("Sales Order", filters)


# ------------------------------------------------------------------ item 1 (A01–A03, A08, A11, A12, A14)

def _bare_403(response):
    assert response.status_code == 403, response.json_body
    assert response.json_body["exc_type"] == "PermissionError"
    assert "_server_messages" not in response.json_body and "_error_message" not in response.json_body


@pytest.mark.parametrize("user", [None, "partner", "rep", "admin"])
def test_order_lines_are_not_listed_without_a_parent(api, user):
    _bare_403(api.resource("GET", "Sales Order Item", user=user))
    _bare_403(api.method("frappe.client.get_list", user or "partner", "POST", doctype="Sales Order Item",
                         fields=["name", "parent", "item_code"], limit_page_length=5))


@pytest.mark.parametrize("doctype", ["Has Role", "Dynamic Link", "Fulfillment Dispatch Line",
                                     "MedGrid Sales Rep Territory"])
def test_other_child_tables_too(api, doctype):
    for user in ("partner", "rep"):
        _bare_403(api.resource("GET", doctype, user=user))


def test_reportview_refuses_a_child_table_as_frappe_does(api):
    response = api.request("POST", "/api/method/frappe.desk.reportview.get", "partner", body={
        "doctype": "Sales Order Item",
        "fields": json.dumps(["`tabSales Order Item`.`name`", "`tabSales Order Item`.`parent`"]),
        "start": 0, "page_length": 20})
    assert response.status_code == 403
    assert server_messages(response) == [
        "<strong>Sales Order Item</strong> is not a valid parent DocType for <strong>Sales Order Item</strong>"]
    assert response.json_body["_error_message"] == "No permission for Sales Order Item"


# ------------------------------------------------------------------ item 4 (C01, C02)

def test_rep_listing_users_gets_no_api_keys(api):
    response = api.resource("GET", "User", user="rep", params={"fields": json.dumps(["name", "api_key", "last_ip"])})
    assert response.status_code == 200
    rows = response.json_body["data"]
    assert rows and all(set(row) == {"name", "last_ip"} for row in rows)
    assert not any(key in response.get_data(as_text=True) for key, _secret in api.keys.values())
    default = api.resource("GET", "User", user="rep")
    assert all(set(row) == {"name"} for row in default.json_body["data"])


# ------------------------------------------------------------------ item 3 (B02–B06)
# flt/cint as Frappe's, ERPNext's round_floats_in before pricing (NaN/Infinity become 0), so the app's
# own line check refuses the quantity and a NaN rate becomes the price-list rate


@pytest.mark.parametrize("qty_json", ['"NaN"', '"Infinity"', "Infinity", "1e309"])
def test_non_finite_quantity_is_refused_by_the_apps_own_check(api, qty_json):
    before = count_orders(api)
    text = json.dumps(order_body(qty="__QTY__")).replace('"__QTY__"', qty_json)
    response = post_raw(api, "/api/resource/Sales%20Order", text)
    assert response.status_code == 400, response.json_body
    assert response.json_body["exc_type"] == "InvalidOrderError"
    assert server_messages(response) == ["Row #1: Quantity for Item ITEM-001 must be greater than zero"]
    assert count_orders(api) == before


def test_nan_rate_becomes_the_price_list_rate(api):
    response = api.resource("POST", "Sales Order", user="partner", body=order_body(rate="NaN"))
    assert response.status_code == 200, response.json_body
    row = response.json_body["data"]["items"][0]
    assert row["rate"] == 89.0 and row["price_list_rate"] == 89.0
    assert response.json_body["data"]["grand_total"] == 89.0


@pytest.mark.parametrize("value", ['"NaN"', '"Infinity"', "Infinity", "-Infinity", "1e309"])
@pytest.mark.parametrize("field", ["rate", "qty"])
def test_non_finite_numbers_never_answer_500(api, field, value):
    text = json.dumps(order_body(**{field: "__V__"})).replace('"__V__"', value)
    response = post_raw(api, "/api/resource/Sales%20Order", text)
    assert response.status_code < 500, response.json_body


# ------------------------------------------------------------------ item 15 (B12, B13, webhooks)

def test_a_five_megabyte_order_is_413_before_any_work(api):
    before = count_orders(api)
    text = json.dumps(order_body(remarks="x" * (5 * 1024 * 1024)))
    response = post_raw(api, "/api/resource/Sales%20Order", text)
    assert response.status_code == 413
    assert response.json_body["exc_type"] == "RequestBodyTooLargeError"
    assert count_orders(api) == before


def test_deep_json_is_400(api):
    response = post_raw(api, "/api/resource/Sales%20Order", "[" * 20000 + "]" * 20000)
    assert response.status_code == 400
    assert "RecursionError" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/method/medgrid.sinq.webhook", "/api/method/medgrid.perfectrx.webhook",
                                  "/api/method/medgrid.shipstation.webhook?token=t",
                                  "/api/method/medgrid.exoceuticals.webhook"])
def test_webhooks_refuse_oversized_bodies_before_storing_anything(api, path):
    with api.context() as frappe:
        before = frappe.db.count(WEBHOOK_EVENT)
    body = json.dumps({"reference": "SO-X", "status": "shipped", "padding": "x" * (1024 * 1024 + 1)})
    response = post_raw(api, path, body, user=None, headers={"key": "k"})
    assert response.status_code == 413
    assert response.json_body["exc_type"] == "RequestBodyTooLargeError"
    with api.context() as frappe:
        assert frappe.db.count(WEBHOOK_EVENT) == before
