"""Shopify Admin GraphQL client, the Exoceuticals store and vendor-owned Shopify stores."""

from __future__ import annotations

import json

import pytest
import requests

import frappe
from frappe.utils import add_to_date, now_datetime

from medgrid.connectors import shopify as shopify_module
from medgrid.connectors.base import VendorError
from medgrid.connectors.exoceuticals import ExoceuticalsConnector
from medgrid.connectors.shopify import ShopifyConnector
from medgrid.connectors.shopify_graphql import ShopifyGraphQL
from tests.medgrid import factories
from tests.medgrid.connector_helpers import logs_for

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

EXO_URL = "https://exoceuticals.myshopify.com/admin/api/2026-04/graphql.json"
VENDOR_SHOP = "acme-store.myshopify.com"
VENDOR_URL = f"https://{VENDOR_SHOP}/admin/api/2026-04/graphql.json"


def cost(available=990.0, requested=10, maximum=1000.0, rate=50.0):
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": requested,
                     "throttleStatus": {"maximumAvailable": maximum, "currentlyAvailable": available,
                                        "restoreRate": rate}}}


class FakeShop:
    """Answers GraphQL calls by operation name from per-operation queues (last answer repeats)."""

    def __init__(self, mocked, url):
        self.answers: dict[str, list] = {}
        self.seen: list[tuple[str, dict]] = []
        mocked.add_callback(mocked.POST, url, callback=self)

    def on(self, operation, *answers):
        self.answers.setdefault(operation, []).extend(answers)
        return self

    def __call__(self, request):
        body = json.loads(request.body)
        operation = body["query"].split("(", 1)[0].split()[-1]
        self.seen.append((operation, body["variables"]))
        queue = self.answers[operation]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, tuple):
            return answer
        return 200, {}, json.dumps(answer)

    def operations(self):
        return [op for op, _ in self.seen]


def no_order():
    return {"data": {"orders": {"nodes": []}}, "extensions": cost()}


def order_created(gid="gid://shopify/Order/5001", name="#1042"):
    return {"data": {"orderCreate": {"order": {"id": gid, "name": name}, "userErrors": []}}, "extensions": cost()}


@pytest.fixture()
def exo(csite):
    factories.exoceuticals_settings()
    return factories.sales_order([("CT-EXO-SERUM", 2)])


def test_exoceuticals_order_create_is_tagged_with_the_sales_order(exo, mocked):
    # given
    shop = FakeShop(mocked, EXO_URL).on("MedGridOrderByTag", no_order()).on("MedGridOrderCreate", order_created())
    dispatch = factories.dispatch(exo, "exoceuticals")

    # when
    result = ExoceuticalsConnector().send(dispatch, exo)

    # then
    assert shop.operations() == ["MedGridOrderByTag", "MedGridOrderCreate"]
    assert shop.seen[0][1] == {"query": f'tag:"{exo.name}"'}
    assert shop.seen[1][1] == {
        "order": {
            "lineItems": [{"variantId": "gid://shopify/ProductVariant/1001", "quantity": 2}],
            "email": "patient@clinic.com",
            "tags": [exo.name],
            "note": f"MedGrid Sales Order {exo.name}",
            "customAttributes": [{"key": "medgrid_sales_order", "value": exo.name}],
            "shippingAddress": {"firstName": "Jane", "lastName": "Smith", "address1": "123 Main St",
                                "address2": "Suite 4", "city": "Austin", "provinceCode": "TX", "zip": "78701",
                                "countryCode": "US", "phone": "5125550100"},
        },
        "options": {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY", "sendReceipt": False,
                    "sendFulfillmentReceipt": False},
    }
    call = mocked.calls[1]
    assert call.request.url == EXO_URL
    assert call.request.headers["X-Shopify-Access-Token"] == "shpat_exo_SECRET"
    assert call.request.headers["Content-Type"] == "application/json"
    assert result.vendor_order_id == "gid://shopify/Order/5001" and result.vendor_reference == "#1042"
    assert result.order_fields["exoceuticals_order_id"] == "gid://shopify/Order/5001"
    assert result.order_fields["exoceuticals_order_name"] == "#1042"
    assert result.order_fields["exoceuticals_status"] == "Open"
    assert result.already_placed is False


