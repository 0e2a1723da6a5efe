"""ShipStation self-service connection (guide "ShipStation — Self-Service Connection").

``POST /api/method/medgrid.integrations.connect_shipstation`` with ``{"api_key", "api_secret"}``:

1. the caller must manage a Vendor Profile (:func:`~medgrid.integrations.access.vendor_profile_for_session`);
2. both fields are required (400);
3. one cheap ShipStation call (``GET /accounts/listtags``, vendor-facts §1.5) proves the pair, on the host the
   site's environment names (the sandbox in Sandbox): a 401 from ShipStation is a 401 here and nothing is
   stored; ShipStation unreachable is a 502 after three attempts with backoff and jitter, each bounded, so
   the vendor hears within a few seconds; a failed attempt's reason stays on the card ("Last error");
4. the pair is stored encrypted (Password fields) on a ``ShipStation Connection`` of that vendor — the
   one with the same key fingerprint when it exists, else a new one (a vendor may connect several
   ShipStation accounts).

``shipstation_status`` and ``disconnect_shipstation`` complete the portal card. MedGrid's managed
platform account is an ``is_platform`` connection an admin creates in Desk (its controller keeps it
the only active one).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.connectors.base import VendorError
from medgrid.connectors.environment import EnvironmentRefused
from medgrid.connectors.shipstation import CONNECT_POLICY, check_credentials, key_fingerprint
from medgrid.exceptions import (
    IntegrationNotConfiguredError,
    InvalidParameterError,
    VendorCredentialsError,
    VendorUnavailableError,
)
from medgrid.integrations import connect_attempts
from medgrid.integrations.access import is_admin, required, vendor_profile_for_session
from medgrid.integrations.constants import (
    CONNECTED,
    DISCONNECTED,
    SHIPSTATION,
    SHIPSTATION_CONNECTION,
)
from medgrid.integrations.status import shipstation_card

CONNECTION_FIELDS = ["name", "status", "key_fingerprint", "connected_on", "last_sync", "last_error", "modified"]


@frappe.whitelist(methods=["POST"])
def connect_shipstation(api_key=None, api_secret=None, vendor_profile=None, base_url=None):
    """Check the vendor's ShipStation key pair with one call and store it encrypted.

    ``base_url`` (a sandbox) is accepted from admins only: a vendor-chosen URL would let anyone make
    MedGrid's servers call an address of their choosing.
    """
    profile = vendor_profile_for_session(vendor_profile)
    api_key = required(api_key, "api_key")
    api_secret = required(api_secret, "api_secret")
    base_url = _base_url(base_url)

    try:
        accepted = check_credentials(base_url, api_key, api_secret)
    except EnvironmentRefused as e:
        _fail(profile, str(e), IntegrationNotConfiguredError)
    except VendorError as e:
        status = f" (HTTP {e.status_code})" if e.status_code else ""
        _fail(profile, _("ShipStation could not be reached{0} after {1} attempts: try again in a minute")
              .format(status, CONNECT_POLICY.max_retries + 1), VendorUnavailableError)
    if not accepted:
        _fail(profile, _("ShipStation rejected the API Key/Secret: check them under Settings > API Settings"),
              VendorCredentialsError)

    _store(profile, base_url, api_key, api_secret)
    connect_attempts.clear(profile, SHIPSTATION)
    return {"ok": True, "integration": SHIPSTATION, "status": "connected"}


def _fail(profile: str, reason: str, exc) -> None:
    """Keep the reason for the card, then answer the error (nothing else was written)."""
    connect_attempts.record_failure(profile, SHIPSTATION, reason)
    frappe.throw(reason, exc)


def _base_url(base_url) -> str | None:
    """An admin's base URL, or None: the site's environment then picks the host (see environment.py)."""
    if not base_url:
        return None
    if not is_admin():
        frappe.throw(_("Only MedGrid admins may set a ShipStation base URL"), frappe.PermissionError)
    text = str(base_url).strip().rstrip("/")
    if not text.startswith(("https://", "http://")):
        frappe.throw(_("base_url must be an http(s) URL"), InvalidParameterError)
    return text


def _store(profile: str, base_url: str, api_key: str, api_secret: str) -> str:
    """Update the vendor's connection with this key pair, or create one; returns its name."""
    name = frappe.db.get_value(SHIPSTATION_CONNECTION, {"vendor_profile": profile, "is_platform": 0,
                                                        "key_fingerprint": key_fingerprint(api_key, api_secret)})
    doc = frappe.get_doc(SHIPSTATION_CONNECTION, name) if name else frappe.new_doc(SHIPSTATION_CONNECTION)
    doc.update({"vendor_profile": profile, "is_platform": 0, "status": CONNECTED, "base_url": base_url,
                "api_key": api_key, "api_secret": api_secret, "connected_by": frappe.session.user,
                "connected_on": now_datetime(), "last_error": None})
    doc.flags.ignore_permissions = True
    doc.save()
    return doc.name


@frappe.whitelist(methods=["GET", "POST"])
def shipstation_status(vendor_profile=None):
    """The ShipStation card of the vendor: overall status and each connected account (no secrets)."""
    return shipstation_card(vendor_profile_for_session(vendor_profile))


@frappe.whitelist(methods=["POST"])
def disconnect_shipstation(connection=None, vendor_profile=None):
    """Disconnect one of the vendor's ShipStation accounts and forget its key pair.

    ``connection`` may be left out when the vendor has a single connected account. The row stays
    (dispatches point at it); its status becomes Disconnected and the encrypted keys are removed.
    """
    profile = vendor_profile_for_session(vendor_profile)
    if connection:
        owner = frappe.db.get_value(SHIPSTATION_CONNECTION, connection, ["vendor_profile", "is_platform"], as_dict=True)
        if not owner or owner.is_platform or owner.vendor_profile != profile:
            frappe.throw(_("ShipStation connection {0} not found").format(connection), frappe.DoesNotExistError)
    else:
        names = frappe.get_all(SHIPSTATION_CONNECTION, filters={"vendor_profile": profile, "is_platform": 0,
                                                                "status": ("!=", DISCONNECTED)}, pluck="name")
        if not names:
            frappe.throw(_("No ShipStation account is connected"), frappe.DoesNotExistError)
        if len(names) > 1:
            frappe.throw(_("Several ShipStation accounts are connected: pass the connection to disconnect"),
                         InvalidParameterError)
        connection = names[0]

    doc = frappe.get_doc(SHIPSTATION_CONNECTION, connection)
    doc.update({"status": DISCONNECTED, "api_key": None, "api_secret": None, "webhook_token": None})
    doc.flags.ignore_permissions = True
    doc.save()
    return {"ok": True, "integration": SHIPSTATION, "status": "disconnected", "connection": connection}
