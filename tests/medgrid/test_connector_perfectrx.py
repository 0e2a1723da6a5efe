"""PerfectRx connector: OAuth token (nested body, shared cache, early refresh), patient, eScript, OTC."""

from __future__ import annotations

import pytest

import frappe

from medgrid.connectors import perfectrx
from medgrid.connectors.base import VendorError
from medgrid.connectors.perfectrx import PerfectRxConnector
from tests.medgrid import factories
from tests.medgrid.connector_helpers import logs_for, sent_json

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

BASE = "https://test.apis.perfectrx.com"
TOKEN = f"{BASE}/v1/oauth2/token"
PATIENT = f"{BASE}/v1/patients/create"
ESCRIPT = f"{BASE}/v1/prescriptions/transmitEScript"
OTC = f"{BASE}/v1/otc/transfer"
RX = {"CT-PRX-TESTO": {"rx_directions": "Inject 0.5ml weekly", "rx_refills": 2, "rx_days_supply": 28}}
SHIP_TO = {"line1": "123 Main St", "line2": "Suite 4", "city": "Austin", "state": "TX", "zip": "78701",
           "country": "US"}


@pytest.fixture()
def settings(csite):
    return factories.perfectrx_settings()


def token_ok(mocked, token="tok-1", expires_in=3600):
    mocked.post(TOKEN, json={"access_token": token, "token_type": "Bearer", "expires_in": expires_in})


def patient_ok(mocked, created=True):
    mocked.post(PATIENT, json={"patientId": "PRX-PAT-9", "created": created})


def calls_to(mocked, url):
    return [c for c in mocked.calls if c.request.url == url]


def test_rx_order_sends_token_patient_and_escript_requests(settings, mocked):
    # given
    order = factories.sales_order([("CT-PRX-TESTO", 1)], rx=RX)
    dispatch = factories.dispatch(order, "perfectrx")
    token_ok(mocked)
    patient_ok(mocked)
    mocked.post(ESCRIPT, json={"referenceId": "PRX-REF-1", "status": "RECEIVED"})

    # when
    result = PerfectRxConnector().send(dispatch, order)

    # then: the nested credentials body, never a grant_type form
    token_call, patient_call, escript_call = mocked.calls
    assert sent_json(token_call) == {"credentials": {"clientId": "prx-client-id",
                                                     "clientSecret": "prx-client-secret-XYZ"}}
    assert token_call.request.headers["Content-Type"] == "application/json"
    assert sent_json(patient_call) == {
        "practiceId": "PRACTICE-42",
        "patient": {"externalId": perfectrx.external_patient_id(order), "firstName": "Jane", "lastName": "Smith",
                    "dateOfBirth": "1980-04-02", "gender": "Female", "email": "jane@patients.example",
                    "phone": "5125550199", "address": SHIP_TO},
    }
    assert sent_json(escript_call) == {
        "practiceId": "PRACTICE-42", "patientId": "PRX-PAT-9", "externalOrderId": order.name,
        "prescriber": {"npi": "1234567890", "firstName": "Greg", "lastName": "House"},
        "medications": [{"drugDescription": "Testosterone Cypionate 200mg/ml 10ml vial", "quantity": 1,
                         "refills": 2, "directions": "Inject 0.5ml weekly", "daysSupply": 28}],
        "shipTo": SHIP_TO,
    }
    for call in (patient_call, escript_call):
        assert call.request.headers["Authorization"] == "Bearer tok-1"
        assert "X-Partner-Account" not in call.request.headers
    assert result.vendor_order_id == "PRX-REF-1"
    assert result.order_fields["perfectrx_reference_id"] == "PRX-REF-1"
    assert result.order_fields["perfectrx_patient_id"] == "PRX-PAT-9"
    assert result.order_fields["perfectrx_status"] == "Received"
    assert result.order_fields["perfectrx_sync_date"]


