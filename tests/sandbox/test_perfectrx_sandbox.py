"""PerfectRx sandbox: OAuth body format, bearer auth, idempotent orders, signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest

from sandbox.perfectrx import PerfectRxSandbox
from tests.sandbox.helpers import advance, state

SECRET = "prx-test-secret"
PATIENT = {"externalId": "CUST-1", "firstName": "Jane", "lastName": "Smith", "dateOfBirth": "1980-04-02",
           "gender": "F", "email": "jane@clinic.example", "phone": "5125550100",
           "address": {"line1": "123 Main St", "line2": "", "city": "Austin", "state": "TX", "zip": "78701",
                       "country": "US"}}
SHIP_TO = {"line1": "123 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "US"}


def verify(headers: dict, raw: bytes, secret: str = SECRET) -> bool:
    """The contract's check, written independently of the sandbox."""
    message = headers["x-perfectrx-nonce"] + headers["x-perfectrx-timestamp"] + hashlib.sha256(raw).hexdigest()
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-perfectrx-signature"])


@pytest.fixture()
def prx(start_sandbox):
    return start_sandbox(PerfectRxSandbox, client_id="prx-client", client_secret=SECRET)


def token(http, prx) -> str:
    resp = http.post(f"{prx.base_url}/v1/oauth2/token",
                     json={"credentials": {"clientId": "prx-client", "clientSecret": SECRET}})
    assert resp.status_code == 200
    return resp.json()["access_token"]


def place_escript(http, prx, bearer, external="SO-2026-00001"):
    auth = {"Authorization": f"Bearer {bearer}"}
    patient = http.post(f"{prx.base_url}/v1/patients/create", headers=auth,
                        json={"practiceId": "PRACTICE-001", "patient": PATIENT}).json()
    body = {"practiceId": "PRACTICE-001", "patientId": patient["patientId"], "externalOrderId": external,
            "prescriber": {"npi": "1234567890", "firstName": "Greg", "lastName": "House"},
            "medications": [{"drugDescription": "Testosterone Cypionate 200mg/ml 10ml vial", "quantity": 1,
                             "refills": 0, "directions": "Inject weekly", "daysSupply": 28}],
            "shipTo": SHIP_TO}
    return http.post(f"{prx.base_url}/v1/prescriptions/transmitEScript", headers=auth, json=body)


def test_token_takes_the_nested_credentials_body(http, prx):
    resp = http.post(f"{prx.base_url}/v1/oauth2/token",
                     json={"credentials": {"clientId": "prx-client", "clientSecret": SECRET}})
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]


def test_a_grant_type_form_body_gets_502(http, prx):
    resp = http.post(f"{prx.base_url}/v1/oauth2/token",
                     data={"grant_type": "client_credentials", "client_id": "prx-client", "client_secret": SECRET})
    assert resp.status_code == 502
    resp = http.post(f"{prx.base_url}/v1/oauth2/token", json={"grant_type": "client_credentials"})
    assert resp.status_code == 502


def test_wrong_client_secret_is_refused(http, prx):
    resp = http.post(f"{prx.base_url}/v1/oauth2/token",
                     json={"credentials": {"clientId": "prx-client", "clientSecret": "nope"}})
    assert resp.status_code == 401