def test_resend_finds_the_tagged_order_instead_of_creating_another(exo, mocked):
    shop = FakeShop(mocked, EXO_URL).on("MedGridOrderByTag", {"data": {"orders": {"nodes": [
        {"id": "gid://shopify/Order/5001", "name": "#1042", "tags": [exo.name]}]}}, "extensions": cost()})

    result = ExoceuticalsConnector().send(factories.dispatch(exo, "exoceuticals"), exo)

    assert shop.operations() == ["MedGridOrderByTag"]
    assert result.already_placed is True and result.vendor_order_id == "gid://shopify/Order/5001"


def test_user_errors_inside_200_are_permanent(exo, mocked):
    FakeShop(mocked, EXO_URL).on("MedGridOrderByTag", no_order()).on("MedGridOrderCreate", {"data": {"orderCreate": {
        "order": None, "userErrors": [{"field": ["order", "lineItems", "0", "variantId"],
                                       "message": "Variant does not exist", "code": "INVALID"}]}},
        "extensions": cost()})

    with pytest.raises(VendorError) as raised:
        ExoceuticalsConnector().send(factories.dispatch(exo, "exoceuticals"), exo)

    assert raised.value.retryable is False
    assert "order.lineItems.0.variantId: Variant does not exist" in str(raised.value)


def test_throttled_is_retried_after_the_computed_wait(exo, mocked, clock):
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": cost(available=12, requested=112, rate=50)}
    shop = FakeShop(mocked, EXO_URL).on("MedGridOrderByTag", throttled, no_order()) \
        .on("MedGridOrderCreate", order_created())

    ExoceuticalsConnector().send(factories.dispatch(exo, "exoceuticals"), exo)

    assert shop.operations() == ["MedGridOrderByTag", "MedGridOrderByTag", "MedGridOrderCreate"]
    assert clock.sleeps[0] == pytest.approx((112 - 12) / 50)


def test_cost_bucket_is_waited_for_before_a_query_that_would_not_fit(csite, mocked, clock):
    shop = FakeShop(mocked, EXO_URL).on("MedGridVariantBySku",
                                        {"data": {"productVariants": {"nodes": []}}, "extensions": cost(available=2)})
    client = ShopifyGraphQL("exoceuticals", "exoceuticals.myshopify.com", "tok", "2026-04")

    client.variant_by_sku("A")  # leaves 2 units in the bucket
    assert clock.sleeps == []
    client.variant_by_sku("B")  # needs ~10: waits for 8 units at 50/s

    assert clock.sleeps == [pytest.approx(8 / 50)]
    assert len(shop.seen) == 2


def test_the_configured_restore_rate_is_the_default(csite, mocked, clock):
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": {"cost": {"requestedQueryCost": 60, "throttleStatus": {"currentlyAvailable": 10}}}}
    FakeShop(mocked, EXO_URL).on("MedGridVariantBySku", throttled,
                                 {"data": {"productVariants": {"nodes": [{"id": "gid://x"}]}}})
    client = ShopifyGraphQL("exoceuticals", "exoceuticals.myshopify.com", "tok", "2026-04", cost_units_per_second=25)

    assert client.variant_by_sku("A") == "gid://x"
    assert clock.sleeps == [pytest.approx(50 / 25)]


def test_order_create_is_not_blindly_retried_on_a_5xx(exo, mocked, clock):
    FakeShop(mocked, EXO_URL).on("MedGridOrderByTag", no_order()) \
        .on("MedGridOrderCreate", (502, {}, "bad gateway"))

    with pytest.raises(VendorError) as raised:
        ExoceuticalsConnector().send(factories.dispatch(exo, "exoceuticals"), exo)

    # one create only: the router's next attempt looks the order up by tag first
    assert raised.value.retryable is True
    creates = [c for c in mocked.calls if "MedGridOrderCreate" in str(c.request.body)]
    assert len(creates) == 1


def test_queries_are_retried_on_5xx(csite, mocked, clock):
    shop = FakeShop(mocked, EXO_URL).on("MedGridVariantBySku", (503, {}, "unavailable"),
                                        {"data": {"productVariants": {"nodes": [{"id": "gid://v"}]}}})
    client = ShopifyGraphQL("exoceuticals", "exoceuticals.myshopify.com", "tok", "2026-04")
    assert client.variant_by_sku("A") == "gid://v"
    assert len(shop.seen) == 2