def test_otc_lines_go_to_otc_transfer(settings, mocked):
    order = factories.sales_order([("CT-PRX-ZINC", 3)])
    dispatch = factories.dispatch(order, "perfectrx")
    token_ok(mocked)
    patient_ok(mocked)
    mocked.post(OTC, json={"referenceId": "PRX-OTC-7", "status": "RECEIVED"})

    result = PerfectRxConnector().send(dispatch, order)

    [otc_call] = calls_to(mocked, OTC)
    assert sent_json(otc_call) == {"practiceId": "PRACTICE-42", "patientId": "PRX-PAT-9",
                                   "externalOrderId": order.name,
                                   "items": [{"drugDescription": "Zinc 50mg capsules", "quantity": 3}],
                                   "shipTo": SHIP_TO}
    assert calls_to(mocked, ESCRIPT) == []
    assert result.vendor_order_id == "PRX-OTC-7"


def test_mixed_order_sends_both_and_keeps_the_rx_reference(settings, mocked):
    order = factories.sales_order([("CT-PRX-TESTO", 1), ("CT-PRX-ZINC", 2)], rx=RX)
    dispatch = factories.dispatch(order, "perfectrx")
    token_ok(mocked)
    patient_ok(mocked)
    mocked.post(ESCRIPT, json={"referenceId": "REF-RX", "status": "RECEIVED"})
    mocked.post(OTC, json={"referenceId": "REF-OTC", "status": "RECEIVED"})

    result = PerfectRxConnector().send(dispatch, order)

    assert [m["drugDescription"] for m in sent_json(calls_to(mocked, ESCRIPT)[0])["medications"]] == \
        ["Testosterone Cypionate 200mg/ml 10ml vial"]
    assert [i["drugDescription"] for i in sent_json(calls_to(mocked, OTC)[0])["items"]] == ["Zinc 50mg capsules"]
    assert result.order_fields["perfectrx_reference_id"] == "REF-RX"
    assert result.vendor_reference == "rx:REF-RX, otc:REF-OTC"
    # PerfectRx dedupes on externalOrderId: the OTC half needs an id of its own
    assert sent_json(calls_to(mocked, ESCRIPT)[0])["externalOrderId"] == order.name
    assert sent_json(calls_to(mocked, OTC)[0])["externalOrderId"] == f"{order.name}-OTC"


def test_partner_account_header_when_configured(csite, mocked):
    factories.perfectrx_settings(partner_account="AGG-77")
    order = factories.sales_order([("CT-PRX-ZINC", 1)])
    token_ok(mocked)
    patient_ok(mocked)
    mocked.post(OTC, json={"referenceId": "R", "status": "RECEIVED"})

    PerfectRxConnector().send(factories.dispatch(order, "perfectrx"), order)

    assert all(c.request.headers["X-Partner-Account"] == "AGG-77" for c in mocked.calls[1:])


def test_resend_repeats_the_same_external_order_id_and_gets_the_same_reference(settings, mocked):
    order = factories.sales_order([("CT-PRX-TESTO", 1)], rx=RX)
    dispatch = factories.dispatch(order, "perfectrx")
    token_ok(mocked)
    patient_ok(mocked)
    mocked.post(ESCRIPT, json={"referenceId": "PRX-REF-1", "status": "RECEIVED"})
    first = PerfectRxConnector().send(dispatch, order)
    frappe.db.set_value("Sales Order", order.name, first.order_fields)
    order.reload()

    second = PerfectRxConnector().send(dispatch, order)

    escripts = calls_to(mocked, ESCRIPT)
    assert [sent_json(c)["externalOrderId"] for c in escripts] == [order.name, order.name]
    assert second.vendor_order_id == first.vendor_order_id and second.already_placed is True
    assert len(calls_to(mocked, PATIENT)) == 1  # the stored patientId is reused
    assert len(calls_to(mocked, TOKEN)) == 1    # the cached token is reused


def test_token_is_refreshed_30_seconds_before_expiry(settings, mocked, clock):
    token_ok(mocked, "tok-1", expires_in=3600)
    assert perfectrx.get_access_token() == "tok-1"

    clock.advance(3600 - 31)  # 31 s left: still good
    assert perfectrx.get_access_token() == "tok-1"
    assert len(calls_to(mocked, TOKEN)) == 1

    mocked.replace(mocked.POST, TOKEN, json={"access_token": "tok-2", "expires_in": 3600})
    clock.advance(2)  # 29 s left: refreshed
    assert perfectrx.get_access_token() == "tok-2"
    assert len(calls_to(mocked, TOKEN)) == 2


