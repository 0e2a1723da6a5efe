"""ShipStation self-service connection: connect, status, disconnect, the portal cards, the platform rule."""

from __future__ import annotations

import base64
import json

import pytest
import responses

import frappe

from medgrid.connectors.shipstation import key_fingerprint
from medgrid.exceptions import MissingParameterError, VendorCredentialsError
from medgrid.integrations import shipstation as integration
from medgrid.integrations.status import list_integrations
from tests.medgrid.integration_helpers import api_token, http, make_user, make_vendor, unique

CONNECT = "/api/method/medgrid.integrations.connect_shipstation"
LIST_TAGS = "https://ssapi.shipstation.com/accounts/listtags"


@pytest.fixture()
def rsps():
    from medgrid.connectors import rate_limit

    rate_limit.reset_rate_limiters()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
    rate_limit.reset_rate_limiters()


def connections(profile: str) -> list:
    frappe.db.rollback()
    return frappe.get_all("ShipStation Connection", filters={"vendor_profile": profile},
                          fields=["name", "status", "key_fingerprint", "connected_by"])


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


# ------------------------------------------------------------------------------------------ HTTP

def test_connect_checks_the_key_pair_once_and_stores_it_encrypted(site, rsps):
    # given
    user, profile = make_vendor()
    key, secret = unique("ss-key-"), unique("ss-secret-")
    rsps.get(LIST_TAGS, json=[{"tagId": 1, "name": "VIP", "color": "#FF0000"}])

    # when
    reply = http("POST", CONNECT, headers=api_token(user), body={"api_key": key, "api_secret": secret})

    # then
    assert reply.status == 200, reply.body
    assert reply.message == {"ok": True, "integration": "shipstation", "status": "connected"}
    assert len(rsps.calls) == 1 and rsps.calls[0].request.headers["Authorization"] == basic(key, secret)
    [row] = connections(profile)
    assert (row.status, row.key_fingerprint, row.connected_by) == ("Connected", key_fingerprint(key, secret), user)
    doc = frappe.get_doc("ShipStation Connection", row.name)
    assert doc.get_password("api_key") == key and doc.get_password("api_secret") == secret
    # the column holds a mask, the value is only in the encrypted store
    assert secret not in json.dumps(frappe.db.get_value("ShipStation Connection", row.name, "*", as_dict=True),
                                    default=str)


def test_bad_credentials_answer_401_and_store_nothing(site, rsps):
    user, profile = make_vendor()
    rsps.get(LIST_TAGS, status=401, body="")

    reply = http("POST", CONNECT, headers=api_token(user), body={"api_key": "wrong-key", "api_secret": "wrong-secret"})

    assert reply.status == 401
    assert reply.json()["exc_type"] == "VendorCredentialsError"
    assert "rejected the API Key/Secret" in reply.server_messages()[0]
    assert connections(profile) == []


@pytest.mark.parametrize("body", [{}, {"api_key": "k"}, {"api_secret": "s"}, {"api_key": " ", "api_secret": "s"}])
def test_missing_fields_answer_400_without_calling_shipstation(site, rsps, body):
    user, profile = make_vendor()

    reply = http("POST", CONNECT, headers=api_token(user), body=body)

    assert reply.status == 400 and reply.json()["exc_type"] == "MissingParameterError"
    assert len(rsps.calls) == 0 and connections(profile) == []


def test_a_user_without_a_vendor_profile_gets_403(site, rsps):
    outsider = make_user(roles=("Customer / Partner Platform",))
    vendor_without_profile = make_user()

    for user in (outsider, vendor_without_profile):
        reply = http("POST", CONNECT, headers=api_token(user), body={"api_key": "k", "api_secret": "s"})
        assert reply.status == 403, reply.body
    assert http("POST", CONNECT, body={"api_key": "k", "api_secret": "s"}).status == 403  # Guest
    assert len(rsps.calls) == 0


def test_connect_is_post_only(site):
    user, _profile = make_vendor()
    assert http("GET", CONNECT, headers=api_token(user), query={"api_key": "k", "api_secret": "s"}).status == 403


# ------------------------------------------------------------------------------------ in process

def test_same_key_pair_updates_its_connection_and_another_pair_adds_one(site, rsps):
    user, profile = make_vendor()
    rsps.get(LIST_TAGS, json=[])
    frappe.set_user(user)

    integration.connect_shipstation(api_key="key-A", api_secret="secret-A")
    first = frappe.get_all("ShipStation Connection", filters={"vendor_profile": profile}, pluck="name")
    integration.connect_shipstation(api_key="key-A", api_secret="secret-A")
    integration.connect_shipstation(api_key="key-B", api_secret="secret-B")

    rows = frappe.get_all("ShipStation Connection", filters={"vendor_profile": profile}, pluck="key_fingerprint")
    assert len(first) == 1 and len(rows) == 2
    assert set(rows) == {key_fingerprint("key-A", "secret-A"), key_fingerprint("key-B", "secret-B")}


def test_an_admin_connects_for_a_named_vendor_and_may_point_at_a_sandbox(site, rsps):
    _user, profile = make_vendor()
    admin = make_user(roles=("MedGrid Marketplace Admin",))
    rsps.get("http://127.0.0.1:9102/accounts/listtags", json=[])
    frappe.set_user(admin)

    with pytest.raises(MissingParameterError):
        integration.connect_shipstation(api_key="k", api_secret="s")
    integration.connect_shipstation(api_key="k", api_secret="s", vendor_profile=profile,
                                    base_url="http://127.0.0.1:9102/")

    assert frappe.db.get_value("ShipStation Connection", {"vendor_profile": profile}, "base_url") == \
        "http://127.0.0.1:9102"