def test_paginate_follows_cursors(csite, mocked):
    query = ("query MedGridProducts($cursor: String) { products(first: 2, after: $cursor) { "
             "pageInfo { hasNextPage endCursor } nodes { id } } }")
    shop = FakeShop(mocked, EXO_URL).on("MedGridProducts",
                                        {"data": {"products": {"pageInfo": {"hasNextPage": True, "endCursor": "c1"},
                                                               "nodes": [{"id": "p1"}, {"id": "p2"}]}}},
                                        {"data": {"products": {"pageInfo": {"hasNextPage": False, "endCursor": "c2"},
                                                               "nodes": [{"id": "p3"}]}}})
    client = ShopifyGraphQL("exoceuticals", "exoceuticals.myshopify.com", "tok", "2026-04")

    assert [n["id"] for n in client.paginate(query, {}, ("products",))] == ["p1", "p2", "p3"]
    assert [v["cursor"] for _op, v in shop.seen] == [None, "c1"]


def unchecked_order(lines):
    """An order the marketplace rules did not check (as one imported from a store): CT-SHOP-BALM, unmapped,
    is not for sale, and what the connector does with such a line is the point."""
    frappe.flags.medgrid_skip_validation = True
    try:
        return factories.sales_order(lines)
    finally:
        frappe.flags.medgrid_skip_validation = False


def test_item_without_a_variant_gid_is_a_mapping_error(csite, mocked):
    factories.exoceuticals_settings()
    order = unchecked_order([("CT-SHOP-BALM", 1)])
    dispatch = factories.dispatch(order, "exoceuticals")
    with pytest.raises(VendorError) as raised:
        ExoceuticalsConnector().send(dispatch, order)
    assert raised.value.retryable is False and "CT-SHOP-BALM" in str(raised.value)
    assert len(mocked.calls) == 0


def test_access_token_is_redacted_in_the_log(exo, mocked):
    FakeShop(mocked, EXO_URL).on("MedGridOrderByTag", no_order()).on("MedGridOrderCreate", order_created())
    ExoceuticalsConnector().send(factories.dispatch(exo, "exoceuticals"), exo)
    rows = logs_for(exo.name, "exoceuticals")
    assert len(rows) == 2 and all('"X-Shopify-Access-Token": "***"' in r.request_headers for r in rows)
    assert "shpat_exo_SECRET" not in frappe.as_json(rows)


def test_exoceuticals_connector_contract(csite):
    connector = ExoceuticalsConnector()
    assert (connector.key, connector.label, connector.item_mapping_field, connector.initial_status) == \
        ("exoceuticals", "Exoceuticals", "exoceuticals_variant_id", "Pending")
    assert connector.resolve_connection(None) == ("Exoceuticals Settings", "Exoceuticals Settings")


def test_exoceuticals_fetch_status_reads_fulfilment_tracking(exo, mocked):
    shop = FakeShop(mocked, EXO_URL).on("MedGridOrderStatus", {"data": {"order": {
        "id": "gid://shopify/Order/5001", "name": "#1042", "cancelledAt": None, "displayFulfillmentStatus": "FULFILLED",
        "fulfillments": [{"trackingInfo": [{"number": "1Z999AA10123456784", "company": "UPS", "url": None}]}]}},
        "extensions": cost()})
    dispatch = factories.dispatch(exo, "exoceuticals", vendor_order_id="gid://shopify/Order/5001")

    update = ExoceuticalsConnector().fetch_status(dispatch, exo)

    assert shop.seen == [("MedGridOrderStatus", {"id": "gid://shopify/Order/5001"})]
    assert update.status == "Fulfilled"
    assert (update.tracking_number, update.carrier) == ("1Z999AA10123456784", "UPS")
    assert update.tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"


def test_exoceuticals_cancel_sends_order_cancel_without_refund(exo, mocked):
    shop = FakeShop(mocked, EXO_URL).on("MedGridOrderCancel", {"data": {"orderCancel": {
        "job": {"id": "gid://shopify/Job/1", "done": False}, "orderCancelUserErrors": []}}, "extensions": cost()})
    dispatch = factories.dispatch(exo, "exoceuticals", vendor_order_id="gid://shopify/Order/5001")

    assert ExoceuticalsConnector().cancel(dispatch, exo) is True
    variables = shop.seen[0][1]
    assert variables["orderId"] == "gid://shopify/Order/5001" and variables["restock"] is True
    assert variables["refundMethod"] == {"originalPaymentMethodsRefund": False} and variables["reason"] == "OTHER"


# --------------------------------------------------------------------------- vendor-owned stores

@pytest.fixture()
def store(csite):
    profile = factories.vendor_profile("Acme Shopify Vendor", "shopify")
    return factories.shopify_connection(VENDOR_SHOP, vendor_profile_name=profile.name)


