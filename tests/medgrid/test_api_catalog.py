"""The guide's catalog endpoints over HTTP: shapes, defaults, paging, errors, roles."""

from __future__ import annotations

import pytest

from tests.medgrid.api_site import server_messages

M = "medgrid.catalog."


def test_list_warehouses_returns_the_guides_shape(api):
    r = api.method(M + "list_warehouses", "partner")
    assert r.status_code == 200
    assert r.json_body == {"message": [
        {"name": "Skydell Exoceuticals - SM", "warehouse_name": "Skydell Exoceuticals"},
        {"name": "Skydell Main - SM", "warehouse_name": "Skydell Main"},
    ]}


def test_list_warehouses_needs_authentication(api):
    r = api.method(M + "list_warehouses", None)
    assert r.status_code == 403


def available(api, item_code, warehouse="Skydell Main - SM"):
    """What can be sold now: the Bin's actual minus reserved quantity (orders of other tests reserve)."""
    with api.context() as frappe:
        actual, reserved = frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": warehouse},
                                               ["actual_qty", "reserved_qty"])
    return actual - reserved


def test_items_in_warehouse_lists_stock_with_rate(api):
    expected_qty = available(api, "ITEM-001")
    r = api.method(M + "items_in_warehouse", "partner", warehouse="Skydell Main - SM")
    assert r.status_code == 200
    rows = r.json_body["message"]
    first = rows[0]
    assert first == {"item_code": "ITEM-001", "item_name": "BPC-157 5mg",
                     "description": "Body Protection Compound 157, 5mg lyophilized peptide", "stock_uom": "Nos",
                     "rate": 89.0, "available_qty": expected_qty}
    assert expected_qty <= 142.0
    assert [row["item_code"] for row in rows] == ["ITEM-001", "ITEM-002", "ITEM-003", "ITEM-004"]
    assert all(row["available_qty"] > 0 for row in rows)


def test_items_in_warehouse_paging_uses_frappes_names(api):
    r = api.method(M + "items_in_warehouse", "partner", warehouse="Skydell Main - SM", limit_start=1,
                   limit_page_length=2)
    assert [row["item_code"] for row in r.json_body["message"]] == ["ITEM-002", "ITEM-003"]


@pytest.mark.parametrize("params, status, exc_type", [
    ({}, 400, "MissingParameterError"),
    ({"warehouse": "  "}, 400, "MissingParameterError"),
    ({"warehouse": "Nowhere - SM"}, 404, "DoesNotExistError"),
    ({"warehouse": "Skydell Main - SM", "price_list": "No Such List"}, 400, "InvalidParameterError"),
    ({"warehouse": "Skydell Main - SM", "limit_page_length": "ten"}, 400, "InvalidParameterError"),
    ({"warehouse": "Skydell Main - SM", "limit_start": "-1"}, 400, "InvalidParameterError"),
])
def test_items_in_warehouse_errors(api, params, status, exc_type):
    r = api.method(M + "items_in_warehouse", "partner", **params)
    assert r.status_code == status
    assert r.json_body["exc_type"] == exc_type
    assert server_messages(r)


def test_price_list_defaults_to_the_customers(api):
    with api.context() as frappe:
        if not frappe.db.exists("Price List", "Partner Prices"):
            frappe.get_doc({"doctype": "Price List", "price_list_name": "Partner Prices", "currency": "USD",
                            "selling": 1, "enabled": 1}).insert()
            frappe.get_doc({"doctype": "Item Price", "item_code": "ITEM-001", "price_list": "Partner Prices",
                            "price_list_rate": 80}).insert()
        frappe.db.set_value("Customer", "Demo Clinic Partner", "default_price_list", "Partner Prices")
    try:
        r = api.method(M + "items_in_warehouse", "partner", warehouse="Skydell Main - SM")
        assert r.json_body["message"][0]["rate"] == 80.0
        r = api.method(M + "items_in_warehouse", "partner", warehouse="Skydell Main - SM",
                       price_list="Standard Selling")
        assert r.json_body["message"][0]["rate"] == 89.0
        # a sales rep has no customer: the selling default applies
        r = api.method(M + "items_in_warehouse", "rep", warehouse="Skydell Main - SM")
        assert r.json_body["message"][0]["rate"] == 89.0
    finally:
        with api.context() as frappe:
            frappe.db.set_value("Customer", "Demo Clinic Partner", "default_price_list", "Standard Selling")


def test_search_items_across_warehouses_has_a_warehouse_column(api):
    r = api.method(M + "search_items", "partner", query="bpc")
    assert r.status_code == 200
    assert r.json_body["message"] == [{"item_code": "ITEM-001", "item_name": "BPC-157 5mg", "rate": 89.0,
                                       "available_qty": available(api, "ITEM-001"), "warehouse": "Skydell Main - SM"}]


def test_search_items_matches_code_name_and_description(api):
    codes = lambda q: [r["item_code"] for r in api.method(M + "search_items", "rep", query=q).json_body["message"]]
    assert codes("ITEM-00") == ["ITEM-001", "ITEM-002", "ITEM-003", "ITEM-004", "ITEM-005"]
    assert codes("syringe") == ["ITEM-002"]
    assert codes("lyophilized") == ["ITEM-001"]
    assert codes("nothing-like-this") == []


def test_search_items_in_a_warehouse_is_strict(api):
    r = api.method(M + "search_items", "partner", query="ITEM", warehouse="Skydell Exoceuticals - SM")
    assert [(row["item_code"], row["warehouse"]) for row in r.json_body["message"]] == \
        [("ITEM-005", "Skydell Exoceuticals - SM")]


@pytest.mark.parametrize("params, status", [({}, 400), ({"query": ""}, 400),
                                            ({"query": "bpc", "warehouse": "Nowhere - SM"}, 404)])
def test_search_items_errors(api, params, status):
    r = api.method(M + "search_items", "partner", **params)
    assert r.status_code == status


def test_catalog_is_closed_to_users_without_a_role(api):
    assert api.method(M + "search_items", "norole", query="bpc").status_code == 403
    assert api.method(M + "items_in_warehouse", "norole", warehouse="Skydell Main - SM").status_code == 403


def test_search_items_pages_over_item_and_warehouse_rows(api):
    r = api.method(M + "search_items", "rep", query="ITEM", limit_start=1, limit_page_length=2)
    assert [(row["item_code"], row["warehouse"]) for row in r.json_body["message"]] == \
        [("ITEM-002", "Skydell Main - SM"), ("ITEM-003", "Skydell Main - SM")]
