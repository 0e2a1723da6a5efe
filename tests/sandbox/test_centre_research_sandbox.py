"""Centre Research sandbox: X-API-Key, success envelope, partnerOrderId dedupe, polled status, 429."""

from __future__ import annotations

import pytest

from sandbox.centre_research import CentreResearchSandbox
from tests.sandbox.helpers import advance, state

KEY = {"X-API-Key": "cr-key"}
ORDER = {"partnerOrderId": "SO-2026-00123",
         "customer": {"firstName": "Jane", "lastName": "Smith", "email": "jane@clinic.example", "phone": "5125550100"},
         "shippingAddress": {"firstName": "Jane", "lastName": "Smith", "address1": "123 Main St", "city": "Austin",
                             "state": "TX", "zip": "78701", "country": "US"},
         "items": [{"variantId": "cr-variant-id-001", "quantity": 2, "price": 1.0}]}


@pytest.fixture()
def cr(start_sandbox):
    return start_sandbox(CentreResearchSandbox, api_keys={"cr-key": {"channel": "MedGrid", "active": True},
                                                          "off-key": {"channel": "Old", "active": False}})


def orders_url(cr, ref=""):
    return f"{cr.base_url}/sales-channels/integration/orders" + (f"/{ref}" if ref else "")


def test_api_key_is_required_and_channel_must_be_active(http, cr):
    assert http.post(orders_url(cr), json=ORDER).status_code == 401
    assert http.post(orders_url(cr), json=ORDER, headers={"X-API-Key": "nope"}).status_code == 401
    inactive = http.post(orders_url(cr), json=ORDER, headers={"X-API-Key": "off-key"})
    assert inactive.status_code == 403 and inactive.json() == {"success": False, "error": "Sales Channel is not active"}


def test_create_returns_201_pending_at_channel_prices(http, cr):
    resp = http.post(orders_url(cr), json=ORDER, headers=KEY)
    assert resp.status_code == 201
    body = resp.json()
    assert body["success"] is True
    data = body["data"]
    assert data["status"] == "PENDING" and data["orderId"] and data["orderNumber"].startswith("ORD-")
    assert data["items"][0]["unitPrice"] == 45.0  # the price sent is ignored
    assert data["subtotal"] == 90.0 and data["shippingAmount"] == 9.95 and data["totalAmount"] == 99.95
    assert data["shippingTierApplied"]["uniqueTierId"] == "STD"


def test_duplicate_partner_order_id_returns_the_existing_order(http, cr):
    first = http.post(orders_url(cr), json=ORDER, headers=KEY).json()["data"]
    again = http.post(orders_url(cr), json=ORDER, headers=KEY)
    assert again.status_code == 200 and again.json()["data"]["orderId"] == first["orderId"]
    assert len(cr.orders) == 1


def test_duplicate_in_error_mode_is_a_400_naming_the_order(http, start_sandbox):
    cr = start_sandbox(CentreResearchSandbox, api_keys={"cr-key": {"channel": "MedGrid"}}, duplicate_mode="error")
    first = http.post(orders_url(cr), json=ORDER, headers=KEY).json()["data"]
    again = http.post(orders_url(cr), json=ORDER, headers=KEY)
    assert again.status_code == 400
    assert again.json()["success"] is False and again.json()["orderId"] == first["orderId"]
    assert "already exists" in again.json()["error"]


@pytest.mark.parametrize("items, message", [
    ([{"variantId": "cr-unknown", "quantity": 1}], "Variant not found"),
    ([{"variantId": "cr-variant-id-003", "quantity": 1}], "Price not configured"),
    ([{"variantId": "cr-variant-id-001", "quantity": 0}], "quantity"),
])
def test_invalid_payloads_fail_inside_a_200(http, cr, items, message):
    resp = http.post(orders_url(cr), json={**ORDER, "items": items}, headers=KEY)
    assert resp.status_code == 200
    assert resp.json()["success"] is False and message in resp.json()["error"]
    assert cr.orders == {}


