"""The Shopify install (authorization-code grant) for vendor stores and for the Exoceuticals store."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses

import frappe
from frappe.utils import add_to_date, now_datetime

from medgrid.exceptions import IntegrationConflictError, IntegrationNotConfiguredError, InvalidParameterError
from medgrid.integrations import exoceuticals, vendor_shopify
from medgrid.integrations.shopify_oauth import OAuthRejected, normalize_shop_domain, verify_callback_hmac
from medgrid.connectors.shopify_tokens import access_token
from tests.medgrid.integration_helpers import (
    APP_KEY,
    APP_SECRET,
    REDIRECT_URI,
    api_token,
    browser_logged_in,
    http,
    make_user,
    make_vendor,
    set_app_settings,
    unique,
)

START = "/api/method/medgrid.integrations.shopify_start_install"
CALLBACK = "/api/method/medgrid.integrations.shopify_callback"
EXO_CALLBACK = "/api/method/medgrid.exoceuticals.oauth_callback"
SCOPES = "read_products,write_products,read_orders,write_orders,read_inventory"


@pytest.fixture()
def rsps():
    from medgrid.connectors import rate_limit

    rate_limit.reset_rate_limiters()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def new_shop() -> str:
    return f"{unique('store-')}.myshopify.com"


def signed(params: dict, secret: str = APP_SECRET) -> dict:
    """``params`` with Shopify's ``hmac``: hex HMAC-SHA256 of the sorted ``k=v`` pairs."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def callback_query(shop: str, state: str, code: str = "code-123", **extra) -> dict:
    return signed({"code": code, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUveA", "shop": shop, "state": state,
                   "timestamp": str(int(time.time())), **extra})


def token_answer(rsps, shop: str, **answer):
    body = {"access_token": "shpat_" + unique(), "scope": SCOPES, "expires_in": 3600,
            "refresh_token": "shprt_" + unique(), "refresh_token_expires_in": 7776000, **answer}
    rsps.post(f"https://{shop}/admin/oauth/access_token", json=body)
    return body


def start(user: str, shop: str, **kwargs) -> dict:
    current = frappe.session.user
    frappe.set_user(user)
    try:
        return vendor_shopify.shopify_start_install(shop_domain=shop, **kwargs)
    finally:
        frappe.set_user(current)


def state_row(state: str):
    return frappe.db.get_value("Shopify OAuth State", {"state": hashlib.sha256(state.encode()).hexdigest()},
                               ["user", "vendor_profile", "shop_domain", "purpose", "used", "expires_at"],
                               as_dict=True)


@pytest.fixture()
def vendor(site):
    set_app_settings()
    return make_vendor("shopify")


# ------------------------------------------------------------------------------------- start

