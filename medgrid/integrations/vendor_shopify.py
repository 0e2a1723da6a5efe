"""Shopify self-connect for vendors (guide A6a): start the install, take the callback, show, disconnect.

``POST medgrid.integrations.shopify_start_install`` ``{"shop_domain"}`` → ``{"ok", "authorize_url",
"state"}``; Shopify sends the merchant back to ``GET medgrid.integrations.shopify_callback`` (public),
which stores the offline token encrypted on the shop's ``Shopify Connection`` (one per shop, several
per vendor) and redirects to ``/portal/integrations``. The MedGrid app's key, secret and redirect URI
come from MedGrid System Settings; without them the start answers 417.

A ``Shopify Connection`` an admin created beforehand for the shop (e.g. to set a sandbox
``api_base_url``) is reused; a shop already connected to another vendor is refused (409).

``POST medgrid.integrations.vendor_shopify.import_orders`` ``{"shop_domain"}`` queues the import of the
store's new orders as Sales Orders (:mod:`.order_import`; it also runs with the daily store sync).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.exceptions import IntegrationConflictError
from medgrid.integrations.access import vendor_profile_for_session
from medgrid.integrations.constants import (
    CONNECTED,
    DISCONNECTED,
    ERROR,
    PURPOSE_VENDOR,
    SHOPIFY,
    SHOPIFY_CONNECTION,
    SYSTEM_SETTINGS,
)
from medgrid.integrations.oauth_flow import begin_install, complete_install, require_app
from medgrid.integrations.order_import import enqueue_import
from medgrid.integrations.shopify_oauth import InstallState, OAuthRejected, missing_scopes, require_shop_domain
from medgrid.connectors.shopify_tokens import exchange_code, token_values, vendor_app
from medgrid.integrations.status import shopify_card

SETTINGS_LABEL = "MedGrid System Settings"


def _owner(shop_domain: str) -> dict | None:
    return frappe.db.get_value(SHOPIFY_CONNECTION, shop_domain, ["vendor_profile", "api_base_url", "status"],
                               as_dict=True)


@frappe.whitelist(methods=["POST"])
def shopify_start_install(shop_domain=None, vendor_profile=None):
    """Start connecting the vendor's Shopify store: a single-use state and Shopify's authorize URL."""
    profile = vendor_profile_for_session(vendor_profile)
    shop = require_shop_domain(shop_domain)
    app = require_app(vendor_app(), SETTINGS_LABEL)
    existing = _owner(shop)
    if existing and existing.vendor_profile and existing.vendor_profile != profile:
        frappe.throw(_("The store {0} is already connected to another vendor").format(shop), IntegrationConflictError)
    return begin_install(app, PURPOSE_VENDOR, shop, profile, existing.api_base_url if existing else None)


@frappe.whitelist(allow_guest=True, methods=["GET"])
def shopify_callback():
    """Shopify's redirect after the merchant approved: verify, store the token, back to the portal.

    The query is read from the raw request (``frappe.request``), not from ``frappe.form_dict``: the
    HMAC covers exactly what Shopify sent.
    """
    complete_install(SHOPIFY, PURPOSE_VENDOR, vendor_app(), _store_connection)


def _store_connection(state: InstallState, shop: str, code: str) -> tuple[bool, str]:
    """Exchange the code and store the token on the shop's Shopify Connection (created if new)."""
    existing = _owner(shop)
    if existing and existing.vendor_profile and existing.vendor_profile != state.vendor_profile:
        raise OAuthRejected(_("This store is already connected to another vendor"),
                            f"{shop} belongs to {existing.vendor_profile}")
    answer = exchange_code(vendor_app(), shop, code, existing.api_base_url if existing else None,
                           reference=(SHOPIFY_CONNECTION, shop))
    doc = frappe.get_doc(SHOPIFY_CONNECTION, shop) if existing else frappe.new_doc(SHOPIFY_CONNECTION)
    missing = missing_scopes(answer.get("scope"))
    doc.update({
        "shop_domain": shop, "vendor_profile": state.vendor_profile, "connected_by": state.user,
        "connected_on": now_datetime(), "status": ERROR if missing else CONNECTED,
        "last_error": _("Shopify did not grant: {0}").format(", ".join(missing)) if missing else None,
        "api_version": doc.get("api_version") or frappe.db.get_single_value(SYSTEM_SETTINGS, "shopify_api_version"),
        **token_values(answer),
    })
    doc.flags.ignore_permissions = True
    doc.save()
    if missing:
        return False, _("{0} is connected without {1}: connect again and approve every permission").format(
            shop, ", ".join(missing))
    return True, _("{0} is connected").format(shop)


@frappe.whitelist(methods=["GET", "POST"])
def shopify_status(vendor_profile=None):
    """The vendor's Shopify card: each connected store's status, scopes, last sync and error."""
    return shopify_card(vendor_profile_for_session(vendor_profile))


@frappe.whitelist(methods=["POST"])
def disconnect_shopify(shop_domain=None, vendor_profile=None):
    """Disconnect one of the vendor's stores and forget its tokens (the row stays for the dispatches).

    The app stays installed in the shop until the merchant removes it in Shopify's admin.
    """
    profile = vendor_profile_for_session(vendor_profile)
    shop = require_shop_domain(shop_domain)
    existing = _owner(shop)
    if not existing or existing.vendor_profile != profile:
        frappe.throw(_("Shopify store {0} not found").format(shop), frappe.DoesNotExistError)
    doc = frappe.get_doc(SHOPIFY_CONNECTION, shop)
    doc.update({"status": DISCONNECTED, "access_token": None, "refresh_token": None, "token_expires_at": None,
                "refresh_token_expires_at": None})
    doc.flags.ignore_permissions = True
    doc.save()
    return {"ok": True, "integration": SHOPIFY, "status": "disconnected", "shop_domain": shop}


@frappe.whitelist(methods=["POST"])
def import_orders(shop_domain=None, vendor_profile=None):
    """Queue the import of one of the vendor's stores' new orders (an admin names the vendor_profile).

    The same rules as "sync now": the store must be the vendor's own and connected (404 / 417 otherwise).
    """
    profile = vendor_profile_for_session(vendor_profile)
    shop = require_shop_domain(shop_domain)
    existing = _owner(shop)
    if not existing or existing.vendor_profile != profile:
        frappe.throw(_("Shopify store {0} not found").format(shop), frappe.DoesNotExistError)
    if existing.status != CONNECTED:
        frappe.throw(_("Connect the store {0} first").format(shop), frappe.ValidationError)
    queued = enqueue_import(shop) is not None
    return {"ok": True, "integration": SHOPIFY, "shop_domain": shop, "queued": queued}
