"""Shopify app credentials and offline access tokens: the code exchange, storage and refresh-before-use.

It lives with the connectors that spend the tokens (the Shopify and Exoceuticals connectors); the OAuth
install in ``medgrid/integrations/`` uses it from there, so the dependency runs one way.

Two kinds of document hold a shop's tokens, with the same fields (``shop_domain``, ``api_base_url``,
``access_token``, ``refresh_token``, ``token_expires_at``, ``refresh_token_expires_at``, ``scopes``):
a vendor's ``Shopify Connection`` (signed for by the MedGrid app of MedGrid System Settings) and the
``Exoceuticals Settings`` single (its own app's ``client_id``/``client_secret``).

Expiring offline tokens (vendor-facts §2a): MedGrid asks for them (``expiring=1``) — public apps must
use them from 2027-01-01. Such a token lives 60 minutes and comes with a rotating refresh token.
:func:`access_token` is what every caller (the connectors, the syncs) uses: it refreshes first when
the token expires within five minutes, under a row lock so two workers do not both spend the
refresh token, and stores the new pair at once (Shopify keeps the old refresh token valid until the
new one is first used, so a lost save never locks the store out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import frappe
from frappe.utils import add_to_date, cint, get_datetime, now_datetime

from medgrid.connectors.base import VendorError
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.retry import RetryPolicy
from medgrid.connectors.shopify_graphql import shop_api_base
from medgrid.constants import EXOCEUTICALS_SETTINGS, SYSTEM_SETTINGS
from medgrid.vendors.builtin import EXOCEUTICALS as EXOCEUTICALS_VENDOR
from medgrid.vendors.builtin import SHOPIFY as SHOPIFY_VENDOR

# Shopify's token endpoint on a shop, and the guide's public callback of the Exoceuticals install
ACCESS_TOKEN_PATH = "/admin/oauth/access_token"
EXOCEUTICALS_CALLBACK_PATH = "/api/method/medgrid.exoceuticals.oauth_callback"
EXOCEUTICALS = EXOCEUTICALS_VENDOR.key
SHOPIFY = SHOPIFY_VENDOR.key

TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
# An authorization code is single use: never resend the exchange after a network error (it may have
# been spent); a 429 means Shopify did not look at it
EXCHANGE_POLICY = RetryPolicy(max_retries=2, retry_statuses=frozenset({429}), retry_network_errors=False)
# Refreshing again is safe (the old refresh token stays valid until its successor is used)
REFRESH_POLICY = RetryPolicy(max_retries=2)


@dataclass(frozen=True)
class ShopifyApp:
    """A Shopify app's client id and secret, the callback it registered, and the vendor key it logs as."""

    vendor: str
    client_id: str | None
    client_secret: str | None
    redirect_uri: str | None

    def missing(self) -> list[str]:
        """Names of the settings that are empty."""
        return [name for name, value in (("client id", self.client_id), ("client secret", self.client_secret),
                                         ("redirect URI", self.redirect_uri)) if not value]


def vendor_app() -> ShopifyApp:
    """The MedGrid app vendors install (MedGrid System Settings ``medgrid_shopify_*``)."""
    settings = frappe.get_single(SYSTEM_SETTINGS)
    return ShopifyApp(SHOPIFY, (settings.medgrid_shopify_api_key or "").strip() or None,
                      settings.get_password("medgrid_shopify_api_secret", raise_exception=False) or None,
                      (settings.medgrid_shopify_redirect_uri or "").strip() or None)


def exoceuticals_app(settings=None) -> ShopifyApp:
    """The Exoceuticals store's app (Exoceuticals Settings); its callback is the guide's oauth_callback."""
    settings = settings or frappe.get_single(EXOCEUTICALS_SETTINGS)
    return ShopifyApp(EXOCEUTICALS, (settings.client_id or "").strip() or None,
                      settings.get_password("client_secret", raise_exception=False) or None,
                      frappe.utils.get_url(EXOCEUTICALS_CALLBACK_PATH))


def app_for(doc) -> ShopifyApp:
    """The app whose tokens ``doc`` holds."""
    return exoceuticals_app(doc) if doc.doctype == EXOCEUTICALS_SETTINGS else vendor_app()


