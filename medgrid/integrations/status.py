"""The portal's integration cards: status, last sync and last error of each connection — never a secret.

Each card is ``{"integration", "label", "type", "status", "last_sync", "last_error", "connections"}``;
``type`` is ``self_service`` (the vendor connects it at /portal/integrations) or ``managed`` (MedGrid's
team configures it). Only non-secret columns are ever read: Password fields are not selected.
"""

from __future__ import annotations

import frappe

from medgrid.integrations.access import vendor_profile_for_session
from medgrid.integrations.constants import (
    CARD_CONNECTED,
    CARD_DISCONNECTED,
    CARD_ERROR,
    CARD_NOT_CONNECTED,
    CARD_PENDING,
    CONNECTED,
    SHIPSTATION,
    SHIPSTATION_CONNECTION,
    SHOPIFY,
    SHOPIFY_CONNECTION,
    VENDOR_PROFILE,
)
from medgrid.vendors import get_vendor

SELF_SERVICE = "self_service"
MANAGED = "managed"

# precedence when a vendor has several connections of one kind
_CARD_ORDER = (CARD_CONNECTED, CARD_ERROR, CARD_PENDING, CARD_DISCONNECTED)


def card_status(status: str | None) -> str:
    """A connection's Select status as the portal's lower-case word."""
    return (status or CARD_NOT_CONNECTED).strip().lower() or CARD_NOT_CONNECTED


def _card(key: str, label: str, kind: str, connections: list[dict], **extra) -> dict:
    statuses = {c["status"] for c in connections}
    status = next((s for s in _CARD_ORDER if s in statuses), CARD_NOT_CONNECTED)
    synced = [c["last_sync"] for c in connections if c.get("last_sync")]
    errors = [c for c in connections if c.get("last_error")]
    return {"integration": key, "label": label, "type": kind, "status": status,
            "last_sync": max(synced) if synced else None,
            "last_error": errors[0]["last_error"] if errors else None,
            "connections": connections, **extra}


def shipstation_card(vendor_profile: str) -> dict:
    """The vendor's ShipStation accounts (newest first), and whether MedGrid's platform account covers them."""
    rows = frappe.get_all(SHIPSTATION_CONNECTION, filters={"vendor_profile": vendor_profile, "is_platform": 0},
                          fields=["name", "status", "key_fingerprint", "connected_on", "last_sync", "last_error"],
                          order_by="modified desc")
    connections = [{"connection": r.name, "status": card_status(r.status), "key_fingerprint": r.key_fingerprint,
                    "connected_on": r.connected_on, "last_sync": r.last_sync, "last_error": r.last_error}
                   for r in rows]
    platform = bool(frappe.db.exists(SHIPSTATION_CONNECTION, {"is_platform": 1, "status": CONNECTED}))
    return _card(SHIPSTATION, "ShipStation", SELF_SERVICE, connections, platform_connection=platform)


def shopify_card(vendor_profile: str) -> dict:
    """The vendor's own Shopify stores (several may be connected)."""
    rows = frappe.get_all(SHOPIFY_CONNECTION, filters={"vendor_profile": vendor_profile},
                          fields=["name", "shop_domain", "status", "scopes", "connected_on", "last_sync",
                                  "last_error"], order_by="modified desc")
    connections = [{"shop_domain": r.shop_domain, "status": card_status(r.status), "scopes": r.scopes,
                    "connected_on": r.connected_on, "last_sync": r.last_sync, "last_error": r.last_error}
                   for r in rows]
    return _card(SHOPIFY, "Shopify", SELF_SERVICE, connections)


def managed_card(key: str) -> dict | None:
    """A managed integration (its descriptor's ``managed``): configured (enabled) by MedGrid or still pending."""
    descriptor = get_vendor(key)
    managed = descriptor.managed if descriptor else None
    if not managed or not descriptor.settings_doctype:
        return None
    settings = descriptor.settings_doctype
    enabled = frappe.db.get_single_value(settings, "enabled")
    values = [v for v in (frappe.db.get_single_value(settings, f) for f in managed.last_sync_fields) if v]
    last_sync = max(values) if values else None
    last_error = (_summary_error(frappe.db.get_single_value(settings, managed.summary_field))
                  if managed.summary_field else None)
    return {"integration": key, "label": managed.label, "type": MANAGED,
            "status": CARD_CONNECTED if enabled else CARD_PENDING, "last_sync": last_sync,
            "last_error": last_error, "connections": []}


def _summary_error(summary: str | None) -> str | None:
    try:
        data = frappe.parse_json(summary) if summary else None
    except ValueError:
        return None
    errors = (data or {}).get("errors") if isinstance(data, dict) else None
    return errors[0].get("error") if errors and isinstance(errors[0], dict) else None


def vendor_cards(vendor_profile: str) -> list[dict]:
    """Every card the vendor's Integrations page shows: the self-service ones and their managed one."""
    cards = [shipstation_card(vendor_profile), shopify_card(vendor_profile)]
    vendor_key = frappe.db.get_value(VENDOR_PROFILE, vendor_profile, "vendor_key")
    managed = managed_card(vendor_key) if vendor_key else None
    if managed:
        managed.update(managed_requirements=frappe.db.get_value(VENDOR_PROFILE, vendor_profile,
                                                                "managed_requirements"))
        cards.append(managed)
    return cards


@frappe.whitelist(methods=["GET", "POST"])
def list_integrations(vendor_profile=None):
    """``medgrid.integrations.list_integrations``: the cards of /portal/integrations for the vendor."""
    profile = vendor_profile_for_session(vendor_profile)
    return {"vendor_profile": profile, "integrations": vendor_cards(profile)}
