"""Shopify sandbox: OAuth install + HMAC, tokens, Admin GraphQL, pagination, cost bucket, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox.shopify import ShopifySandbox
from tests.sandbox.helpers import advance, state

APP, APP_SECRET = "sandbox-medgrid-shopify-key", "sandbox-medgrid-shopify-secret"
EXO = "exoceuticals.myshopify.com"
EXO_TOKEN = "shpat_sandbox_exoceuticals_token"
EXO_HOOK_SECRET = "sandbox-exoceuticals-webhook-secret"
CREATE = """
mutation Create($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name tags displayFulfillmentStatus totalPriceSet { shopMoney { amount currencyCode } }
            lineItems(first: 10) { nodes { sku quantity variant { id } } } }
    userErrors { field message code }
  }
}"""
ORDER_INPUT = {"email": "jane@clinic.example", "tags": ["SO-2026-00123", "medgrid"],
               "lineItems": [{"variantId": "gid://shopify/ProductVariant/1001", "quantity": 2}],
               "shippingAddress": {"firstName": "Jane", "lastName": "Smith", "address1": "123 Main St",
                                   "city": "Austin", "provinceCode": "TX", "zip": "78701", "countryCode": "US"},
               "financialStatus": "PENDING"}


def query_hmac_ok(params: dict, secret: str) -> bool:
    """Shopify's callback check, written independently of the sandbox."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, params["hmac"])


@pytest.fixture()
def shop(start_sandbox):
    return start_sandbox(ShopifySandbox)


def gql(http, sandbox, query, variables=None, token=EXO_TOKEN, base=None):
    resp = http.post(f"{base or sandbox.base_url}/admin/api/2026-04/graphql.json", json={"query": query,
                     "variables": variables or {}}, headers={"X-Shopify-Access-Token": token})
    return resp


def install(http, sandbox, shop_domain="vendor-a.myshopify.com", scope="read_products,write_orders", **extra):
    resp = http.get(f"{sandbox.base_url}/admin/oauth/authorize", allow_redirects=False, params={
        "client_id": APP, "scope": scope, "redirect_uri": "http://127.0.0.1:1/callback", "state": "nonce-123",
        "shop": shop_domain})
    assert resp.status_code == 302
    params = dict(parse_qsl(urlsplit(resp.headers["Location"]).query))
    token = http.post(f"{sandbox.base_url}/admin/oauth/access_token",
                      json={"client_id": APP, "client_secret": APP_SECRET, "code": params["code"], **extra})
    return params, token


# ---------------------------------------------------------------- OAuth

def test_authorize_redirects_back_with_a_signed_code(http, shop):
    params, token = install(http, shop)
    assert set(params) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert params["shop"] == "vendor-a.myshopify.com" and params["state"] == "nonce-123"
    assert query_hmac_ok(params, APP_SECRET)
    assert not query_hmac_ok(params, "other-secret")
    assert base64.b64decode(params["host"] + "==").decode() == "admin.shopify.com/store/vendor-a"
    assert token.status_code == 200
    assert token.json()["access_token"].startswith("shpat_") and token.json()["scope"] == "read_products,write_orders"
    assert "expires_in" not in token.json()


def test_a_code_is_single_use_and_needs_the_app_secret(http, shop):
    params, _ = install(http, shop)
    reuse = http.post(f"{shop.base_url}/admin/oauth/access_token",
                      json={"client_id": APP, "client_secret": APP_SECRET, "code": params["code"]})
    assert reuse.status_code == 400
    resp = http.get(f"{shop.base_url}/admin/oauth/authorize", allow_redirects=False,
                    params={"client_id": APP, "redirect_uri": "http://127.0.0.1:1/cb", "shop": EXO})
    code = dict(parse_qsl(urlsplit(resp.headers["Location"]).query))["code"]
    wrong = http.post(f"{shop.base_url}/admin/oauth/access_token",
                      data={"client_id": APP, "client_secret": "wrong", "code": code})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    form = http.post(f"{shop.base_url}/admin/oauth/access_token",
                     data={"client_id": APP, "client_secret": APP_SECRET, "code": code})
    assert form.status_code == 200  # form-encoded works as well as JSON


def test_unknown_client_or_bad_shop_is_refused(http, shop):
    resp = http.get(f"{shop.base_url}/admin/oauth/authorize", allow_redirects=False,
                    params={"client_id": "who", "redirect_uri": "http://127.0.0.1:1/cb"})
    assert resp.status_code == 400
    resp = http.get(f"{shop.base_url}/admin/oauth/authorize", allow_redirects=False,
                    params={"client_id": APP, "redirect_uri": "http://127.0.0.1:1/cb", "shop": "evil.example.com"})
    assert resp.status_code == 400


