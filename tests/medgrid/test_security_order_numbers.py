"""Issue 12 item 3 over HTTP: numbers a partner sends as "NaN", "Infinity", a bare ``Infinity`` token or
``1e309`` on a Sales Order, and an order without items.

Real ERPNext 15 (recording security-desk B02–B06) rounds every number of an item row to its precision
before it prices the row; ``flt`` with a precision turns NaN and infinity into 0. So a quantity like
that reaches MedGrid's own line check as 0 (400 InvalidOrderError), and a rate like that becomes 0 and is
then taken from the price list (200, rate 89). An order without items makes ERPNext fail with a
TypeError (a 500 on a real site, resource.json so_create_no_items); MedGrid answers it 400 with the same
exc_type and message, and stores nothing.
"""

from __future__ import annotations

import json

import pytest
from frappe.utils import add_days, nowdate

from tests.medgrid.api_site import SITE, server_messages

ITEM = "ITEM-001"  # list price 89 in Standard Selling (demo data)
MAIN = "Skydell Main - SM"
NO_QTY = "Row #1: Quantity for Item ITEM-001 must be greater than zero"
NO_TOTAL = "unsupported operand type(s) for *: 'NoneType' and 'float'"


def order_text(qty="1", rate="89", **extra) -> str:
    """A partner's order as JSON text, with qty and rate spliced in verbatim (so bare tokens fit)."""
    body = {"customer": "Demo Clinic Partner", "delivery_date": add_days(nowdate(), 7),
            "items": [{"item_code": ITEM, "qty": "__QTY__", "rate": "__RATE__", "warehouse": MAIN}], **extra}
    return json.dumps(body).replace('"__QTY__"', qty).replace('"__RATE__"', rate)


def post(api, text, user="partner"):
    key, secret = api.keys[user]
    headers = {"X-Frappe-Site-Name": SITE, "Accept": "application/json", "Authorization": f"token {key}:{secret}"}
    if text is not None:
        headers["Content-Type"] = "application/json"
    response = api.client.open("/api/resource/Sales%20Order", method="POST", data=text, headers=headers)
    response.json_body = json.loads(response.get_data(as_text=True) or "null")
    return response


def order_count(api) -> int:
    with api.context() as frappe:
        return frappe.db.count("Sales Order")


@pytest.mark.parametrize("qty", ['"NaN"', "1e309", '"Infinity"', "Infinity", '"-Infinity"', "NaN"],
                         ids=["B02-nan-string", "B03-1e309", "B04-infinity-string", "B05-bare-infinity",
                              "minus-infinity-string", "bare-nan"])
def test_a_non_finite_quantity_is_refused_by_the_apps_line_check(api, qty):
    before = order_count(api)
    response = post(api, order_text(qty=qty))
    assert response.status_code == 400, response.json_body
    assert response.json_body["exc_type"] == "InvalidOrderError"
    assert server_messages(response) == [NO_QTY]
    assert order_count(api) == before


def test_a_nan_rate_becomes_the_price_list_rate(api):  # B06
    response = post(api, order_text(rate='"NaN"'))
    assert response.status_code == 200, response.json_body
    data = response.json_body["data"]
    row = data["items"][0]
    assert (row["rate"], row["price_list_rate"], row["amount"], row["qty"]) == (89.0, 89.0, 89.0, 1.0)
    assert (data["total"], data["grand_total"], data["base_grand_total"], data["rounded_total"]) == (89.0,) * 4
    assert [p["payment_amount"] for p in data["payment_schedule"]] == [89.0]
    with api.context() as frappe:
        assert frappe.db.get_value("Sales Order Item", {"parent": data["name"]}, "rate") == 89.0


@pytest.mark.parametrize("rate", ['"Infinity"', "1e309", "Infinity", "NaN"])
def test_other_non_finite_rates_also_take_the_list_rate(api, rate):
    response = post(api, order_text(rate=rate))
    assert response.status_code == 200, response.json_body
    assert response.json_body["data"]["items"][0]["rate"] == 89.0


def test_a_non_finite_conversion_rate_in_company_currency_is_one(api):
    response = post(api, order_text(conversion_rate="__CR__").replace('"__CR__"', '"NaN"'))
    assert response.status_code == 200, response.json_body
    data = response.json_body["data"]
    assert data["conversion_rate"] == 1.0 and data["base_grand_total"] == data["grand_total"] == 89.0


@pytest.mark.parametrize("text", [json.dumps({"customer": "Demo Clinic Partner", "items": []}),
                                  json.dumps({"customer": "Demo Clinic Partner"}), "{}", None],
                         ids=["empty-items", "no-items-key", "empty-object", "no-body"])
def test_an_order_without_items_is_a_4xx_with_frappes_error(api, text):
    before = order_count(api)
    response = post(api, text)
    assert response.status_code == 400, response.json_body
    body = response.json_body
    assert body["exc_type"] == "TypeError"
    assert body["exception"] == f"TypeError: {NO_TOTAL}"
    assert order_count(api) == before