def test_token_is_shared_through_the_site_cache(settings, mocked):
    token_ok(mocked, "tok-shared")
    perfectrx.get_access_token()
    frappe.local.cache = {}  # a different worker has no request-local state, only the shared cache
    assert perfectrx.get_access_token() == "tok-shared"
    assert len(calls_to(mocked, TOKEN)) == 1
    cached = frappe.cache().get_keys("medgrid:perfectrx:token:")
    assert cached and all(b"prx-client" not in (k if isinstance(k, bytes) else k.encode()) for k in cached)


def test_502_on_the_token_request_explains_the_oauth_body_format(settings, mocked, clock):
    mocked.post(TOKEN, status=502, body="Bad Gateway")

    with pytest.raises(VendorError) as raised:
        perfectrx.get_access_token()

    assert raised.value.status_code == 502 and raised.value.retryable is False
    assert "nested credentials object" in str(raised.value) and "grant_type" in str(raised.value)
    assert len(mocked.calls) == 1


def test_401_drops_the_token_and_retries_once_with_a_new_one(settings, mocked):
    order = factories.sales_order([("CT-PRX-ZINC", 1)])
    dispatch = factories.dispatch(order, "perfectrx")
    mocked.post(TOKEN, json={"access_token": "stale", "expires_in": 3600})
    mocked.post(TOKEN, json={"access_token": "fresh", "expires_in": 3600})
    mocked.post(PATIENT, status=401, json={"error": "token expired"})
    patient_ok(mocked)
    mocked.post(OTC, json={"referenceId": "R-1", "status": "RECEIVED"})

    result = PerfectRxConnector().send(dispatch, order)

    assert result.vendor_order_id == "R-1"
    patient_calls = calls_to(mocked, PATIENT)
    assert [c.request.headers["Authorization"] for c in patient_calls] == ["Bearer stale", "Bearer fresh"]


def test_rate_limit_comes_from_settings(csite, mocked, clock):
    factories.perfectrx_settings(rate_limit_requests=3, rate_limit_window_seconds=60)
    token_ok(mocked)
    for _ in range(2):
        perfectrx.invalidate_token()
        perfectrx.get_access_token()
    perfectrx.invalidate_token()
    perfectrx.get_access_token()
    assert clock.sleeps == []
    perfectrx.invalidate_token()
    perfectrx.get_access_token()  # 4th request inside 60 s
    assert clock.sleeps == [pytest.approx(60, abs=0.1)]


def test_default_limit_is_300_per_5_minutes(settings):
    limit = perfectrx._rate_limit(settings, BASE, "prx-client-id")
    assert (limit.amount, limit.window_seconds) == (300, 300)


def test_rx_without_prescriber_is_refused_before_any_call(settings, mocked):
    order = factories.sales_order([("CT-PRX-ZINC", 1)])
    dispatch = factories.dispatch(order, "perfectrx")
    dispatch.lines[0].requires_prescription = 1
    order.prescriber_npi = None

    with pytest.raises(VendorError) as raised:
        PerfectRxConnector().send(dispatch, order)

    assert raised.value.retryable is False and "Prescriber NPI" in str(raised.value)
    assert len(mocked.calls) == 0


def test_secrets_and_tokens_are_redacted_in_the_log(settings, mocked):
    order = factories.sales_order([("CT-PRX-ZINC", 1)])
    token_ok(mocked, "tok-very-secret")
    patient_ok(mocked)
    mocked.post(OTC, json={"referenceId": "R", "status": "RECEIVED"})

    PerfectRxConnector().send(factories.dispatch(order, "perfectrx"), order)

    rows = logs_for(order.name, "perfectrx")
    assert [r.url for r in rows] == [TOKEN, PATIENT, OTC]
    dump = frappe.as_json(rows)
    assert "prx-client-secret-XYZ" not in dump and "tok-very-secret" not in dump
    assert '"clientSecret": "***"' in rows[0].request_body and '"access_token": "***"' in rows[0].response_body