def test_start_returns_the_authorize_url_and_a_single_use_state_bound_to_the_user(vendor):
    user, profile = vendor
    shop = new_shop()

    answer = start(user, shop.upper())

    assert answer["ok"] is True
    url = urlsplit(answer["authorize_url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == ("https", shop, "/admin/oauth/authorize")
    assert query == {"client_id": APP_KEY, "scope": SCOPES, "redirect_uri": REDIRECT_URI, "state": answer["state"]}
    assert "grant_options[]" not in url.query  # offline token
    row = state_row(answer["state"])
    assert (row.user, row.vendor_profile, row.shop_domain, row.purpose, row.used) == (user, profile, shop, "vendor", 0)
    minutes = (row.expires_at - now_datetime()).total_seconds() / 60
    assert 9 < minutes <= 10
    # only the hash is stored
    assert not frappe.db.exists("Shopify OAuth State", {"state": answer["state"]})
    assert start(user, shop)["state"] != answer["state"]


@pytest.mark.parametrize("domain", ["acme.myshopify.com.evil.example", "evil.example/acme.myshopify.com",
                                    "-acme.myshopify.com", "acme.myshopify.co", "acme_store.myshopify.com",
                                    "", "acme.myshopify.com\nevil.example", "https://acme.myshopify.com@evil.example"])
def test_a_bad_shop_domain_is_400(vendor, domain):
    user, _profile = vendor
    with pytest.raises(InvalidParameterError):
        start(user, domain)


def test_shop_domain_normalisation():
    assert normalize_shop_domain(" https://Acme-Store.MyShopify.com/ ") == "acme-store.myshopify.com"
    assert normalize_shop_domain("acme.myshopify.com.evil.example") is None


def test_http_answers_400_for_a_bad_domain_and_417_without_app_settings(site):
    user, _profile = make_vendor("shopify")
    token = api_token(user)
    set_app_settings()
    assert http("POST", START, headers=token, body={"shop_domain": "nope.example.com"}).status == 400

    for missing in ({"api_key": None}, {"api_secret": None}, {"redirect_uri": None}):
        set_app_settings(**missing)
        reply = http("POST", START, headers=token, body={"shop_domain": new_shop()})
        assert reply.status == 417, reply.body
        assert "MedGrid System Settings" in reply.server_messages()[0]
    set_app_settings()


def test_only_vendors_start_an_install(site):
    set_app_settings()
    outsider = make_user(roles=("Internal Sales Rep",))
    assert http("POST", START, headers=api_token(outsider), body={"shop_domain": new_shop()}).status == 403


def test_a_shop_of_another_vendor_cannot_be_started(vendor):
    user, _profile = vendor
    _other_user, other_profile = make_vendor("shopify")
    shop = new_shop()
    frappe.get_doc({"doctype": "Shopify Connection", "shop_domain": shop, "vendor_profile": other_profile,
                    "status": "Connected"}).insert(ignore_permissions=True)

    with pytest.raises(IntegrationConflictError):
        start(user, shop)


# ----------------------------------------------------------------------------------- callback

def test_the_callback_stores_the_expiring_offline_token_and_redirects_to_the_portal(vendor, rsps):
    # given
    user, profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    answer = token_answer(rsps, shop)

    # when
    reply = http("GET", CALLBACK, query=callback_query(shop, state))

    # then
    assert reply.status in (301, 302, 303), reply.body
    assert reply.location.startswith("/portal/integrations?")
    assert reply.location_query() == {"integration": "shopify", "status": "connected", "shop": shop,
                                      "message": f"{shop} is connected"}
    [call] = rsps.calls
    sent = {k: v[0] for k, v in parse_qs(call.request.body).items()}
    assert sent == {"client_id": APP_KEY, "client_secret": APP_SECRET, "code": "code-123", "expiring": "1"}
    doc = frappe.get_doc("Shopify Connection", shop)
    assert (doc.vendor_profile, doc.status, doc.connected_by, doc.scopes) == (profile, "Connected", user, SCOPES)
    assert doc.get_password("access_token") == answer["access_token"]
    assert doc.get_password("refresh_token") == answer["refresh_token"]
    assert 55 < (doc.token_expires_at - now_datetime()).total_seconds() / 60 <= 60
    assert state_row(state).used == 1
    # nothing secret reaches the integration log
    logs = frappe.as_json(frappe.get_all("MedGrid Integration Log", filters={"reference_name": shop}, fields=["*"]))
    for secret in (APP_SECRET, answer["access_token"], answer["refresh_token"], "code-123"):
        assert secret not in logs


def test_a_bad_hmac_is_refused_and_leaves_the_state_usable(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    query = callback_query(shop, state)
    query["hmac"] = "0" * 64

    reply = http("GET", CALLBACK, query=query)

    assert reply.location_query()["status"] == "error"
    assert "could not be verified" in reply.location_query()["message"]
    assert len(rsps.calls) == 0 and not frappe.db.exists("Shopify Connection", shop)
    assert state_row(state).used == 0
    # signed with another secret, or a changed parameter after signing: also refused
    assert http("GET", CALLBACK, query=callback_query(shop, state) | {"code": "other"}).location_query()["status"] \
        == "error"
    forged = signed({"code": "c", "shop": shop, "state": state, "timestamp": str(int(time.time()))}, "not-the-secret")
    assert http("GET", CALLBACK, query=forged).location_query()["status"] == "error"
    assert len(rsps.calls) == 0


def test_an_unknown_state_is_refused(vendor, rsps):
    shop = new_shop()
    reply = http("GET", CALLBACK, query=callback_query(shop, "f" * 64))
    assert reply.location_query()["status"] == "error" and "not valid" in reply.location_query()["message"]
    assert len(rsps.calls) == 0 and not frappe.db.exists("Shopify Connection", shop)


def test_an_expired_state_is_refused_and_spent(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    frappe.db.set_value("Shopify OAuth State", {"shop_domain": shop}, "expires_at",
                        add_to_date(now_datetime(), minutes=-1))

    reply = http("GET", CALLBACK, query=callback_query(shop, state))

    assert reply.location_query()["status"] == "error" and "expired" in reply.location_query()["message"]
    assert len(rsps.calls) == 0 and state_row(state).used == 1


def test_a_replayed_callback_is_refused(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    first_token = token_answer(rsps, shop)["access_token"]
    query = callback_query(shop, state)
    assert http("GET", CALLBACK, query=query).location_query()["status"] == "connected"

    again = http("GET", CALLBACK, query=query)

    assert again.location_query()["status"] == "error" and "already used" in again.location_query()["message"]
    assert len(rsps.calls) == 1
    assert frappe.get_doc("Shopify Connection", shop).get_password("access_token") == first_token


def test_a_state_of_another_user_is_refused(vendor, rsps):
    owner, _profile = vendor
    shop = new_shop()
    state = start(owner, shop)["state"]
    intruder, _intruder_profile = make_vendor("shopify")
    browser = browser_logged_in(intruder)

    reply = http("GET", CALLBACK, query=callback_query(shop, state), client=browser)

    assert reply.location_query()["status"] == "error" and "another user" in reply.location_query()["message"]
    assert len(rsps.calls) == 0 and not frappe.db.exists("Shopify Connection", shop)
    assert state_row(state).used == 1


def test_the_owner_logged_in_completes_the_install(vendor, rsps):
    owner, profile = vendor
    shop = new_shop()
    state = start(owner, shop)["state"]
    token_answer(rsps, shop)

    reply = http("GET", CALLBACK, query=callback_query(shop, state), client=browser_logged_in(owner))

    assert reply.location_query()["status"] == "connected"
    assert frappe.db.get_value("Shopify Connection", shop, "vendor_profile") == profile


def test_a_callback_for_another_shop_than_the_state_is_refused(vendor, rsps):
    user, _profile = vendor
    shop, other_shop = new_shop(), new_shop()
    state = start(user, shop)["state"]

    reply = http("GET", CALLBACK, query=callback_query(other_shop, state))

    assert reply.location_query()["status"] == "error"
    assert len(rsps.calls) == 0
    assert not frappe.db.exists("Shopify Connection", shop) and not frappe.db.exists("Shopify Connection", other_shop)


def test_an_invalid_shop_in_a_signed_callback_is_refused_before_any_call(vendor, rsps):
    user, _profile = vendor
    state = start(user, new_shop())["state"]
    reply = http("GET", CALLBACK, query=callback_query("evil.example", state))
    assert reply.location_query()["status"] == "error" and len(rsps.calls) == 0


def test_an_old_signed_callback_is_refused(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    query = signed({"code": "c", "shop": shop, "state": state, "timestamp": str(int(time.time()) - 7200)})
    assert http("GET", CALLBACK, query=query).location_query()["status"] == "error"
    assert len(rsps.calls) == 0


def test_a_refused_code_spends_the_state_and_stores_nothing(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    rsps.post(f"https://{shop}/admin/oauth/access_token", status=400,
              json={"error": "invalid_request", "error_description": "The authorization code was not found"})

    reply = http("GET", CALLBACK, query=callback_query(shop, state))

    assert reply.location_query()["status"] == "error"
    assert "did not issue an access token" in reply.location_query()["message"]
    assert not frappe.db.exists("Shopify Connection", shop) and state_row(state).used == 1


def test_missing_scopes_leave_the_store_in_error(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    state = start(user, shop)["state"]
    token_answer(rsps, shop, scope="read_products")

    reply = http("GET", CALLBACK, query=callback_query(shop, state))

    assert reply.location_query()["status"] == "error"
    assert "without write_products" in reply.location_query()["message"]
    status, error = frappe.db.get_value("Shopify Connection", shop, ["status", "last_error"])
    assert status == "Error" and "write_products" in error


def test_a_sandbox_base_url_set_by_an_admin_is_used_for_authorize_and_exchange(vendor, rsps):
    user, profile = vendor
    shop = new_shop()
    base = f"http://127.0.0.1:9105/shops/{shop}"
    frappe.get_doc({"doctype": "Shopify Connection", "shop_domain": shop, "status": "Pending",
                    "api_base_url": base}).insert(ignore_permissions=True)
    answer = start(user, shop)
    assert answer["authorize_url"].startswith(f"{base}/admin/oauth/authorize?")
    rsps.post(f"{base}/admin/oauth/access_token", json={"access_token": "shpat_x", "scope": SCOPES})

    reply = http("GET", CALLBACK, query=callback_query(shop, answer["state"]))

    assert reply.location_query()["status"] == "connected"
    doc = frappe.get_doc("Shopify Connection", shop)
    assert doc.vendor_profile == profile and doc.token_expires_at is None  # a non-expiring token


def test_verify_callback_hmac_accepts_the_raw_query_form():
    # a value with characters the two signing conventions encode differently
    params = {"code": "a b", "shop": "x.myshopify.com", "state": "s", "timestamp": "1"}
    raw = "&".join(f"{k}={v}" for k, v in sorted({**params, "code": "a%20b"}.items()))
    digest = hmac.new(APP_SECRET.encode(), raw.encode(), hashlib.sha256).hexdigest()
    query = urlencode({**params, "hmac": digest}).replace("+", "%20")
    assert verify_callback_hmac(query, APP_SECRET)["code"] == "a b"
    with pytest.raises(OAuthRejected):
        verify_callback_hmac(query, "other-secret")
    with pytest.raises(OAuthRejected):
        verify_callback_hmac(query, None)


# ------------------------------------------------------------------------------------ refresh

def test_an_expiring_token_is_refreshed_before_use_and_rotated(vendor, rsps):
    _user, profile = vendor
    shop = new_shop()
    doc = frappe.get_doc({"doctype": "Shopify Connection", "shop_domain": shop, "vendor_profile": profile,
                          "status": "Connected", "access_token": "shpat_OLD", "refresh_token": "shprt_OLD",
                          "token_expires_at": add_to_date(now_datetime(), minutes=3)}).insert(ignore_permissions=True)
    rsps.post(f"https://{shop}/admin/oauth/access_token",
              json={"access_token": "shpat_NEW", "expires_in": 3600, "refresh_token": "shprt_NEW",
                    "refresh_token_expires_in": 7776000, "scope": SCOPES})

    assert access_token(doc) == "shpat_NEW"
    assert access_token(frappe.get_doc("Shopify Connection", shop)) == "shpat_NEW"  # fresh now: no second call

    [call] = rsps.calls
    sent = {k: v[0] for k, v in parse_qs(call.request.body).items()}
    assert sent == {"client_id": APP_KEY, "client_secret": APP_SECRET, "grant_type": "refresh_token",
                    "refresh_token": "shprt_OLD"}
    saved = frappe.get_doc("Shopify Connection", shop)
    assert saved.get_password("refresh_token") == "shprt_NEW"


# -------------------------------------------------------------------------------- Exoceuticals

def exo_settings(shop: str, **values):
    settings = frappe.get_single("Exoceuticals Settings")
    settings.update({"enabled": 1, "shop_domain": shop, "client_id": "exo-client", "client_secret": "exo-SECRET",
                     "api_base_url": None, **values})
    settings.flags.ignore_permissions = True
    settings.save()


def test_exoceuticals_install_is_admin_only_and_stores_the_token_on_the_settings(site, rsps):
    shop = new_shop()
    exo_settings(shop)
    vendor_user, _profile = make_vendor("exoceuticals")
    admin = make_user(roles=("MedGrid Marketplace Admin",))

    frappe.set_user(vendor_user)
    with pytest.raises(frappe.PermissionError):
        exoceuticals.start_install()
    frappe.set_user(admin)
    answer = exoceuticals.start_install()
    frappe.set_user("Administrator")
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer["authorize_url"]).query).items()}
    assert query["client_id"] == "exo-client"
    assert query["redirect_uri"].endswith("/api/method/medgrid.exoceuticals.oauth_callback")
    rsps.post(f"https://{shop}/admin/oauth/access_token", json={"access_token": "shpat_EXO", "scope": SCOPES})

    query = signed({"code": "c", "shop": shop, "state": answer["state"], "timestamp": str(int(time.time()))},
                   "exo-SECRET")
    reply = http("GET", EXO_CALLBACK, query=query)

    assert reply.location_query()["status"] == "connected", reply.location
    assert reply.location_query()["integration"] == "exoceuticals"
    settings = frappe.get_single("Exoceuticals Settings")
    assert settings.get_password("access_token") == "shpat_EXO" and settings.scopes == SCOPES


def test_a_vendor_state_cannot_complete_the_exoceuticals_install(vendor, rsps):
    user, _profile = vendor
    shop = new_shop()
    exo_settings(shop)
    state = start(user, shop)["state"]
    query = signed({"code": "c", "shop": shop, "state": state, "timestamp": str(int(time.time()))}, "exo-SECRET")

    reply = http("GET", EXO_CALLBACK, query=query)

    assert reply.location_query()["status"] == "error" and len(rsps.calls) == 0


def test_exoceuticals_install_needs_the_store_settings(site):
    exo_settings("not a shop")
    with pytest.raises(IntegrationNotConfiguredError):
        exoceuticals.start_install()
    exo_settings(new_shop(), client_secret=None)
    with pytest.raises(IntegrationNotConfiguredError):
        exoceuticals.start_install()
