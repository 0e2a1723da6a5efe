"""ShipStation sandbox: Basic auth, 40/min per key pair, orderKey upsert, SHIP_NOTIFY and shipments."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from sandbox.shipstation import ShipStationSandbox
from tests.sandbox.helpers import advance, state

KEY, SECRET = "ss-key", "ss-secret"
ACCOUNTS = [{"api_key": KEY, "api_secret": SECRET}, {"api_key": "other-key", "api_secret": "other-secret"}]


def order_body(number="SO-2026-00123", **extra):
    return {"orderNumber": number, "orderKey": f"{number}-shipstation", "orderDate": "2026-06-01 00:00:00",
            "orderStatus": "awaiting_shipment", "customerEmail": "patient@clinic.example", "amountPaid": 149.00,
            "shipTo": {"name": "Jane Smith", "street1": "123 Main St", "city": "Austin", "state": "TX",
                       "postalCode": "78701", "country": "US"},
            "items": [{"lineItemKey": "row-1", "sku": "SS-SYR-5ML", "name": "Sterile Syringe 5ml", "quantity": 2,
                       "unitPrice": 74.50}],
            "advancedOptions": {"warehouseId": 2001705}, **extra}


@pytest.fixture()
def ss(start_sandbox):
    return start_sandbox(ShipStationSandbox, accounts=ACCOUNTS, webhook_token="hook-token")


def test_basic_auth_with_a_configured_key_pair(http, ss):
    assert http.get(f"{ss.base_url}/warehouses").status_code == 401
    bad = http.get(f"{ss.base_url}/warehouses", auth=(KEY, "wrong"))
    assert bad.status_code == 401 and bad.json() == {"message": "Invalid API credentials"}
    ok = http.get(f"{ss.base_url}/warehouses", auth=(KEY, SECRET))
    assert ok.status_code == 200
    assert ok.json()[0]["warehouseId"] == 2001705 and {"warehouseName", "originAddress", "returnAddress",
                                                       "createDate", "isDefault"} <= set(ok.json()[0])


def test_listtags_shape(http, ss):
    tags = http.get(f"{ss.base_url}/accounts/listtags", auth=(KEY, SECRET)).json()
    assert tags and set(tags[0]) == {"tagId", "name", "color"}


def test_rate_limit_headers_and_429_per_key_pair(http, start_sandbox):
    ss = start_sandbox(ShipStationSandbox, accounts=ACCOUNTS, rate_limit=3)
    seen = []
    for _ in range(3):
        resp = http.get(f"{ss.base_url}/accounts/listtags", auth=(KEY, SECRET))
        assert resp.status_code == 200
        assert resp.headers["X-Rate-Limit-Limit"] == "3"
        seen.append(int(resp.headers["X-Rate-Limit-Remaining"]))
        assert 0 < int(resp.headers["X-Rate-Limit-Reset"]) <= 60
    assert seen == [2, 1, 0]
    over = http.get(f"{ss.base_url}/accounts/listtags", auth=(KEY, SECRET))
    assert over.status_code == 429
    assert over.headers["X-Rate-Limit-Remaining"] == "0" and int(over.headers["X-Rate-Limit-Reset"]) > 0
    # another key pair has its own budget
    assert http.get(f"{ss.base_url}/accounts/listtags", auth=("other-key", "other-secret")).status_code == 200
    s = state(http, ss)
    assert s["requests"]["rate_limited"] == 1
    assert sorted(c["total"] for c in s["requests"]["by_client"].values()) == [1, 4]


def test_rate_window_resets(http, start_sandbox):
    ss = start_sandbox(ShipStationSandbox, accounts=ACCOUNTS, rate_limit=1, rate_window=0.5)
    assert http.get(f"{ss.base_url}/warehouses", auth=(KEY, SECRET)).status_code == 200
    assert http.get(f"{ss.base_url}/warehouses", auth=(KEY, SECRET)).status_code == 429
    time.sleep(0.6)
    assert http.get(f"{ss.base_url}/warehouses", auth=(KEY, SECRET)).status_code == 200


def test_createorder_upserts_by_order_key(http, ss):
    first = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    assert first.status_code == 200
    created = first.json()
    assert isinstance(created["orderId"], int) and created["orderKey"] == "SO-2026-00123-shipstation"
    assert created["orderTotal"] == 149.0 and created["items"][0]["orderItemId"]
    second = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET),
                       json=order_body(customerEmail="new@clinic.example"))
    assert second.json()["orderId"] == created["orderId"]
    assert second.json()["customerEmail"] == "new@clinic.example"
    orders = http.get(f"{ss.base_url}/orders", auth=(KEY, SECRET)).json()
    assert orders["total"] == 1 and orders["pages"] == 1
    # no orderKey: always a new order
    body = order_body("SO-2026-00124")
    body.pop("orderKey")
    a = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=body).json()
    b = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=body).json()
    assert a["orderId"] != b["orderId"]


def test_orders_are_per_account(http, ss):
    http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    other = http.get(f"{ss.base_url}/orders", auth=("other-key", "other-secret")).json()
    assert other["total"] == 0


@pytest.mark.parametrize("change, field", [
    ({"shipTo": {"name": "J", "street1": "1 St", "city": "Austin", "state": "TX", "postalCode": "78701"}},
     "apiOrder.shipTo.country"),
    ({"items": [{"sku": "X", "quantity": 1, "unitPrice": 1}]}, "apiOrder.items[0].name"),
    ({"orderStatus": "lost"}, "apiOrder.orderStatus"),
    ({"advancedOptions": {"warehouseId": 1}}, "apiOrder.advancedOptions.warehouseId"),
])
def test_createorder_validation(http, ss, change, field):
    resp = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body(**change))
    assert resp.status_code == 400
    assert field in resp.json()["ModelState"]


def test_ship_notify_webhook_and_resource_url(http, ss, receiver):
    order = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body()).json()
    advance(http, ss)
    hook = receiver.wait_for(1)[0]
    assert urlsplit(hook["path"]).path == "/api/method/medgrid.shipstation.webhook"
    assert parse_qs(urlsplit(hook["path"]).query) == {"token": ["hook-token"]}
    assert not any(h.startswith("x-") and "signature" in h for h in hook["headers"])  # V1 does not sign
    body = json.loads(hook["raw"])
    assert body["resource_type"] == "SHIP_NOTIFY"
    url = body["resource_url"]
    assert url.startswith(ss.base_url + "/shipments?") and len(url) <= 200
    assert "batchId=" in url and "storeID=" in url
    assert http.get(url).status_code == 401  # the resource needs the same Basic auth
    shipments = http.get(url, auth=(KEY, SECRET)).json()
    assert shipments["total"] == 1 and shipments["page"] == 1
    shipment = shipments["shipments"][0]
    assert shipment["orderId"] == order["orderId"] and shipment["orderKey"] == order["orderKey"]
    assert shipment["trackingNumber"].startswith("1Z") and shipment["carrierCode"] == "ups"
    assert shipment["voided"] is False and shipment["shipmentItems"] is None
    with_items = http.get(url.replace("includeShipmentItems=False", "includeShipmentItems=True"),
                          auth=(KEY, SECRET)).json()
    assert with_items["shipments"][0]["shipmentItems"][0]["sku"] == "SS-SYR-5ML"
    shipped = http.get(f"{ss.base_url}/orders/{order['orderId']}", auth=(KEY, SECRET)).json()
    assert shipped["orderStatus"] == "shipped"


def test_a_shipped_order_can_no_longer_be_updated(http, ss):
    http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    advance(http, ss)
    resp = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    assert resp.status_code == 400


def test_shipments_filters(http, ss):
    for n in ("SO-1", "SO-2"):
        http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body(n))
    advance(http, ss)
    auth = (KEY, SECRET)
    today = datetime.now(timezone.utc).date()
    assert http.get(f"{ss.base_url}/shipments", params={"shipDateStart": str(today)}, auth=auth).json()["total"] == 2
    tomorrow = today + timedelta(days=1)
    assert http.get(f"{ss.base_url}/shipments", params={"shipDateStart": str(tomorrow)}, auth=auth).json()["total"] == 0
    assert http.get(f"{ss.base_url}/shipments", params={"storeID": 310001}, auth=auth).json()["total"] == 2
    assert http.get(f"{ss.base_url}/shipments", params={"storeId": 999}, auth=auth).json()["total"] == 0
    assert http.get(f"{ss.base_url}/shipments", params={"orderNumber": "SO-2"}, auth=auth).json()["total"] == 1
    page = http.get(f"{ss.base_url}/shipments", params={"pageSize": 1, "page": 2}, auth=auth).json()
    assert page["pages"] == 2 and len(page["shipments"]) == 1
    # orderNumber on /orders is "starts with"
    assert http.get(f"{ss.base_url}/orders", params={"orderNumber": "SO-"}, auth=auth).json()["total"] == 2


def test_subscribe_sends_to_the_subscribed_target(http, ss, receiver):
    resp = http.post(f"{ss.base_url}/webhooks/subscribe", auth=(KEY, SECRET),
                     json={"target_url": f"{receiver.url}/subscribed", "event": "SHIP_NOTIFY",
                           "friendly_name": "MedGrid"})
    assert resp.status_code == 200 and resp.json()["HookType"] == "SHIP_NOTIFY" and resp.json()["WebHookID"]
    assert http.post(f"{ss.base_url}/webhooks/subscribe", auth=(KEY, SECRET),
                     json={"target_url": "x", "event": "NOPE"}).status_code == 400
    listed = http.get(f"{ss.base_url}/webhooks", auth=(KEY, SECRET)).json()["webhooks"]
    assert [h["Url"] for h in listed] == [f"{receiver.url}/subscribed"]
    http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    advance(http, ss)
    assert [r["path"] for r in receiver.wait_for(1)] == ["/subscribed"]


def test_void_action_marks_the_label_voided(http, ss):
    http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    advance(http, ss)
    http.post(f"{ss.base_url}/__sandbox/action", json={"action": "void", "order": "SO-2026-00123"})
    shipment = http.get(f"{ss.base_url}/shipments", auth=(KEY, SECRET)).json()["shipments"][0]
    assert shipment["voided"] is True and shipment["voidDate"]


def test_429_fault_looks_like_shipstation(http, ss):
    http.post(f"{ss.base_url}/__sandbox/faults", json={"mode": "429", "count": 1, "path": "^/orders/createorder$"})
    over = http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body())
    assert over.status_code == 429 and over.headers["X-Rate-Limit-Reset"]
    assert http.post(f"{ss.base_url}/orders/createorder", auth=(KEY, SECRET), json=order_body()).status_code == 200
    assert state(http, ss)["requests"]["faults_injected"] == {"429": 1}
