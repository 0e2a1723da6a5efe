"""The two halves of a Shopify install, shared by vendor stores and the Exoceuticals store.

:func:`begin_install` issues the state and builds the authorize URL; :func:`complete_install` is the
body of a callback endpoint: verify the HMAC and the timestamp, check the shop, spend the state, let
the caller exchange the code and store the token, then send the browser to ``/portal/integrations``
with a status message. The callback is a GET — Frappe commits only unsafe methods — so this module
commits explicitly: once the state is spent (a failure later must not make it reusable) and once
the token is stored.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlencode

import frappe
from frappe import _

from medgrid.connectors.base import VendorError
from medgrid.connectors.environment import EnvironmentRefused
from medgrid.connectors.integration_log import log_rejected_request
from medgrid.exceptions import IntegrationNotConfiguredError
from medgrid.integrations import connect_attempts
from medgrid.integrations.constants import PORTAL_PATH
from medgrid.integrations.shopify_oauth import (
    InstallState,
    OAuthRejected,
    authorize_url,
    check_timestamp,
    consume_state,
    issue_state,
    normalize_shop_domain,
    verify_callback_hmac,
)
from medgrid.connectors.shopify_tokens import ShopifyApp

LOGGER = "medgrid.integrations"


def require_app(app: ShopifyApp, where: str) -> ShopifyApp:
    """``app`` when fully configured, else a 417 naming what is missing and where to set it."""
    missing = app.missing()
    if missing:
        frappe.throw(_("Shopify is not set up yet: {0} missing in {1}. Ask a MedGrid admin.")
                     .format(", ".join(missing), where), IntegrationNotConfiguredError)
    return app


def begin_install(app: ShopifyApp, purpose: str, shop_domain: str, vendor_profile: str | None = None,
                  api_base_url: str | None = None) -> dict:
    """A new state for the session user and the URL that asks the shop's owner to approve MedGrid.

    The authorize URL is on the host the site's environment names (the Shopify sandbox in Sandbox); a host
    the environment refuses is a 417 with the reason, also kept for the vendor's card.
    """
    state = issue_state(purpose, shop_domain, vendor_profile)
    try:
        url = authorize_url(app, shop_domain, state, api_base_url)
    except EnvironmentRefused as refused:
        if vendor_profile:
            connect_attempts.record_failure(vendor_profile, app.vendor, str(refused))
        frappe.throw(str(refused), IntegrationNotConfiguredError)
    return {"ok": True, "authorize_url": url, "state": state}


def redirect_to_portal(integration: str, status: str, message: str, shop: str | None = None) -> None:
    """Answer the request with a redirect to the Integrations page carrying a status message."""
    query = {"integration": integration, "status": status, "message": message}
    if shop:
        query["shop"] = shop
    frappe.local.response["type"] = "redirect"
    frappe.local.response["location"] = f"{PORTAL_PATH}?{urlencode(query)}"


def complete_install(integration: str, purpose: str, app: ShopifyApp,
                     store: Callable[[InstallState, str, str], tuple[bool, str]]) -> None:
    """Run a callback: checks, state, ``store(state, shop, code)`` (exchange + save), redirect.

    The HMAC, timestamp and shop are checked before the state is looked at (an unsigned request
    cannot spend anyone's state). ``store`` exchanges the code before it writes anything and returns
    ``(complete, message)`` — not complete when Shopify granted fewer scopes than asked (the token is
    kept, the store is in error); it may raise :class:`OAuthRejected` (e.g. the store belongs to
    another vendor) or :class:`VendorError` (Shopify refused the code).
    """
    request = frappe.request
    raw_query = request.query_string.decode("utf-8", "replace") if request else ""
    url = request.url if request else ""
    shop = None
    state = None
    if request and request.args.get("error") == "access_denied":
        # the merchant pressed Cancel on Shopify's install screen: nothing is signed, nothing is spent
        message = _("The install was cancelled in Shopify: nothing was connected")
        _remember(integration, None, message)
        redirect_to_portal(integration, "error", message, normalize_shop_domain(request.args.get("shop")))
        return
    try:
        params = verify_callback_hmac(raw_query, app.client_secret)
        check_timestamp(params)
        shop = normalize_shop_domain(params.get("shop"))
        if not shop:
            raise OAuthRejected(_("Shopify answered for an invalid store"), f"invalid shop {params.get('shop')!r}")
        code = params.get("code")
        if not code:
            raise OAuthRejected(_("Shopify's answer carries no authorization code"), "code missing")
        state = consume_state(params.get("state"), purpose, shop, frappe.session.user)
        frappe.db.commit()  # the state is spent, whatever happens next
        complete, message = store(state, shop, code)
    except OAuthRejected as rejected:
        # nothing but the spent state (and log rows) was written: keep them
        # the state (and code, hmac: masked by name) never reach the log
        state_value = (frappe.request.args.get("state") if request else None) or ""
        log_rejected_request(integration, "GET", url, rejected.reason, secrets=(state_value,))
        frappe.db.commit()
        _remember(integration, state, rejected.message)
        redirect_to_portal(integration, "error", rejected.message, shop)
        return
    except VendorError as failed:
        frappe.logger(LOGGER).warning("Shopify install of %s failed: %s", shop, failed)
        frappe.db.commit()
        message = (str(failed) if isinstance(failed, EnvironmentRefused)
                   else _("Shopify did not issue an access token: start the connection again"))
        _remember(integration, state, message)
        redirect_to_portal(integration, "error", message, shop)
        return
    frappe.db.commit()
    if complete:
        _forget(integration, state)
    else:
        _remember(integration, state, message)
    redirect_to_portal(integration, "connected" if complete else "error", message, shop)


def _attempt_profile(state: InstallState | None) -> str | None:
    """The vendor an install attempt was for: the spent state's, else the signed-in vendor's own profile."""
    if state and state.vendor_profile:
        return state.vendor_profile
    if frappe.session.user == "Guest":
        return None
    return frappe.db.get_value("Vendor Profile", {"user": frappe.session.user}, "name")


def _remember(integration: str, state: InstallState | None, message: str) -> None:
    profile = _attempt_profile(state)
    if profile:
        connect_attempts.record_failure(profile, integration, message)


def _forget(integration: str, state: InstallState | None) -> None:
    profile = _attempt_profile(state)
    if profile:
        connect_attempts.clear(profile, integration)
