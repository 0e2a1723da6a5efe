"""ShipStation connector: createorder payload and upsert, 429 handling, limits, resource_url safety."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

import frappe
from frappe.utils import nowdate

from medgrid.connectors import carriers, shipstation
from medgrid.connectors.base import VendorError
from medgrid.connectors.shipstation import ShipStationConnector
from tests.medgrid import factories
from tests.medgrid.connector_helpers import logs_for, sent_json

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

API = "https://ssapi.shipstation.com"
CREATE = f"{API}/orders/createorder"
TAGS = f"{API}/accounts/listtags"


@pytest.fixture()
def connection(csite):
    profile = factories.vendor_profile("Acme Medical Supply", "shipstation")
    return factories.shipstation_connection(vendor_profile_name=profile.name)


@pytest.fixture()
def order(csite):
    return factories.sales_order([("CT-SS-SYRINGE", 2), ("CT-SS-GLOVES", 1)])


def created(order_id=12345678, key="SO-X-shipstation", status="awaiting_shipment", modified=None):
    stamp = "2026-06-01T08:00:00.0000000"
    return {"orderId": order_id, "orderKey": key, "orderNumber": key.rsplit("-", 1)[0], "orderStatus": status,
            "createDate": stamp, "modifyDate": modified or stamp}


def basic(key="ss-key-AAAA", secret="ss-secret-BBBB") -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_send_posts_the_full_order_with_basic_auth(order, connection, mocked):
    # given
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name),
                                  vendor_profile=connection.vendor_profile)
    mocked.post(CREATE, json=created(key=f"{order.name}-shipstation"))

    # when
    result = ShipStationConnector().send(dispatch, order)

    # then
    call = mocked.calls[0]
    assert call.request.headers["Authorization"] == basic()
    assert call.request.headers["Content-Type"] == "application/json"
    rows = {r.item_code: r.name for r in order.items}
    ship_to = {"name": "Jane Smith", "street1": "123 Main St", "street2": "Suite 4", "city": "Austin",
               "state": "TX", "postalCode": "78701", "country": "US", "phone": "5125550100"}
    assert sent_json(call) == {
        "orderNumber": order.name,
        "orderKey": f"{order.name}-shipstation",
        "orderDate": f"{nowdate()} 00:00:00",
        "orderStatus": "awaiting_shipment",
        "customerEmail": "patient@clinic.com",
        "amountPaid": 161.25,
        "billTo": {"name": "Connector Test Clinic", "street1": "9 Clinic Way", "street2": None, "city": "Dallas",
                   "state": "TX", "postalCode": "75201", "country": "US", "phone": None},
        "shipTo": ship_to,
        "items": [
            {"lineItemKey": rows["CT-SS-SYRINGE"], "sku": "SS-SYR-5ML", "name": "Sterile Syringe 5ml",
             "quantity": 2, "unitPrice": 74.5},
            {"lineItemKey": rows["CT-SS-GLOVES"], "sku": "SS-GLV-NITRILE", "name": "Nitrile Gloves",
             "quantity": 1, "unitPrice": 12.25},
        ],
        "advancedOptions": {"warehouseId": 2001705},
    }
    assert result.vendor_order_id == "12345678"
    assert result.vendor_reference == f"{order.name}-shipstation"
    assert result.already_placed is False
    assert result.order_fields["shipstation_order_id"] == "12345678"
    assert result.order_fields["shipstation_status"] == "Awaiting Shipment"
    assert isinstance(result.order_fields["shipstation_sync_date"], datetime)


def test_resend_upserts_the_same_order_key_with_the_known_order_id(order, connection, mocked):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    mocked.post(CREATE, json=created(key=f"{order.name}-shipstation"))
    first = ShipStationConnector().send(dispatch, order)
    dispatch.vendor_order_id = first.vendor_order_id
    mocked.post(CREATE, json=created(key=f"{order.name}-shipstation", modified="2026-06-01T09:00:00.0000000"))

    second = ShipStationConnector().send(dispatch, order)

    bodies = [sent_json(c) for c in mocked.calls]
    assert bodies[0]["orderKey"] == bodies[1]["orderKey"] == f"{order.name}-shipstation"
    assert "orderId" not in bodies[0] and bodies[1]["orderId"] == 12345678
    assert second.vendor_order_id == first.vendor_order_id and second.already_placed is True


def test_resend_of_a_shipped_order_is_recorded_as_placed(order, connection, mocked):
    """ShipStation refuses to update an order that shipped meanwhile: it is there, not a failure."""
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    mocked.post(CREATE, status=400, json={"Message": "Order 12345678 is shipped and can no longer be updated."})
    mocked.get(f"{API}/orders", json={"orders": [
        created(order_id=999, key=f"{order.name}1-shipstation", status="shipped"),  # a starts-with neighbour
        created(order_id=12345678, key=f"{order.name}-shipstation", status="shipped")]})

    result = ShipStationConnector().send(dispatch, order)

    assert result.already_placed is True and result.vendor_order_id == "12345678"
    assert "shipstation_status" not in result.order_fields  # the shipped status comes from the vendor's events
    assert parse_qs(urlsplit(mocked.calls[1].request.url).query) == {"orderNumber": [order.name]}


def test_other_400s_stay_failures(order, connection, mocked):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    mocked.post(CREATE, status=400, json={"Message": "shipTo.country is required"})
    with pytest.raises(VendorError, match="country is required") as exc:
        ShipStationConnector().send(dispatch, order)
    assert exc.value.retryable is False and len(mocked.calls) == 1


def test_platform_connection_is_used_when_the_vendor_has_none(csite):
    platform = factories.shipstation_connection(is_platform=1, api_key="plat-key", api_secret="plat-secret")
    own_profile = factories.vendor_profile("Has Own ShipStation", "shipstation")
    own = factories.shipstation_connection(vendor_profile_name=own_profile.name)
    bare_profile = factories.vendor_profile("No ShipStation Yet", "shipstation")

    connector = ShipStationConnector()
    assert connector.resolve_connection(own_profile.name) == ("ShipStation Connection", own.name)
    assert connector.resolve_connection(bare_profile.name) == ("ShipStation Connection", platform.name)
    assert connector.resolve_connection(None) == ("ShipStation Connection", platform.name)
    assert connector.is_configured() is True


def test_429_waits_x_rate_limit_reset_and_retries(order, connection, mocked, clock):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    throttled = {"X-Rate-Limit-Limit": "40", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "17"}
    mocked.post(CREATE, status=429, headers=throttled,
                json={"statusCode": 429, "message": "ThrottlerException: Too Many Requests"})
    mocked.post(CREATE, json=created(key=f"{order.name}-shipstation"))

    result = ShipStationConnector().send(dispatch, order)

    assert result.vendor_order_id == "12345678"
    assert len(mocked.calls) == 2
    assert 17 <= clock.sleeps[0] <= 17.5 and len(clock.sleeps) == 1


def test_429_is_retried_at_most_three_times(order, connection, mocked, clock):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    mocked.post(CREATE, status=429, headers={"X-Rate-Limit-Reset": "5"})

    with pytest.raises(VendorError) as raised:
        ShipStationConnector().send(dispatch, order)

    assert len(mocked.calls) == 4
    assert raised.value.retryable is True and raised.value.status_code == 429


def test_401_means_invalid_credentials_and_is_not_retried(order, connection, mocked, clock):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    mocked.post(CREATE, status=401, json={"message": "Invalid API credentials"})

    with pytest.raises(VendorError) as raised:
        ShipStationConnector().send(dispatch, order)

    assert raised.value.retryable is False and raised.value.status_code == 401
    assert "API Key/Secret" in str(raised.value)
    assert len(mocked.calls) == 1


def test_credentials_are_redacted_in_the_log(order, connection, mocked):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    mocked.post(CREATE, json=created(key=f"{order.name}-shipstation"))

    ShipStationConnector().send(dispatch, order)

    [log] = logs_for(order.name, "shipstation")
    assert json.loads(log.request_headers)["Authorization"] == "Basic ***"
    dump = frappe.as_json(log)
    assert "ss-key-AAAA" not in dump and "ss-secret-BBBB" not in dump and basic()[6:] not in dump
    assert json.loads(log.request_body)["orderKey"] == f"{order.name}-shipstation"


def test_forty_requests_per_minute_per_key_pair(csite, mocked, clock):
    mocked.get(TAGS, json=[])
    for _ in range(40):
        assert shipstation.check_credentials(API, "pair-one-key", "pair-one-secret") is True
    assert clock.sleeps == []
    shipstation.check_credentials(API, "pair-two-key", "pair-two-secret")  # another account: own budget
    assert clock.sleeps == []

    shipstation.check_credentials(API, "pair-one-key", "pair-one-secret")  # the 41st in a minute

    # it waits for the first to leave MedGrid's window, a little longer than ShipStation's own (arrival guard)
    window = shipstation.WINDOW_SECONDS + shipstation.ARRIVAL_GUARD_SECONDS
    assert clock.sleeps == [pytest.approx(window, abs=0.1)]


def test_a_spent_window_holds_one_worker_and_defers_the_others(order, connection, mocked, clock, monkeypatch):
    # issue 17: two workers asleep on ShipStation's 40 a minute held every other vendor's dispatch behind
    # them (a 41st order in a minute reached its other four vendors ~20 s late). One dispatch job per key pair
    # now sleeps out the window (the waiter); the others go back to Queued for slots booked for them, attempt
    # unspent, and the waiter hands the line on when it has sent.
    from medgrid.fulfillment_router import dispatch as dispatch_module

    handed_on = []
    monkeypatch.setattr(dispatch_module, "enqueue_send", lambda name, *a, **k: handed_on.append(name))
    mocked.post(CREATE, json=created(key=f"{order.name}-shipstation"))
    limit = shipstation._client(API, "ss-key-AAAA", "ss-secret-BBBB").rate_limit
    for _ in range(40):  # other processes spent the key pair's minute
        limit.acquire()
    window = shipstation.WINDOW_SECONDS + shipstation.ARRIVAL_GUARD_SECONDS
    spacing = window / shipstation.REQUESTS_PER_WINDOW

    def new_dispatch():
        dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name),
                                      vendor_profile=connection.vendor_profile, status="Queued", attempts=0)
        frappe.db.commit()
        return dispatch.name

    other_worker = limit._become_waiter()  # another worker is already asleep on this key pair
    assert other_worker and limit._become_waiter() is None
    deferred = [new_dispatch(), new_dispatch()]
    assert [dispatch_module.send_dispatch(name) for name in deferred] == ["Queued", "Queued"]
    assert clock.sleeps == [] and len(mocked.calls) == 0
    rows = [frappe.db.get_value("Fulfillment Dispatch", name, ["status", "attempts", "next_retry_at", "last_error",
                                                                "claim_token"], as_dict=True) for name in deferred]
    assert [(r.status, r.attempts, r.last_error, r.claim_token) for r in rows] == [("Queued", 0, None, None)] * 2
    # each is due at a slot of its own: the first when the window frees, the next a slot's spacing later
    first, second = ((r.next_retry_at - frappe.utils.now_datetime()).total_seconds() for r in rows)
    assert first == pytest.approx(window, abs=2) and second == pytest.approx(window + spacing, abs=2)

    limit._stop_waiting(other_worker)  # that worker sent and left: the next job waits as the waiter
    waiter = new_dispatch()
    assert dispatch_module.send_dispatch(waiter) == "Sent"
    assert clock.sleeps == [pytest.approx(window, abs=0.1)] and len(mocked.calls) == 1
    assert frappe.db.get_value("Fulfillment Dispatch", waiter, "attempts") == 1
    # ... and hands the line on to the longest-deferred dispatch at once, not at the next sweep
    assert handed_on == [deferred[0]]
    assert frappe.db.get_value("Fulfillment Dispatch", deferred[0], ["status", "next_retry_at"]) == ("Queued", None)
    assert limit._become_waiter()  # the waiting place was given back


def test_limit_key_is_a_fingerprint_not_the_key():
    fp = shipstation.key_fingerprint("pair-one-key", "pair-one-secret")
    assert len(fp) == 16 and "pair" not in fp
    assert fp == shipstation.key_fingerprint("pair-one-key", "pair-one-secret")
    assert fp != shipstation.key_fingerprint("pair-one-key", "other-secret")


def test_remaining_zero_holds_every_worker_until_the_reset(csite, mocked, clock):
    mocked.get(TAGS, json=[], headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "25"})
    shipstation.check_credentials(API, "k1-key", "k1-secret")
    assert clock.sleeps == []
    shipstation.check_credentials(API, "k1-key", "k1-secret")
    assert clock.sleeps == [pytest.approx(25, abs=0.1)]


def test_a_429_holds_every_worker_on_that_key_pair(csite, mocked, clock):
    mocked.get(TAGS, status=429, headers={"X-Rate-Limit-Reset": "600"})
    with pytest.raises(VendorError) as first:
        shipstation.check_credentials(API, "busy-key", "busy-secret")
    assert first.value.retry_after == 600 and len(mocked.calls) == 1  # too long to sleep: back to the router

    with pytest.raises(VendorError) as second:  # another worker, same key pair: no request at all
        shipstation.check_credentials(API, "busy-key", "busy-secret")
    assert second.value.retryable and second.value.retry_after == pytest.approx(600, abs=0.1)
    assert len(mocked.calls) == 1
    mocked.replace(mocked.GET, TAGS, json=[])
    assert shipstation.check_credentials(API, "calm-key", "calm-secret") is True  # other accounts unaffected


@pytest.mark.parametrize("status, expected", [(200, True), (401, False), (403, False)])
def test_check_credentials(csite, mocked, status, expected):
    mocked.get(TAGS, status=status, json=[] if status == 200 else {"message": "Invalid API credentials"})
    assert shipstation.check_credentials(None, "a-key", "a-secret") is expected
    assert mocked.calls[0].request.headers["Authorization"] == basic("a-key", "a-secret")


def test_check_credentials_raises_on_other_failures(csite, mocked, clock):
    mocked.get(TAGS, status=500)
    with pytest.raises(VendorError) as raised:
        shipstation.check_credentials(None, "a-key", "a-secret")
    assert raised.value.retryable and raised.value.status_code == 500


# ------------------------------------------------------------------------------ resource_url safety

@pytest.mark.parametrize("url", [
    "https://ssapi.shipstation.com/shipments?storeID=1&batchId=2",
    "https://ssapi11.shipstation.com/orders?storeID=1&importBatch=9",
    "https://SSAPI.ShipStation.com:443/shipments?x=1",
])
def test_shipstation_hosts_are_fetched_with_basic_auth(connection, mocked, url):
    mocked.get(url, json={"shipments": [], "total": 0, "page": 1, "pages": 0})

    body = shipstation.fetch_resource(connection, url)

    assert body["shipments"] == []
    assert mocked.calls[0].request.headers["Authorization"] == basic()


@pytest.mark.parametrize("url", [
    "http://ssapi.shipstation.com/shipments",                    # not https
    "https://evil.example/shipments",                            # foreign host
    "https://ssapi.shipstation.com.evil.example/shipments",      # look-alike suffix
    "https://evilshipstation.com/shipments",                     # not a subdomain
    "https://shipstation.com@evil.example/shipments",            # userinfo
    "https://user:pw@ssapi.shipstation.com/shipments",           # userinfo on the right host
    "https://ssapi.shipstation.com:8443/shipments",              # other port
    "ftp://ssapi.shipstation.com/shipments",                     # other scheme
    "https://ssapi.shipstation.com\\@evil.example/",             # backslash trick
    "",
])
def test_other_urls_are_refused_without_a_request(connection, mocked, url):
    with pytest.raises(shipstation.UnsafeResourceURL) as raised:
        shipstation.fetch_resource(connection, url, reference=("Sales Order", "SO-WEBHOOK"))

    assert raised.value.retryable is False
    assert len(mocked.calls) == 0
    [log] = logs_for("SO-WEBHOOK")
    assert log.status == "Rejected" and not log.status_code


def test_redirects_are_followed_only_to_allowed_hosts(connection, mocked):
    start = "https://ssapi.shipstation.com/shipments?batchId=1"
    mocked.get(start, status=302, headers={"Location": "https://ssapi2.shipstation.com/shipments?batchId=1"})
    mocked.get("https://ssapi2.shipstation.com/shipments?batchId=1", json={"shipments": [{"shipmentId": 1}]})
    assert shipstation.fetch_resource(connection, start)["shipments"] == [{"shipmentId": 1}]

    evil = "https://ssapi.shipstation.com/shipments?batchId=2"
    mocked.get(evil, status=301, headers={"Location": "https://collector.evil.example/steal"})
    with pytest.raises(shipstation.UnsafeResourceURL):
        shipstation.fetch_resource(connection, evil)
    assert all("evil.example" not in c.request.url for c in mocked.calls)


def test_sandbox_base_url_origin_is_allowed_exactly(csite, mocked):
    sandbox = factories.shipstation_connection(is_platform=1, base_url="http://127.0.0.1:8089")
    mocked.get("http://127.0.0.1:8089/shipments?batchId=1", json={"shipments": []})

    assert shipstation.fetch_resource(sandbox, "http://127.0.0.1:8089/shipments?batchId=1") == {"shipments": []}
    for other in ("http://127.0.0.1:8090/shipments", "https://127.0.0.1:8089/shipments", "http://localhost:8089/x"):
        with pytest.raises(shipstation.UnsafeResourceURL):
            shipstation.fetch_resource(sandbox, other)


# ----------------------------------------------------------------------- reconciliation, tracking

def test_list_shipments_reads_every_page_since_a_datetime(connection, mocked):
    mocked.get(f"{API}/shipments", json={"shipments": [{"shipmentId": 1}], "total": 2, "page": 1, "pages": 2})
    mocked.get(f"{API}/shipments", json={"shipments": [{"shipmentId": 2}], "total": 2, "page": 2, "pages": 2})

    shipments = shipstation.list_shipments(connection, "2026-06-01 08:30:00")

    assert [s["shipmentId"] for s in shipments] == [1, 2]
    first, second = (parse_qs(urlsplit(c.request.url).query) for c in mocked.calls)
    assert first["createDateStart"] == ["2026-06-01 08:30:00"] and first["page"] == ["1"]
    assert first["pageSize"] == ["500"] and second["page"] == ["2"]


@pytest.mark.parametrize("carrier, url", [
    ("ups", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
    ("fedex", "https://www.fedex.com/fedextrack/?trknbr=1Z999AA10123456784"),
    ("stamps_com", "https://tools.usps.com/go/TrackConfirmAction?tLabels=1Z999AA10123456784"),
    ("usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=1Z999AA10123456784"),
    ("dhl_express", "https://www.dhl.com/us-en/home/tracking.html?tracking-id=1Z999AA10123456784"),
    ("UPS", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
    ("ontrac", None),
])
def test_tracking_url_per_carrier(carrier, url):
    assert carriers.tracking_url(carrier, "1Z999AA10123456784") == url


def test_tracking_number_is_url_encoded():
    assert carriers.tracking_url("ups", "1Z 9&9") == "https://www.ups.com/track?tracknum=1Z%209%269"


def test_fetch_status_maps_a_shipped_order_with_its_tracking(order, connection, mocked):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name),
                                  vendor_order_id="555")
    mocked.get(f"{API}/orders/555", json={"orderId": 555, "orderStatus": "shipped"})
    mocked.get(f"{API}/shipments", json={"shipments": [
        {"shipmentId": 1, "voided": True, "trackingNumber": "OLD", "carrierCode": "ups"},
        {"shipmentId": 2, "voided": False, "trackingNumber": "9400100000000000000000", "carrierCode": "stamps_com"}]})

    update = ShipStationConnector().fetch_status(dispatch, order)

    assert update.status == "Shipped" and update.vendor_order_id == "555"
    assert update.tracking_number == "9400100000000000000000"
    assert update.carrier == "stamps_com"
    assert update.tracking_url.startswith("https://tools.usps.com/")


def test_cancel_upserts_the_order_as_cancelled(order, connection, mocked):
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name),
                                  vendor_order_id="12345678")
    mocked.post(CREATE, json=created(status="cancelled"))

    assert ShipStationConnector().cancel(dispatch, order) is True
    body = sent_json(mocked.calls[0])
    assert body["orderStatus"] == "cancelled" and body["orderKey"] == f"{order.name}-shipstation"


def test_disconnected_connection_is_a_permanent_error(order, connection):
    connection.db_set("status", "Disconnected")
    dispatch = factories.dispatch(order, "shipstation", connection=("ShipStation Connection", connection.name))
    with pytest.raises(VendorError) as raised:
        ShipStationConnector().send(dispatch, order)
    assert raised.value.retryable is False
