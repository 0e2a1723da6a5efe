"""Issue 15: the site's vendor environment (MedGrid System Settings → Environment: Production / Sandbox).

In Sandbox every vendor call — managed connectors, ShipStation connect, Shopify OAuth and GraphQL — goes to
the vendor's sandbox host; Production never uses a configured sandbox host; only admins switch; pages show a
Sandbox badge; a connect attempt retries with backoff and jitter, answers within a few seconds and leaves its
reason on the vendor's card.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses

import frappe

from medgrid.connectors.clock import set_clock
from medgrid.connectors.environment import EnvironmentRefused, registry_sandbox_hosts, vendor_base_url
from medgrid.connectors.shipstation import CONNECT_POLICY, DEFAULT_BASE_URL
from medgrid.connectors.shopify_graphql import shop_api_base
from tests.medgrid.integration_helpers import (
    api_token,
    browser_logged_in,
    http,
    make_user,
    make_vendor,
    set_app_settings,
    unique,
)

SETTINGS = "MedGrid System Settings"
SANDBOX_SS = "http://sandbox-shipstation.example:9102"
SANDBOX_SHOPIFY = "http://sandbox-shopify.example:9105"
HOSTS = {"shipstation": SANDBOX_SS, "shopify": SANDBOX_SHOPIFY, "exoceuticals": SANDBOX_SHOPIFY,
         "perfectrx": "http://sandbox-perfectrx.example:9101"}
CONNECT = "/api/method/medgrid.integrations.connect_shipstation"
SETTINGS_URL = "/api/resource/MedGrid System Settings/MedGrid System Settings"


def _save_settings(**values) -> None:
    doc = frappe.get_single(SETTINGS)
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()
    frappe.db.commit()


@pytest.fixture()
def environment(site):
    """Sets the environment for one test and restores what was stored."""
    before = frappe.db.get_single_value(SETTINGS, "environment"), frappe.db.get_single_value(SETTINGS, "sandbox_hosts")

    def set_environment(name: str, hosts: dict | None = None) -> None:
        _save_settings(environment=name, sandbox_hosts=json.dumps(hosts) if hosts is not None else None)

    yield set_environment
    frappe.db.rollback()
    _save_settings(environment=before[0] or "Production", sandbox_hosts=before[1])


@pytest.fixture()
def rsps():
    from medgrid.connectors import rate_limit

    rate_limit.reset_rate_limiters()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
    rate_limit.reset_rate_limiters()


class RecordingClock:
    """A clock that records the waits instead of sleeping them."""

    def __init__(self):
        self.now, self.sleeps = 1_700_000_000.0, []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# ------------------------------------------------------------------------------------ where calls go

def test_production_uses_the_stored_or_real_host_and_refuses_a_configured_sandbox_host(environment):
    environment("Production", HOSTS)
    assert vendor_base_url("shipstation", None, DEFAULT_BASE_URL) == DEFAULT_BASE_URL
    assert vendor_base_url("shipstation", "https://proxy.example/ss/", DEFAULT_BASE_URL) == "https://proxy.example/ss"
    assert shop_api_base("shopify", "acme.myshopify.com") == "https://acme.myshopify.com"
    with pytest.raises(EnvironmentRefused, match="Production environment and refuses the sandbox host"):
        vendor_base_url("shipstation", SANDBOX_SS + "/", DEFAULT_BASE_URL)
    with pytest.raises(EnvironmentRefused):
        shop_api_base("shopify", "acme.myshopify.com", f"{SANDBOX_SHOPIFY}/shops/acme.myshopify.com")


def test_sandbox_sends_every_vendor_to_its_sandbox_host_whatever_is_stored(environment):
    environment("Sandbox", HOSTS)
    assert vendor_base_url("shipstation", "https://ssapi.shipstation.com", DEFAULT_BASE_URL) == SANDBOX_SS
    assert vendor_base_url("perfectrx", None, "https://apis.perfectrx.com") == HOSTS["perfectrx"]
    # a shop is addressed by path on the one Shopify sandbox
    assert shop_api_base("shopify", "acme.myshopify.com", "https://acme.myshopify.com") == \
        f"{SANDBOX_SHOPIFY}/shops/acme.myshopify.com"
    assert shop_api_base("exoceuticals", "exoceuticals.myshopify.com") == \
        f"{SANDBOX_SHOPIFY}/shops/exoceuticals.myshopify.com"


def test_sandbox_without_a_host_for_a_vendor_refuses_rather_than_calling_production(environment):
    _save_settings(environment="Sandbox", sandbox_hosts=json.dumps({"shipstation": SANDBOX_SS}))
    # saving in Sandbox fills the vendors that have a local sandbox; remove one behind the form's back
    frappe.db.set_single_value(SETTINGS, "sandbox_hosts", json.dumps({"shipstation": SANDBOX_SS}))
    with pytest.raises(EnvironmentRefused, match="SINQ Ops: the site is in the Sandbox environment but has no "
                                                 "sandbox host"):
        vendor_base_url("sinq", "https://sinq.example", None)


def test_the_managed_connectors_resolve_through_the_environment(environment):
    from medgrid.connectors import centre_research, perfectrx

    environment("Sandbox", {**HOSTS, "centre_research": "http://sandbox-cr.example:9104"})
    settings = frappe.get_single("PerfectRx Settings")
    settings.base_url = "https://apis.perfectrx.com"
    with pytest.raises(EnvironmentRefused):
        # the sandbox decides before any credential is read: Production's host is never named in Sandbox
        environment("Sandbox", {"shipstation": SANDBOX_SS})
        frappe.db.set_single_value(SETTINGS, "sandbox_hosts", json.dumps({"shipstation": SANDBOX_SS}))
        perfectrx._credentials(settings)
    environment("Sandbox", {**HOSTS, "centre_research": "http://sandbox-cr.example:9104"})
    cr = frappe.get_single("Centre Research Settings")
    cr.centre_research_api_url = "https://pepapi.stmin.dev/api"
    cr.centre_research_api_key = "k"
    assert centre_research._client(cr).base_url == "http://sandbox-cr.example:9104"


def test_the_shared_client_refuses_any_other_host_in_sandbox_and_any_sandbox_host_in_production(environment, rsps):
    from medgrid.connectors.http import VendorClient

    real = rsps.get(f"{DEFAULT_BASE_URL}/accounts/listtags", json=[])
    sandbox = rsps.get(f"{SANDBOX_SS}/accounts/listtags", json=[])
    # a connector that builds its own URL (another app's, an absolute resource_url) is held to the environment
    environment("Sandbox", HOSTS)
    with pytest.raises(EnvironmentRefused, match="sends nothing to ssapi.shipstation.com"):
        VendorClient("shipstation", base_url=DEFAULT_BASE_URL).request("GET", "/accounts/listtags")
    with pytest.raises(EnvironmentRefused, match="sends nothing to sinq.example"):
        VendorClient("sinq", base_url="https://sinq.example").request("GET", "/x")
    assert VendorClient("shipstation", base_url=SANDBOX_SS).request("GET", "/accounts/listtags").status_code == 200

    environment("Production", HOSTS)
    with pytest.raises(EnvironmentRefused, match="Production environment and refuses the sandbox host"):
        VendorClient("shipstation").request("GET", f"{SANDBOX_SS}/accounts/listtags")
    assert VendorClient("shipstation", base_url=DEFAULT_BASE_URL).request("GET", "/accounts/listtags").ok
    assert (real.call_count, sandbox.call_count) == (1, 1)


# ---------------------------------------------------------------------------------------- settings

def test_switching_to_sandbox_fills_the_registry_sandboxes_and_keeps_typed_hosts(environment):
    environment("Sandbox", {"shipstation": SANDBOX_SS})
    stored = json.loads(frappe.db.get_single_value(SETTINGS, "sandbox_hosts"))
    assert stored["shipstation"] == SANDBOX_SS
    defaults = registry_sandbox_hosts()
    assert defaults["perfectrx"] == "http://127.0.0.1:9101" and defaults["shopify"] == "http://127.0.0.1:9105"
    assert {k: v for k, v in stored.items() if k != "shipstation"} == \
        {k: v for k, v in defaults.items() if k != "shipstation"}


@pytest.mark.parametrize("environment_name, hosts, message", [
    ("Staging", {}, "Environment must be one of Production, Sandbox"),
    ("Sandbox", {"nosuchvendor": "http://x.example"}, "unknown vendor nosuchvendor"),
    ("Sandbox", {"shipstation": "ftp://x.example"}, "must be an http(s) URL"),
    ("Sandbox", ["http://x.example"], "must be a JSON object"),
])
def test_bad_environment_settings_are_refused_and_change_nothing(environment, environment_name, hosts, message):
    environment("Production", HOSTS)
    doc = frappe.get_single(SETTINGS)
    doc.environment = environment_name
    doc.sandbox_hosts = json.dumps(hosts)
    doc.flags.ignore_permissions = True
    with pytest.raises(frappe.ValidationError, match=re.escape(message)):
        doc.save()
    frappe.db.rollback()
    assert frappe.db.get_single_value(SETTINGS, "environment") == "Production"


@pytest.mark.parametrize("roles", [("External Vendor",), ("Internal Sales Rep",), ("Customer / Partner Platform",)])
def test_only_admins_switch_the_environment(environment, roles):
    environment("Production", HOSTS)
    user = make_user(roles=roles)
    reply = http("PUT", SETTINGS_URL, headers=api_token(user),
                 body={"environment": "Sandbox", "sandbox_hosts": json.dumps({"shipstation": "http://evil.example"})})
    assert reply.status == 403, reply.body
    assert frappe.db.get_single_value(SETTINGS, "environment") == "Production"
    assert "evil.example" not in (frappe.db.get_single_value(SETTINGS, "sandbox_hosts") or "")


def test_guest_cannot_read_or_switch_the_environment(environment):
    environment("Production", HOSTS)
    assert http("GET", SETTINGS_URL).status == 403
    assert http("PUT", SETTINGS_URL, body={"environment": "Sandbox"}).status == 403
    assert frappe.db.get_single_value(SETTINGS, "environment") == "Production"


def test_an_admin_switches_the_environment(environment):
    environment("Production", HOSTS)
    admin = make_user(roles=("MedGrid Marketplace Admin",))
    reply = http("PUT", SETTINGS_URL, headers=api_token(admin), body={"environment": "Sandbox"})
    assert reply.status == 200, reply.body
    assert frappe.db.get_single_value(SETTINGS, "environment") == "Sandbox"


# ------------------------------------------------------------------------------ self-service connect

def test_in_sandbox_the_vendor_connects_shipstation_on_the_sandbox_host(environment, rsps):
    environment("Sandbox", HOSTS)
    user, profile = make_vendor()
    sandbox_call = rsps.get(f"{SANDBOX_SS}/accounts/listtags", json=[])
    real_call = rsps.get(f"{DEFAULT_BASE_URL}/accounts/listtags", json=[])

    reply = http("POST", CONNECT, headers=api_token(user), body={"api_key": unique("k"), "api_secret": unique("s")})

    assert reply.status == 200, reply.body
    assert sandbox_call.call_count == 1 and real_call.call_count == 0


def test_an_unreachable_shipstation_is_retried_with_backoff_and_jitter_and_the_card_says_why(environment, rsps):
    from medgrid.pages.integrations import _cards

    environment("Sandbox", HOSTS)
    user, profile = make_vendor()
    rsps.get(f"{SANDBOX_SS}/accounts/listtags", body=requests.ConnectionError("connection refused"))
    clock = RecordingClock()
    previous = set_clock(clock)
    try:
        reply = http("POST", CONNECT, headers=api_token(user), body={"api_key": "k1", "api_secret": "s1"})
    finally:
        set_clock(previous)

    assert reply.status == 502, reply.body
    assert reply.server_messages() == ["ShipStation could not be reached after 3 attempts: try again in a minute"]
    assert len(rsps.calls) == CONNECT_POLICY.max_retries + 1 == 3
    # exponential backoff with jitter, bounded: the vendor hears within a few seconds
    first, second = clock.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0
    # the reason stays on the card although no connection row was written
    card = next(c for c in _cards(profile) if c["integration"] == "shipstation")
    assert card["last_error"].startswith("ShipStation could not be reached after 3 attempts")
    assert frappe.get_all("ShipStation Connection", filters={"vendor_profile": profile}) == []


def test_refused_keys_show_on_the_card_and_a_later_success_clears_it(environment, rsps):
    from medgrid.pages.integrations import _cards

    environment("Sandbox", HOSTS)
    user, profile = make_vendor()
    rsps.get(f"{SANDBOX_SS}/accounts/listtags", status=401, body="")
    assert http("POST", CONNECT, headers=api_token(user), body={"api_key": "bad", "api_secret": "bad"}).status == 401
    card = next(c for c in _cards(profile) if c["integration"] == "shipstation")
    assert "rejected the API Key/Secret" in card["last_error"]

    rsps.replace(responses.GET, f"{SANDBOX_SS}/accounts/listtags", json=[])
    assert http("POST", CONNECT, headers=api_token(user), body={"api_key": "good", "api_secret": "good"}).status == 200
    card = next(c for c in _cards(profile) if c["integration"] == "shipstation")
    assert card["last_error"] is None


def test_production_refuses_an_admin_pointing_a_connect_at_a_sandbox_host(environment, rsps):
    environment("Production", HOSTS)
    _user, profile = make_vendor()
    admin = make_user(roles=("MedGrid Marketplace Admin",))
    call = rsps.get(f"{SANDBOX_SS}/accounts/listtags", json=[])
    reply = http("POST", CONNECT, headers=api_token(admin),
                 body={"api_key": "k", "api_secret": "s", "vendor_profile": profile, "base_url": SANDBOX_SS})
    assert reply.status == 417, reply.body
    assert "refuses the sandbox host" in reply.server_messages()[0]
    assert call.call_count == 0
    assert frappe.get_all("ShipStation Connection", filters={"vendor_profile": profile}) == []


def test_in_sandbox_the_shopify_install_goes_to_the_sandbox_authorize_screen(environment):
    environment("Sandbox", HOSTS)
    set_app_settings()
    user, profile = make_vendor()
    reply = http("POST", "/api/method/medgrid.integrations.shopify_start_install", headers=api_token(user),
                 body={"shop_domain": "acme-demo.myshopify.com"})
    assert reply.status == 200, reply.body
    assert reply.message["authorize_url"].startswith(
        f"{SANDBOX_SHOPIFY}/shops/acme-demo.myshopify.com/admin/oauth/authorize?")


# -------------------------------------------------------------------------------------------- badge

@pytest.mark.parametrize("name, shown", [("Sandbox", True), ("Production", False)])
def test_pages_show_a_sandbox_badge_only_in_sandbox(environment, name, shown):
    environment(name, HOSTS)
    user, _profile = make_vendor()
    page = http("GET", "/portal/integrations", headers={"Accept": "text/html"}, client=browser_logged_in(user))
    assert page.status == 200
    assert ('class="mg-sandbox-badge"' in page.body.decode()) is shown