def test_a_vendor_may_not_choose_the_base_url_nor_act_for_another_vendor(site, rsps):
    user, _profile = make_vendor()
    _other_user, other_profile = make_vendor()
    frappe.set_user(user)

    with pytest.raises(frappe.PermissionError):
        integration.connect_shipstation(api_key="k", api_secret="s", base_url="http://169.254.169.254")
    with pytest.raises(frappe.PermissionError):
        integration.connect_shipstation(api_key="k", api_secret="s", vendor_profile=other_profile)
    assert len(rsps.calls) == 0


def test_bad_credentials_in_process_raise_a_401_error(site, rsps):
    user, profile = make_vendor()
    rsps.get(LIST_TAGS, status=401)
    frappe.set_user(user)

    with pytest.raises(VendorCredentialsError) as raised:
        integration.connect_shipstation(api_key="k", api_secret="s")
    assert raised.value.http_status_code == 401
    assert not frappe.db.exists("ShipStation Connection", {"vendor_profile": profile})


def test_status_and_disconnect_never_return_a_secret(site, rsps):
    user, profile = make_vendor()
    rsps.get(LIST_TAGS, json=[])
    frappe.set_user(user)
    integration.connect_shipstation(api_key="key-visible-nowhere", api_secret="secret-visible-nowhere")

    card = integration.shipstation_status()
    [connection] = card["connections"]
    assert card["status"] == "connected" and connection["status"] == "connected"
    cards = list_integrations()
    assert cards["vendor_profile"] == profile
    assert [c["integration"] for c in cards["integrations"]][:2] == ["shipstation", "shopify"]

    answer = integration.disconnect_shipstation()
    assert answer == {"ok": True, "integration": "shipstation", "status": "disconnected",
                      "connection": connection["connection"]}
    assert integration.shipstation_status()["status"] == "disconnected"
    doc = frappe.get_doc("ShipStation Connection", connection["connection"])
    assert doc.get_password("api_key", raise_exception=False) is None
    for payload in (card, cards, answer):
        text = json.dumps(payload, default=str)
        assert "visible-nowhere" not in text


def test_disconnect_refuses_another_vendors_connection(site, rsps):
    owner, _profile = make_vendor()
    rsps.get(LIST_TAGS, json=[])
    frappe.set_user(owner)
    integration.connect_shipstation(api_key="k1", api_secret="s1")
    name = integration.shipstation_status()["connections"][0]["connection"]
    intruder, _other = make_vendor()
    frappe.set_user(intruder)

    with pytest.raises(frappe.DoesNotExistError):
        integration.disconnect_shipstation(connection=name)
    assert frappe.db.get_value("ShipStation Connection", name, "status") == "Connected"


# ----------------------------------------------------------------------------------- controller

def test_only_one_platform_connection_may_be_active(site):
    frappe.db.set_value("ShipStation Connection", {"is_platform": 1, "status": "Connected"}, "status", "Disconnected")
    first = frappe.get_doc({"doctype": "ShipStation Connection", "is_platform": 1, "status": "Connected",
                            "api_key": "plat-key", "api_secret": "plat-secret"}).insert()
    assert first.key_fingerprint == key_fingerprint("plat-key", "plat-secret")

    second = frappe.get_doc({"doctype": "ShipStation Connection", "is_platform": 1, "status": "Connected",
                             "api_key": "plat-key-2", "api_secret": "plat-secret-2"})
    with pytest.raises(frappe.UniqueValidationError):
        second.insert()
    second.status = "Disconnected"
    second.insert()  # an inactive second platform account is fine

    with pytest.raises(frappe.ValidationError):
        frappe.get_doc({"doctype": "ShipStation Connection", "is_platform": 1, "status": "Disconnected",
                        "vendor_profile": make_vendor()[1]}).insert()


def test_a_vendor_lists_only_its_own_connections_and_profile(site):
    user, profile = make_vendor()
    _other_user, other_profile = make_vendor()
    for owner in (profile, other_profile):
        frappe.get_doc({"doctype": "ShipStation Connection", "vendor_profile": owner, "status": "Connected",
                        "api_key": unique("k"), "api_secret": unique("s")}).insert()
    token = api_token(user)

    listed = http("GET", "/api/resource/ShipStation Connection", headers=token,
                  query={"fields": json.dumps(["vendor_profile", "api_secret"]), "limit_page_length": 0})
    profiles = http("GET", "/api/resource/Vendor Profile", headers=token, query={"limit_page_length": 0})

    assert listed.status == 200, listed.body
    assert {row["vendor_profile"] for row in listed.json()["data"]} == {profile}
    assert all(set(row.get("api_secret") or "*") == {"*"} for row in listed.json()["data"])
    assert [row["name"] for row in profiles.json()["data"]] == [profile]
    other = frappe.get_all("ShipStation Connection", filters={"vendor_profile": other_profile}, pluck="name")[0]
    assert http("GET", f"/api/resource/ShipStation Connection/{other}", headers=token).status == 403
