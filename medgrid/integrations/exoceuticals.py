"""Exoceuticals, the admin-managed Shopify store (guide A6b): OAuth install and the daily syncs.

Served at the guide's paths through ``override_whitelisted_methods`` (``medgrid/hooks.py``):

* ``POST medgrid.exoceuticals.start_install`` (admin) → ``{"ok", "authorize_url", "state"}`` for the
  shop in Exoceuticals Settings, with that store's own app (``client_id`` / ``client_secret``);
* ``GET medgrid.exoceuticals.oauth_callback`` (public) — the same checks as a vendor install, then the
  offline token is stored encrypted on Exoceuticals Settings;
* ``POST medgrid.exoceuticals.sync_catalog`` / ``sync_inventory`` (admin; the CLI runs them as
  Administrator: ``medgrid-runtime --site S execute medgrid.exoceuticals.sync_catalog``) — products
  and variants → Items and prices, inventory levels → the settings warehouse's Bins. Both return the
  run's summary ``{created, updated, unchanged, skipped, failed, errors, complete}``, also stored in
  ``last_sync_summary``.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.exceptions import IntegrationNotConfiguredError
from medgrid.integrations import catalog_sync, inventory_sync
from medgrid.integrations.access import is_admin, require_admin
from medgrid.integrations.constants import EXOCEUTICALS, EXOCEUTICALS_SETTINGS, PURPOSE_EXOCEUTICALS
from medgrid.integrations.oauth_flow import begin_install, complete_install, require_app
from medgrid.integrations.shopify_oauth import InstallState, OAuthRejected, missing_scopes, normalize_shop_domain
from medgrid.connectors.shopify_tokens import exchange_code, exoceuticals_app, token_values
from medgrid.integrations.store_sync import exoceuticals_store


@frappe.whitelist(methods=["POST"])
def start_install():
    """Start (re)connecting the Exoceuticals store: a single-use state and Shopify's authorize URL."""
    require_admin()
    settings = frappe.get_single(EXOCEUTICALS_SETTINGS)
    shop = normalize_shop_domain(settings.shop_domain)
    if not shop:
        frappe.throw(_("Set the store's domain (your-store.myshopify.com) in Exoceuticals Settings"),
                     IntegrationNotConfiguredError)
    app = require_app(exoceuticals_app(settings), EXOCEUTICALS_SETTINGS)
    return begin_install(app, PURPOSE_EXOCEUTICALS, shop, settings.vendor_profile, settings.api_base_url)


@frappe.whitelist(allow_guest=True, methods=["GET"])
def oauth_callback():
    """Shopify's redirect after the Exoceuticals install was approved."""
    complete_install(EXOCEUTICALS, PURPOSE_EXOCEUTICALS, exoceuticals_app(), _store_token)


def _store_token(state: InstallState, shop: str, code: str) -> tuple[bool, str]:
    settings = frappe.get_single(EXOCEUTICALS_SETTINGS)
    if normalize_shop_domain(settings.shop_domain) != shop:
        raise OAuthRejected(_("Shopify answered for another store than Exoceuticals Settings names"),
                            f"callback for {shop}, settings name {settings.shop_domain}")
    if not is_admin(state.user):
        raise OAuthRejected(_("Only MedGrid admins connect the Exoceuticals store"), "state of a non-admin")
    answer = exchange_code(exoceuticals_app(settings), shop, code, settings.api_base_url,
                           reference=(EXOCEUTICALS_SETTINGS, EXOCEUTICALS_SETTINGS))
    settings.update({**token_values(answer), "connected_on": now_datetime()})
    settings.flags.ignore_permissions = True
    settings.save()
    missing = missing_scopes(answer.get("scope"))
    if missing:
        return False, _("The Exoceuticals store {0} is connected without {1}: connect again and approve every "
                        "permission").format(shop, ", ".join(missing))
    return True, _("The Exoceuticals store {0} is connected").format(shop)


@frappe.whitelist(methods=["POST"])
def sync_catalog():
    """Mirror the Exoceuticals catalog into Items and Item Prices (admin only); returns the summary."""
    require_admin()
    return catalog_sync.sync_catalog(exoceuticals_store())


@frappe.whitelist(methods=["POST"])
def sync_inventory():
    """Bring the Exoceuticals warehouse's stock to Shopify's levels (admin only); returns the summary."""
    require_admin()
    return inventory_sync.sync_inventory(exoceuticals_store())