def test_expiring_tokens_refresh_and_rotate(http, shop):
    _, token = install(http, shop, expiring=1)
    first = token.json()
    assert first["expires_in"] == 3600 and first["refresh_token"].startswith("shprt_")
    assert first["refresh_token_expires_in"] > 0
    refreshed = http.post(f"{shop.base_url}/admin/oauth/access_token", json={
        "client_id": APP, "client_secret": APP_SECRET, "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["access_token"] != first["access_token"] and second["refresh_token"] != first["refresh_token"]
    assert gql(http, shop, "{ shop { name } }", token=second["access_token"]).status_code == 200
    # the new refresh token's first use retires the old one
    http.post(f"{shop.base_url}/admin/oauth/access_token", json={
        "client_id": APP, "client_secret": APP_SECRET, "grant_type": "refresh_token",
        "refresh_token": second["refresh_token"]})
    stale = http.post(f"{shop.base_url}/admin/oauth/access_token", json={
        "client_id": APP, "client_secret": APP_SECRET, "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"]})
    assert stale.status_code == 400


def test_shop_path_prefix_serves_a_vendor_store(http, shop):
    base = f"{shop.base_url}/shops/vendor-b.myshopify.com"
    resp = http.get(f"{base}/admin/oauth/authorize", allow_redirects=False,
                    params={"client_id": APP, "redirect_uri": "http://127.0.0.1:1/cb", "scope": "read_products"})
    params = dict(parse_qsl(urlsplit(resp.headers["Location"]).query))
    assert params["shop"] == "vendor-b.myshopify.com"
    token = http.post(f"{base}/admin/oauth/access_token",
                      json={"client_id": APP, "client_secret": APP_SECRET, "code": params["code"]}).json()["access_token"]
    body = gql(http, shop, "{ shop { myshopifyDomain } }", token=token, base=base).json()
    assert body["data"]["shop"]["myshopifyDomain"] == "vendor-b.myshopify.com"
    # a token only works for its own shop
    assert gql(http, shop, "{ shop { name } }", token=token, base=f"{shop.base_url}/shops/{EXO}").status_code == 401


# ---------------------------------------------------------------- Admin GraphQL

def test_graphql_needs_a_token_and_the_pinned_version(http, shop):
    assert gql(http, shop, "{ shop { name } }", token="nope").status_code == 401
    resp = http.post(f"{shop.base_url}/admin/api/2023-01/graphql.json", json={"query": "{ shop { name } }"},
                     headers={"X-Shopify-Access-Token": EXO_TOKEN})
    assert resp.status_code == 404


def test_unknown_fields_fail_validation(http, shop):
    body = gql(http, shop, "{ products(first: 1) { nodes { nope } } }").json()
    assert "nope" in body["errors"][0]["message"] and "data" not in body


def test_products_paginate_with_cursors(http, shop):
    query = """query($after: String) { products(first: 7, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { id variants(first: 5) { nodes { id sku } } } } }"""
    ids, after, pages = [], None, 0
    while True:
        data = gql(http, shop, query, {"after": after}).json()["data"]["products"]
        ids += [p["id"] for p in data["nodes"]]
        pages += 1
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(ids) == len(set(ids)) == 40 and pages == 6
    assert ids[0] == "gid://shopify/Product/1"


def test_connections_require_first_or_last(http, shop):
    body = gql(http, shop, "{ products { nodes { id } } }").json()
    assert "first or last" in body["errors"][0]["message"]
    body = gql(http, shop, "{ products(first: 251) { nodes { id } } }").json()
    assert body["errors"]


def test_variant_lookup_by_sku_and_inventory_levels(http, shop):
    query = """{ productVariants(first: 5, query: "sku:EXO-SERUM-30ML") { nodes { id sku price
        product { title } inventoryItem { id tracked inventoryLevels(first: 5) { nodes {
          location { id name } quantities(names: ["available", "on_hand"]) { name quantity } } } } } } }"""
    nodes = gql(http, shop, query).json()["data"]["productVariants"]["nodes"]
    assert [n["id"] for n in nodes] == ["gid://shopify/ProductVariant/1001"]
    levels = nodes[0]["inventoryItem"]["inventoryLevels"]["nodes"]
    assert len(levels) == 2 and [q["name"] for q in levels[0]["quantities"]] == ["available", "on_hand"]
    item_id = nodes[0]["inventoryItem"]["id"]
    single = gql(http, shop, "query($id: ID!) { inventoryItem(id: $id) { sku } }", {"id": item_id}).json()
    assert single["data"]["inventoryItem"]["sku"] == "EXO-SERUM-30ML"


def test_products_updated_since_query(http, shop):
    body = gql(http, shop, '{ products(first: 50, query: "updated_at:>2026-01-06T00:00:00Z") { nodes { id } } }').json()
    # product p is seeded as updated at 2026-01-05T09:00Z + p hours: p >= 16 is after the 6th
    assert [n["id"] for n in body["data"]["products"]["nodes"]] == [f"gid://shopify/Product/{p}" for p in range(16, 41)]


def test_order_create_tags_and_user_errors(http, shop):
    created = gql(http, shop, CREATE, {"order": ORDER_INPUT}).json()["data"]["orderCreate"]
    assert created["userErrors"] == []
    order = created["order"]
    assert order["id"].startswith("gid://shopify/Order/") and order["name"] == "#1001"
    assert "SO-2026-00123" in order["tags"] and order["displayFulfillmentStatus"] == "UNFULFILLED"
    assert order["totalPriceSet"]["shopMoney"] == {"amount": "298.00", "currencyCode": "USD"}
    bad = {**ORDER_INPUT, "lineItems": [{"variantId": "gid://shopify/ProductVariant/999999", "quantity": 1}]}
    result = gql(http, shop, CREATE, {"order": bad}).json()["data"]["orderCreate"]
    assert result["order"] is None
    assert result["userErrors"][0]["field"] == ["order", "lineItems", "0", "variantId"]
    assert result["userErrors"][0]["code"] == "INVALID"
    tagged = gql(http, shop, '{ orders(first: 5, query: "tag:SO-2026-00123") { nodes { name } } }').json()
    assert [n["name"] for n in tagged["data"]["orders"]["nodes"]] == ["#1001"]


def test_inventory_policy_is_enforced_when_asked(http, shop):
    big = {**ORDER_INPUT, "lineItems": [{"variantId": "gid://shopify/ProductVariant/1001", "quantity": 100000}]}
    result = gql(http, shop, CREATE, {"order": big, "options": {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY"}}
                 ).json()["data"]["orderCreate"]
    assert result["userErrors"][0]["code"] == "INVENTORY_CLAIM_FAILED"


def test_scopes_are_enforced(http, shop):
    _, token = install(http, shop, scope="read_products")
    body = gql(http, shop, CREATE, {"order": ORDER_INPUT}, token=token.json()["access_token"]).json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert body["data"]["orderCreate"] is None
    ok = gql(http, shop, "{ products(first: 1) { nodes { id } } }", token=token.json()["access_token"]).json()
    assert "errors" not in ok


def test_orders_updated_since(http, shop):
    gql(http, shop, CREATE, {"order": ORDER_INPUT})
    body = gql(http, shop, '{ orders(first: 10, query: "updated_at:>2026-01-01T00:00:00Z") { nodes { name } } }').json()
    assert len(body["data"]["orders"]["nodes"]) == 1
    body = gql(http, shop, '{ orders(first: 10, query: "updated_at:>2999-01-01") { nodes { name } } }').json()
    assert body["data"]["orders"]["nodes"] == []


# ---------------------------------------------------------------- cost bucket

def test_every_answer_reports_its_cost(http, shop):
    body = gql(http, shop, "{ products(first: 10) { nodes { id variants(first: 3) { nodes { sku } } } } }").json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 10 * (1 + 2 + 3)
    assert 0 < cost["actualQueryCost"] <= cost["requestedQueryCost"]
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 1000 and status["restoreRate"] == 50
    assert status["currentlyAvailable"] <= 1000


def test_empty_bucket_answers_throttled(http, start_sandbox):
    shop = start_sandbox(ShopifySandbox, bucket_size=100, restore_rate=1)
    query = "{ products(first: 20) { nodes { id variants(first: 1) { nodes { id } } } } }"  # 2 + 20*(1+2+1) = 82
    first = gql(http, shop, query).json()
    assert "errors" not in first
    second = gql(http, shop, query)
    assert second.status_code == 200
    body = second.json()
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED" and body["errors"][0]["message"] == "Throttled"
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert body["extensions"]["cost"]["requestedQueryCost"] == 82
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 82


def test_a_query_over_the_bucket_size_is_refused(http, start_sandbox):
    shop = start_sandbox(ShopifySandbox, bucket_size=50)
    body = gql(http, shop, "{ products(first: 100) { nodes { id } } }").json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_throttled_status_can_be_429(http, start_sandbox):
    shop = start_sandbox(ShopifySandbox, bucket_size=10, restore_rate=0.01, throttle_status=429)
    gql(http, shop, "{ products(first: 4) { nodes { id } } }")  # costs 6 of 10
    assert gql(http, shop, "{ products(first: 4) { nodes { id } } }").status_code == 429


# ---------------------------------------------------------------- webhooks

def test_order_timeline_sends_signed_webhooks(http, shop, receiver):
    order_id = gql(http, shop, CREATE, {"order": ORDER_INPUT}).json()["data"]["orderCreate"]["order"]["id"]
    advance(http, shop)
    got = receiver.wait_for(3)
    assert [r["headers"]["x-shopify-topic"] for r in got] == ["orders/updated", "orders/fulfilled", "orders/updated"]
    for r in got:
        assert r["path"] == "/api/method/medgrid.exoceuticals.webhook"
        expected = base64.b64encode(hmac.new(EXO_HOOK_SECRET.encode(), r["raw"], hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(expected, r["headers"]["x-shopify-hmac-sha256"])
        assert r["headers"]["x-shopify-shop-domain"] == EXO and r["headers"]["x-shopify-api-version"] == "2026-04"
        assert r["headers"]["x-shopify-webhook-id"] and r["headers"]["x-shopify-triggered-at"]
    assert len({r["headers"]["x-shopify-event-id"] for r in got}) == 3
    paid, fulfilled = json.loads(got[0]["raw"]), json.loads(got[1]["raw"])
    assert paid["admin_graphql_api_id"] == order_id and paid["financial_status"] == "paid"
    assert "SO-2026-00123" in paid["tags"]
    assert fulfilled["fulfillment_status"] == "fulfilled"
    assert fulfilled["fulfillments"][0]["tracking_number"] and fulfilled["fulfillments"][0]["tracking_company"] == "UPS"
    polled = gql(http, shop, "query($id: ID!) { order(id: $id) { displayFulfillmentStatus fulfillments(first: 5) "
                             "{ trackingInfo(first: 1) { number company url } } } }", {"id": order_id}).json()
    assert polled["data"]["order"]["displayFulfillmentStatus"] == "FULFILLED"
    assert polled["data"]["order"]["fulfillments"][0]["trackingInfo"][0]["number"] == \
        fulfilled["fulfillments"][0]["tracking_number"]


def test_cancel_action_sends_orders_cancelled(http, shop, receiver):
    gql(http, shop, CREATE, {"order": ORDER_INPUT})
    http.post(f"{shop.base_url}/__sandbox/action", json={"action": "cancel", "order": "SO-2026-00123"})
    got = receiver.wait_for(2)
    assert [r["headers"]["x-shopify-topic"] for r in got] == ["orders/cancelled", "orders/updated"]
    body = json.loads(got[0]["raw"])
    assert body["cancelled_at"] and body["cancel_reason"] == "other"
    advance(http, shop)
    assert len(receiver.received) == 2  # the rest of the timeline was dropped


def test_subscriptions_receive_webhooks_signed_with_the_app_secret(http, shop, receiver):
    _, token = install(http, shop, shop_domain=EXO, scope="read_orders,write_orders")
    access = token.json()["access_token"]
    create = """mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
        webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
          webhookSubscription { id topic uri } userErrors { field message } } }"""
    result = gql(http, shop, create, {"topic": "ORDERS_FULFILLED", "sub": {"uri": f"{receiver.url}/vendor-hook"}},
                 token=access).json()["data"]["webhookSubscriptionCreate"]
    assert result["userErrors"] == [] and result["webhookSubscription"]["topic"] == "ORDERS_FULFILLED"
    gql(http, shop, CREATE, {"order": ORDER_INPUT}, token=access)
    advance(http, shop)
    got = receiver.wait_for(3)
    fulfilled = [r for r in got if r["headers"]["x-shopify-topic"] == "orders/fulfilled"]
    assert [r["path"] for r in fulfilled] == ["/vendor-hook"]
    expected = base64.b64encode(hmac.new(APP_SECRET.encode(), fulfilled[0]["raw"], hashlib.sha256).digest()).decode()
    assert fulfilled[0]["headers"]["x-shopify-hmac-sha256"] == expected


def test_state_lists_orders_and_buckets(http, shop):
    gql(http, shop, CREATE, {"order": ORDER_INPUT})
    s = state(http, shop)
    assert len(s["orders"]) == 1 and s["orders"][0]["tags"] == ["SO-2026-00123", "medgrid"]
    assert any(k.endswith("@" + EXO) for k in s["buckets"])


def test_inventory_is_claimed_across_locations(http, shop):
    query = """{ productVariant(id: "gid://shopify/ProductVariant/1001") { inventoryQuantity } }"""
    before = gql(http, shop, query).json()["data"]["productVariant"]["inventoryQuantity"]
    order = {**ORDER_INPUT, "lineItems": [{"variantId": "gid://shopify/ProductVariant/1001", "quantity": before}]}
    result = gql(http, shop, CREATE, {"order": order, "options": {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY"}}
                 ).json()["data"]["orderCreate"]
    assert result["userErrors"] == []
    assert gql(http, shop, query).json()["data"]["productVariant"]["inventoryQuantity"] == 0