def api_base(vendor: str, shop_domain: str, api_base_url: str | None = None) -> str:
    """Where the shop's OAuth and Admin API live (the site's environment decides, see ``environment.py``)."""
    return shop_api_base(vendor, shop_domain, api_base_url)


def _token_client(app: ShopifyApp, base_url: str, policy: RetryPolicy, secrets: tuple, reference) -> VendorClient:
    return VendorClient(app.vendor, base_url=base_url, policy=policy,
                        secrets=tuple(s for s in secrets if s), reference=reference)


def _post_token_request(client: VendorClient, form: dict, shop_domain: str) -> dict:
    response = client.request("POST", ACCESS_TOKEN_PATH, data=form)
    body = response_json(response, client.vendor) or {}
    if not body.get("access_token"):
        raise VendorError(f"Shopify issued no access token for {shop_domain}", retryable=True)
    return body


def exchange_code(app: ShopifyApp, shop_domain: str, code: str, api_base_url: str | None = None,
                  reference=(None, None)) -> dict:
    """Swap an authorization code for an expiring offline token; returns Shopify's answer.

    Only ever called for a shop that passed the domain check (or an admin-set ``api_base_url``): the
    client secret is sent along.
    """
    client = _token_client(app, api_base(app.vendor, shop_domain, api_base_url), EXCHANGE_POLICY,
                           (app.client_secret, code), reference)
    return _post_token_request(client, {"client_id": app.client_id, "client_secret": app.client_secret,
                                        "code": code, "expiring": "1"}, shop_domain)


def token_values(answer: dict, now=None) -> dict:
    """Document values from a token answer; a non-expiring token clears any old expiry and refresh token."""
    now = now or now_datetime()
    expires_in = cint(answer.get("expires_in"))
    refresh_expires_in = cint(answer.get("refresh_token_expires_in"))
    values = {
        "access_token": answer["access_token"],
        "refresh_token": answer.get("refresh_token") or None,
        "token_expires_at": add_to_date(now, seconds=expires_in) if expires_in else None,
        "refresh_token_expires_at": add_to_date(now, seconds=refresh_expires_in) if refresh_expires_in else None,
    }
    if answer.get("scope") is not None:
        values["scopes"] = answer["scope"]
    return values


def needs_refresh(doc, now=None) -> bool:
    """Whether ``doc``'s access token expires within :data:`TOKEN_REFRESH_MARGIN`."""
    expires_at = doc.get("token_expires_at")
    return bool(expires_at) and get_datetime(expires_at) - (now or now_datetime()) < TOKEN_REFRESH_MARGIN


def _lock(doc) -> None:
    """Re-read ``doc`` under a row lock so concurrent workers refresh one after the other."""
    if doc.meta.issingle:
        doc.reload()
        return
    frappe.db.get_value(doc.doctype, doc.name, "name", for_update=True)
    doc.reload()


def refresh_access_token(doc, app: ShopifyApp | None = None) -> str:
    """Exchange ``doc``'s refresh token for a new token pair, store both and return the access token."""
    app = app or app_for(doc)
    refresh_token = doc.get_password("refresh_token", raise_exception=False)
    if not (app.client_id and app.client_secret and refresh_token):
        raise VendorError(f"Cannot refresh the Shopify token of {doc.shop_domain}: app key, secret or refresh "
                          f"token missing", retryable=False)
    client = _token_client(app, api_base(app.vendor, doc.shop_domain, doc.get("api_base_url")), REFRESH_POLICY,
                           (app.client_secret, refresh_token), (doc.doctype, doc.name))
    answer = _post_token_request(client, {"client_id": app.client_id, "client_secret": app.client_secret,
                                          "grant_type": "refresh_token", "refresh_token": refresh_token},
                                 doc.shop_domain)
    values = token_values(answer)
    if not values["refresh_token"]:
        values.pop("refresh_token")  # keep the current one when Shopify does not rotate it
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()
    return answer["access_token"]


def access_token(doc, app: ShopifyApp | None = None) -> str | None:
    """``doc``'s access token, refreshed first when it expires within five minutes."""
    if needs_refresh(doc):
        _lock(doc)
        if needs_refresh(doc):  # another worker may have refreshed while this one waited
            return refresh_access_token(doc, app)
    return doc.get_password("access_token", raise_exception=False)