def test_calls_need_a_valid_unexpired_bearer_token(http, prx):
    url = f"{prx.base_url}/v1/patients/create"
    body = {"practiceId": "PRACTICE-001", "patient": PATIENT}
    assert http.post(url, json=body).status_code == 401
    assert http.post(url, json=body, headers={"Authorization": "Bearer made-up"}).status_code == 401
    bearer = token(http, prx)
    assert http.post(url, json=body, headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
    http.post(f"{prx.base_url}/__sandbox/action", json={"action": "expire_tokens"})
    resp = http.post(url, json=body, headers={"Authorization": f"Bearer {bearer}"})
    assert resp.status_code == 401 and "expired" in resp.json()["message"]


def test_partner_account_header_is_required_when_configured(http, start_sandbox):
    prx = start_sandbox(PerfectRxSandbox, client_id="prx-client", client_secret=SECRET, partner_account="AGG-7")
    auth = {"Authorization": f"Bearer {token(http, prx)}"}
    url = f"{prx.base_url}/v1/patients/create"
    body = {"practiceId": "PRACTICE-001", "patient": PATIENT}
    assert http.post(url, json=body, headers=auth).status_code == 403
    assert http.post(url, json=body, headers={**auth, "X-Partner-Account": "AGG-7"}).status_code == 200


def test_patient_create_finds_an_existing_patient(http, prx):
    auth = {"Authorization": f"Bearer {token(http, prx)}"}
    url = f"{prx.base_url}/v1/patients/create"
    first = http.post(url, headers=auth, json={"practiceId": "PRACTICE-001", "patient": PATIENT}).json()
    again = http.post(url, headers=auth, json={"practiceId": "PRACTICE-001", "patient": PATIENT}).json()
    assert first["created"] is True and again["created"] is False
    assert first["patientId"] == again["patientId"]
    assert len(prx.patients) == 1


def test_patient_validation_and_unknown_practice(http, prx):
    auth = {"Authorization": f"Bearer {token(http, prx)}"}
    url = f"{prx.base_url}/v1/patients/create"
    bad_dob = {**PATIENT, "dateOfBirth": "04/02/1980"}
    assert http.post(url, headers=auth, json={"practiceId": "PRACTICE-001", "patient": bad_dob}).status_code == 400
    assert http.post(url, headers=auth, json={"practiceId": "OTHER", "patient": PATIENT}).status_code == 400


def test_escript_is_idempotent_by_external_order_id(http, prx):
    bearer = token(http, prx)
    first = place_escript(http, prx, bearer)
    again = place_escript(http, prx, bearer)
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "RECEIVED"
    assert first.json()["referenceId"] == again.json()["referenceId"]
    assert len(prx.orders) == 1
    assert len(prx.timeline.pending()) == 1  # one timeline, not two


def test_otc_transfer_is_idempotent_and_validated(http, prx):
    auth = {"Authorization": f"Bearer {token(http, prx)}"}
    patient = http.post(f"{prx.base_url}/v1/patients/create", headers=auth,
                        json={"practiceId": "PRACTICE-001", "patient": PATIENT}).json()["patientId"]
    body = {"practiceId": "PRACTICE-001", "patientId": patient, "externalOrderId": "SO-OTC-1",
            "items": [{"drugDescription": "Vitamin D3", "quantity": 2}], "shipTo": SHIP_TO}
    a = http.post(f"{prx.base_url}/v1/otc/transfer", headers=auth, json=body).json()
    b = http.post(f"{prx.base_url}/v1/otc/transfer", headers=auth, json=body).json()
    assert a["referenceId"] == b["referenceId"]
    missing = http.post(f"{prx.base_url}/v1/otc/transfer", headers=auth, json={**body, "items": []})
    assert missing.status_code == 400
    unknown_patient = http.post(f"{prx.base_url}/v1/otc/transfer", headers=auth,
                                json={**body, "patientId": "PT-404", "externalOrderId": "X"})
    assert unknown_patient.status_code == 404


def test_escript_needs_a_ten_digit_npi(http, prx):
    auth = {"Authorization": f"Bearer {token(http, prx)}"}
    patient = http.post(f"{prx.base_url}/v1/patients/create", headers=auth,
                        json={"practiceId": "PRACTICE-001", "patient": PATIENT}).json()["patientId"]
    resp = http.post(f"{prx.base_url}/v1/prescriptions/transmitEScript", headers=auth, json={
        "practiceId": "PRACTICE-001", "patientId": patient, "externalOrderId": "SO-9",
        "prescriber": {"npi": "12", "firstName": "A", "lastName": "B"},
        "medications": [{"drugDescription": "X", "quantity": 1}], "shipTo": SHIP_TO})
    assert resp.status_code == 400 and "npi" in resp.json()["message"]


def test_timeline_sends_signed_received_shipped_delivered(http, prx, receiver):
    reference = place_escript(http, prx, token(http, prx)).json()["referenceId"]
    assert receiver.received == []  # manual mode: nothing until advanced
    advance(http, prx)
    got = receiver.wait_for(3)
    assert [json.loads(r["raw"])["event"] for r in got] == ["ORDER_RECEIVED", "ORDER_SHIPPED", "ORDER_DELIVERED"]
    for r in got:
        assert r["path"] == "/api/method/medgrid.perfectrx.webhook"
        assert verify(r["headers"], r["raw"])
        assert abs(int(r["headers"]["x-perfectrx-timestamp"]) - time.time()) < 300
        uuid.UUID(r["headers"]["x-perfectrx-nonce"])
    assert len({r["headers"]["x-perfectrx-nonce"] for r in got}) == 3
    shipped = json.loads(got[1]["raw"])
    assert shipped["referenceId"] == reference and shipped["externalOrderId"] == "SO-2026-00001"
    assert shipped["data"]["trackingNumber"] and shipped["data"]["carrier"] == "UPS"
    assert shipped["data"]["trackingUrl"].endswith(shipped["data"]["trackingNumber"])
    assert prx.orders[reference]["status"] == "DELIVERED"


def test_advance_one_step_at_a_time(http, prx, receiver):
    place_escript(http, prx, token(http, prx))
    advance(http, prx, steps=1)
    assert [json.loads(r["raw"])["event"] for r in receiver.wait_for(1)] == ["ORDER_RECEIVED"]
    assert state(http, prx)["timeline"]["pending"][0]["next"] == "ORDER_SHIPPED"


def test_bad_signature_fault_sends_a_signature_that_does_not_verify(http, prx, receiver):
    place_escript(http, prx, token(http, prx))
    http.post(f"{prx.base_url}/__sandbox/faults", json={"mode": "bad_signature", "count": 1})
    advance(http, prx)
    got = receiver.wait_for(3)
    assert [verify(r["headers"], r["raw"]) for r in got] == [False, True, True]


def test_cancel_action_sends_order_canceled_and_stops_the_timeline(http, prx, receiver):
    reference = place_escript(http, prx, token(http, prx)).json()["referenceId"]
    http.post(f"{prx.base_url}/__sandbox/action", json={"action": "cancel", "order": "SO-2026-00001"})
    advance(http, prx)
    got = receiver.wait_for(1)
    assert [json.loads(r["raw"])["event"] for r in got] == ["ORDER_CANCELED"]
    assert prx.orders[reference]["status"] == "CANCELED"


def test_redelivery_replays_the_same_bytes_and_nonce(http, prx, receiver):
    place_escript(http, prx, token(http, prx))
    advance(http, prx, steps=1)
    first = receiver.wait_for(1)[0]
    delivery = state(http, prx)["webhooks"]["deliveries"][0]["id"]
    http.post(f"{prx.base_url}/__sandbox/redeliver", json={"delivery": delivery})
    again = receiver.wait_for(2)[1]
    assert again["raw"] == first["raw"]
    assert again["headers"]["x-perfectrx-nonce"] == first["headers"]["x-perfectrx-nonce"]
