"""The whole Shopify install and sync against the Shopify sandbox (``sandbox/shopify.py``) over loopback HTTP.

No mocks: a vendor starts the install through MedGrid's API, the "merchant" opens the authorize URL
(the sandbox approves at once and redirects with a signed code), the browser follows the redirect to
MedGrid's callback, MedGrid exchanges the code for an expiring offline token; then the store's catalog
and inventory are synced, twice (the second run changes nothing), the token is refreshed, and the
Exoceuticals catalog sync runs from the CLI as an operator would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests

import frappe
from frappe.utils import add_to_date, now_datetime

from medgrid.integrations import catalog_sync, inventory_sync
from medgrid.integrations.store_sync import vendor_store
from sandbox.shopify import ShopifySandbox
from tests.medgrid import factories
from tests.medgrid.integration_helpers import api_token, http, make_vendor, set_app_settings, unique

SANDBOX_APP_KEY = "sandbox-medgrid-shopify-key"
SANDBOX_APP_SECRET = "sandbox-medgrid-shopify-secret"
REDIRECT_URI = "https://app.medgrid.example/api/method/medgrid.integrations.shopify_callback"


@pytest.fixture()
def shopify():
    sandbox = ShopifySandbox({"step_delay": None, "medgrid_url": None}, port=0).start()
    yield sandbox
    sandbox.stop()


def sandbox_state(sandbox) -> dict:
    session = requests.Session()
    session.trust_env = False
    return session.get(f"{sandbox.base_url}/__sandbox/state").json()


def follow_authorize(authorize_url: str) -> str:
    """Play the merchant: open the authorize URL, return the callback query Shopify redirects to."""
    session = requests.Session()
    session.trust_env = False
    reply = session.get(authorize_url, allow_redirects=False)
    assert reply.status_code == 302, reply.text
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return location.query


def test_install_then_catalog_and_inventory_sync_against_the_sandbox(site, shopify, capsys):
    # given: the MedGrid app of the sandbox, a vendor, and the sandbox address for its (new) shop
    factories.masters()
    set_app_settings(SANDBOX_APP_KEY, SANDBOX_APP_SECRET, REDIRECT_URI)
    user, profile = make_vendor("shopify")
    shop = f"{unique('acme-')}.myshopify.com"
    frappe.get_doc({"doctype": "Shopify Connection", "shop_domain": shop, "status": "Pending",
                    "api_base_url": f"{shopify.base_url}/shops/{shop}",
                    "warehouse": factories.MAIN_WAREHOUSE}).insert(ignore_permissions=True)

    # when: the vendor starts, the merchant approves, the browser comes back
    start = http("POST", "/api/method/medgrid.integrations.shopify_start_install", headers=api_token(user),
                 body={"shop_domain": shop})
    assert start.status == 200, start.body
    callback_query = follow_authorize(start.message["authorize_url"])
    back = http("GET", f"/api/method/medgrid.integrations.shopify_callback?{callback_query}")

    # then: connected with an expiring offline token
    assert back.location_query()["status"] == "connected", back.location
    connection = frappe.get_doc("Shopify Connection", shop)
    assert (connection.status, connection.vendor_profile, connection.connected_by) == ("Connected", profile, user)
    assert connection.get_password("access_token").startswith("shpat_")
    assert connection.get_password("refresh_token").startswith("shprt_") and connection.token_expires_at
    assert "read_inventory" in connection.scopes

    # when: the store's catalog is synced (12 seeded products, some with 2-3 variants, one draft)
    store = vendor_store(shop)
    first = catalog_sync.sync_catalog(store)
    variants = sandbox_state(shopify)["shops"][shop]["variants"]

    # then
    assert (first["created"], first["failed"], first["complete"]) == (variants, 0, True)
    assert f"{shop}: synced 12/12 products" in capsys.readouterr().out
    items = frappe.get_all("Item", filters={"vendor_profile": profile, "fulfillment_vendor": "shopify"},
                           fields=["item_code", "exoceuticals_variant_id", "medgrid_approved"])
    assert len(items) == variants and all(i.exoceuticals_variant_id.startswith("gid://shopify/ProductVariant/")
                                          for i in items)
    assert not any(i.medgrid_approved for i in items)
    assert catalog_sync.sync_catalog(vendor_store(shop))["unchanged"] == variants

    # when: inventory, twice, then one level changes in Shopify
    stock = inventory_sync.sync_inventory(vendor_store(shop))
    assert stock["failed"] == 0 and stock["created"] > 0
    rerun = inventory_sync.sync_inventory(vendor_store(shop))
    assert rerun["created"] == rerun["updated"] == 0
    sku = items[0].item_code
    session = requests.Session()
    session.trust_env = False
    session.post(f"{shopify.base_url}/__sandbox/action",
                 json={"action": "set_inventory", "shop": shop, "sku": sku, "available": 77}).raise_for_status()
    changed = inventory_sync.sync_inventory(vendor_store(shop))
    assert changed["created"] + changed["updated"] == 1
    assert frappe.db.get_value("Bin", {"item_code": sku, "warehouse": factories.MAIN_WAREHOUSE}, "actual_qty") >= 77

    # when: the token is about to expire, the next client refreshes it (rotating the refresh token)
    old_refresh = connection.get_password("refresh_token")
    frappe.db.set_value("Shopify Connection", shop, "token_expires_at", add_to_date(now_datetime(), minutes=1))
    assert catalog_sync.sync_catalog(vendor_store(shop))["complete"] is True
    refreshed = frappe.get_doc("Shopify Connection", shop)
    assert refreshed.get_password("refresh_token") != old_refresh
    assert refreshed.token_expires_at > add_to_date(now_datetime(), minutes=50)


def test_exoceuticals_catalog_sync_from_the_cli(site, sites_path, shopify):
    # given: Exoceuticals Settings pointing at the sandbox's seeded store (40 products)
    factories.masters()
    factories.exoceuticals_settings(shop_domain="exoceuticals.myshopify.com",
                                    api_base_url=f"{shopify.base_url}/shops/exoceuticals.myshopify.com",
                                    access_token="shpat_sandbox_exoceuticals_token", item_group="Products",
                                    price_list=factories.PRICE_LIST, warehouse=factories.EXO_WAREHOUSE,
                                    token_expires_at=None)
    frappe.db.commit()

    # when
    env = {**os.environ, "MEDGRID_SITES_PATH": sites_path}
    cli = os.path.join(os.path.dirname(sys.executable), "medgrid-runtime")
    run = subprocess.run([cli, "--site", frappe.local.site, "execute", "medgrid.exoceuticals.sync_catalog"],
                         capture_output=True, text=True, env=env, timeout=300)

    # then: progress lines, then the summary as JSON
    assert run.returncode == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert "exoceuticals.myshopify.com: synced 25/40 products" in lines
    assert "exoceuticals.myshopify.com: synced 40/40 products" in lines
    summary = json.loads(lines[-1])
    assert summary["failed"] == 0 and summary["complete"] is True
    frappe.db.rollback()
    assert frappe.db.get_value("Item", "EXOCEU-002-30ML", "fulfillment_vendor") == "exoceuticals"
    stored = json.loads(frappe.db.get_single_value("Exoceuticals Settings", "last_sync_summary"))
    assert stored["kind"] == "catalog" and stored["failed"] == 0