def test_vendor_store_order_keeps_the_gid_on_the_dispatch(store, mocked):
    order = unchecked_order([("CT-SHOP-CREAM", 1), ("CT-SHOP-BALM", 2)])
    dispatch = factories.dispatch(order, "shopify", connection=("Shopify Connection", store.name),
                                  vendor_profile=store.vendor_profile)
    shop = FakeShop(mocked, VENDOR_URL) \
        .on("MedGridVariantBySku", {"data": {"productVariants": {"nodes": [
            {"id": "gid://shopify/ProductVariant/3003", "sku": "CT-SHOP-BALM"}]}}, "extensions": cost()}) \
        .on("MedGridOrderByTag", no_order()) \
        .on("MedGridOrderCreate", order_created("gid://shopify/Order/777", "#77"))

    result = ShopifyConnector().send(dispatch, order)

    assert shop.seen[0] == ("MedGridVariantBySku", {"query": 'sku:"CT-SHOP-BALM"'})
    assert shop.seen[2][1]["order"]["lineItems"] == [
        {"variantId": "gid://shopify/ProductVariant/2002", "quantity": 1},
        {"variantId": "gid://shopify/ProductVariant/3003", "quantity": 2}]
    assert shop.seen[2][1]["order"]["tags"] == [order.name]
    assert mocked.calls[0].request.headers["X-Shopify-Access-Token"] == "shpat_vendor_SECRET"
    assert (result.vendor_order_id, result.vendor_reference, result.order_fields) == \
        ("gid://shopify/Order/777", "#77", {})


def test_vendor_store_is_resolved_from_the_items_vendor_profile(store):
    connector = ShopifyConnector()
    assert connector.resolve_connection(store.vendor_profile) == ("Shopify Connection", VENDOR_SHOP)
    assert connector.resolve_connection("Unknown Vendor") == (None, None)
    assert connector.item_mapping_field == "exoceuticals_variant_id" and connector.label == "Shopify"


def test_expiring_token_is_refreshed_before_use(store, mocked):
    frappe.db.set_single_value("MedGrid System Settings", "medgrid_shopify_api_key", "app-client-id")
    system = frappe.get_single("MedGrid System Settings")
    system.medgrid_shopify_api_secret = "app-client-SECRET"
    system.save(ignore_permissions=True)
    store.refresh_token = "refresh-OLD"
    store.token_expires_at = add_to_date(now_datetime(), minutes=2)
    store.save(ignore_permissions=True)
    mocked.post(f"https://{VENDOR_SHOP}/admin/oauth/access_token",
                json={"access_token": "shpat_NEW", "expires_in": 3600, "refresh_token": "refresh-NEW",
                      "refresh_token_expires_in": 7776000})

    token = shopify_module.access_token(frappe.get_doc("Shopify Connection", VENDOR_SHOP))

    assert token == "shpat_NEW"
    form = dict(p.split("=") for p in mocked.calls[0].request.body.split("&"))
    assert form == {"client_id": "app-client-id", "client_secret": "app-client-SECRET",
                    "grant_type": "refresh_token", "refresh_token": "refresh-OLD"}
    saved = frappe.get_doc("Shopify Connection", VENDOR_SHOP)
    assert saved.get_password("access_token") == "shpat_NEW" and saved.get_password("refresh_token") == "refresh-NEW"
    [row] = logs_for(VENDOR_SHOP, "shopify")
    assert "app-client-SECRET" not in frappe.as_json(row) and "refresh-OLD" not in frappe.as_json(row)
    assert "shpat_NEW" not in frappe.as_json(row)


def test_unknown_store_is_a_permanent_error(csite):
    order = factories.sales_order([("CT-SHOP-CREAM", 1)])
    profile = factories.vendor_profile("Shopify Vendor Without Store", "shopify")
    dispatch = factories.dispatch(order, "shopify", vendor_profile=profile.name)
    with pytest.raises(VendorError) as raised:
        ShopifyConnector().send(dispatch, order)
    assert raised.value.retryable is False


def test_network_error_on_a_query_is_retried(csite, mocked, clock):
    mocked.post(EXO_URL, body=requests.ConnectionError("reset"))
    mocked.post(EXO_URL, json={"data": {"productVariants": {"nodes": []}}})
    client = ShopifyGraphQL("exoceuticals", "exoceuticals.myshopify.com", "tok", "2026-04")
    assert client.variant_by_sku("A") is None
    assert len(mocked.calls) == 2
