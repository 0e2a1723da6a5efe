"""SINQ Ops connector: the guide's inbound-order request, 201/200 answers, retry on 5xx only."""

from __future__ import annotations

import pytest
import requests

import frappe

from medgrid.connectors.base import VendorError
from medgrid.connectors.sinq import SinqConnector
from tests.medgrid import factories
from tests.medgrid.connector_helpers import logs_for, sent_json

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

URL = "https://sinq.example/ops/api/receivers/orders/inbound"


@pytest.fixture()
def order(csite):
    factories.sinq_settings()
    return factories.sales_order([("CT-SINQ-D3", 2)])


def test_send_posts_the_guide_body_with_the_key_header(order, mocked):
    # given
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, status=201, json={"reference": order.name, "transactionId": "sinq-txn-abc123"})

    # when
    result = SinqConnector().send(dispatch, order)

    # then
    call = mocked.calls[0]
    assert call.request.headers["key"] == "sinq-api-key-SECRET"
    assert call.request.headers["Content-Type"] == "application/json"
    assert sent_json(call) == {
        "reference": order.name,
        "lineItems": [{"serviceSKU": "SINQ-ITEM-001", "quantity": 2}],
        "shippingAddress": {"firstName": "Jane", "lastName": "Smith", "address1": "123 Main St",
                            "address2": "Suite 4", "city": "Austin", "provinceCode": "TX", "zip": "78701",
                            "countryCode": "US", "phone": "5125550100"},
    }
    assert result.vendor_order_id == "sinq-txn-abc123"
    assert result.already_placed is False
    assert result.order_fields["sinq_reference"] == order.name
    assert result.order_fields["sinq_transaction_id"] == "sinq-txn-abc123"
    assert result.order_fields["sinq_status"] == "Synced"
    assert result.order_fields["sinq_sync_date"]


def test_repeated_reference_answers_200_with_the_same_transaction(order, mocked):
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, status=200, json={"reference": order.name, "transactionId": "sinq-txn-abc123"})

    result = SinqConnector().send(dispatch, order)

    assert result.vendor_order_id == "sinq-txn-abc123"
    assert result.already_placed is True


def test_5xx_is_retried_with_backoff_then_succeeds(order, mocked, clock):
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, status=503, json={"error": "busy"})
    mocked.post(URL, status=502, body="bad gateway")
    mocked.post(URL, status=201, json={"reference": order.name, "transactionId": "t-1"})

    result = SinqConnector().send(dispatch, order)

    assert result.vendor_order_id == "t-1"
    assert len(mocked.calls) == 3
    assert len(clock.sleeps) == 2 and 1.0 <= clock.sleeps[0] <= 2.0 and 2.0 <= clock.sleeps[1] <= 3.0


def test_network_error_is_retried(order, mocked, clock):
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, body=requests.ConnectionError("connection reset"))
    mocked.post(URL, status=201, json={"reference": order.name, "transactionId": "t-2"})

    assert SinqConnector().send(dispatch, order).vendor_order_id == "t-2"
    assert len(mocked.calls) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 422, 429])
def test_4xx_is_not_retried_in_call(order, mocked, clock, status):
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, status=status, json={"error": "nope"})

    with pytest.raises(VendorError) as raised:
        SinqConnector().send(dispatch, order)

    assert len(mocked.calls) == 1
    assert raised.value.status_code == status
    # only a 429 is worth a later dispatch-level retry
    assert raised.value.retryable is (status == 429)


def test_5xx_exhausting_retries_is_retryable_for_the_router(order, mocked, clock):
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, status=500, json={"error": "down"})

    with pytest.raises(VendorError) as raised:
        SinqConnector().send(dispatch, order)

    assert len(mocked.calls) == 4  # first try + 3 retries
    assert raised.value.retryable is True and raised.value.status_code == 500


def test_api_key_never_reaches_the_integration_log(order, mocked):
    dispatch = factories.dispatch(order, "sinq")
    mocked.post(URL, status=201, json={"reference": order.name, "transactionId": "t-3"})

    SinqConnector().send(dispatch, order)

    [log] = logs_for(order.name, "sinq")
    assert log.status == "Success" and log.status_code == 201 and log.method == "POST" and log.url == URL
    assert "sinq-api-key-SECRET" not in frappe.as_json(log)
    assert '"key": "***"' in log.request_headers


def test_missing_settings_is_a_permanent_error(csite):
    factories.sinq_settings(sinq_api_key=None, sinq_api_url=None)
    order = factories.sales_order([("CT-SINQ-D3", 1)])
    dispatch = factories.dispatch(order, "sinq")
    with pytest.raises(VendorError) as raised:
        SinqConnector().send(dispatch, order)
    assert raised.value.retryable is False
    assert SinqConnector().is_configured() is False