def test_variant_may_be_given_by_sku(http, cr):
    resp = http.post(orders_url(cr), json={**ORDER, "items": [{"variantId": "CR-TB500-5MG", "quantity": 1}]},
                     headers=KEY)
    assert resp.status_code == 201 and resp.json()["data"]["items"][0]["variantId"] == "cr-variant-id-002"


def test_invalid_status_can_follow_the_partner_doc(http, start_sandbox):
    cr = start_sandbox(CentreResearchSandbox, api_keys={"cr-key": {"channel": "MedGrid"}}, invalid_status=400)
    resp = http.post(orders_url(cr), json={**ORDER, "items": [{"variantId": "nope", "quantity": 1}]}, headers=KEY)
    assert resp.status_code == 400 and resp.json()["success"] is False


def test_status_progresses_and_is_polled(http, cr, receiver):
    order_id = http.post(orders_url(cr), json=ORDER, headers=KEY).json()["data"]["orderId"]
    seen = [http.get(orders_url(cr, order_id), headers=KEY).json()["data"]["status"]]
    for _ in range(4):
        advance(http, cr, steps=1)
        seen.append(http.get(orders_url(cr, order_id), headers=KEY).json()["data"]["status"])
    assert seen == ["PENDING", "PROCESSING", "LABEL_CREATED", "SHIPPED", "DELIVERED"]
    data = http.get(orders_url(cr, "SO-2026-00123"), headers=KEY).json()["data"]  # by partnerOrderId too
    assert data["orderId"] == order_id
    assert data["trackingNumber"] and data["carrier"] == "UPS" and data["trackingUrl"]
    assert data["shippingTier"]["name"] == "Standard"
    assert data["shipments"][0]["deliveredAt"] and data["shipments"][0]["shippedAt"]
    assert receiver.received == [] and state(http, cr)["webhooks"]["deliveries"] == []  # no webhooks: MedGrid polls


def test_unknown_order_is_404(http, cr):
    resp = http.get(orders_url(cr, "missing"), headers=KEY)
    assert resp.status_code == 404 and resp.json()["success"] is False


def test_cancel_is_idempotent(http, cr):
    http.post(orders_url(cr), json=ORDER, headers=KEY)
    first = http.delete(orders_url(cr, "SO-2026-00123"), headers=KEY)
    again = http.delete(orders_url(cr, "SO-2026-00123"), headers=KEY)
    assert first.json()["data"]["status"] == again.json()["data"]["status"] == "CANCELLED"
    advance(http, cr)
    assert http.get(orders_url(cr, "SO-2026-00123"), headers=KEY).json()["data"]["status"] == "CANCELLED"


def test_rate_limit_answers_429_with_retry_after(http, start_sandbox):
    cr = start_sandbox(CentreResearchSandbox, api_keys={"cr-key": {"channel": "MedGrid"}}, rate_limit=2)
    for _ in range(2):
        ok = http.get(f"{cr.base_url}/sales-channels/integration/inventory", headers=KEY)
        assert ok.status_code == 200 and ok.headers["X-RateLimit-Limit"] == "2"
    over = http.get(f"{cr.base_url}/sales-channels/integration/inventory", headers=KEY)
    assert over.status_code == 429
    assert int(over.headers["Retry-After"]) >= 1
    assert over.json()["success"] is False and over.json()["retryAfter"] >= 1
    assert state(http, cr)["requests"]["rate_limited"] == 1


def test_catalog_endpoints(http, cr):
    products = http.get(f"{cr.base_url}/sales-channels/integration/products", headers=KEY).json()["data"]
    assert any(v["id"] == "cr-variant-id-001" for p in products for v in p["variants"])
    tiers = http.get(f"{cr.base_url}/sales-channels/integration/shipping-tiers", headers=KEY).json()["data"]
    assert {"id", "uniqueTierId", "name", "minSubtotal", "maxSubtotal", "shippingRate", "serviceName"} <= set(tiers[0])
