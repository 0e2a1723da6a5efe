"""The site's vendor environment (MedGrid System Settings → Environment): Production or Sandbox.

The guide: "Always use the Sandbox environment for development and testing". Every vendor call — managed
connectors, ShipStation self-connect, Shopify OAuth (authorize, token) and GraphQL — asks
:func:`vendor_base_url` where to go:

* **Sandbox**: the vendor's sandbox host from the settings' ``sandbox_hosts`` (vendor key → base URL), whatever
  the connection or settings document stores; a vendor without a sandbox host is refused (nothing is sent
  to a production host by mistake). Shopify shops are addressed as ``{host}/shops/{shop}``.
* **Production**: the stored URL (admin-set) or the vendor's production default; a URL on one of the
  configured sandbox hosts is refused, so a production site never talks to a sandbox silently.

Switching is a write on the Single, which only System Managers and MedGrid admins have.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import frappe

from medgrid.connectors.base import VendorError

SYSTEM_SETTINGS = "MedGrid System Settings"
ENVIRONMENT_FIELD = "environment"
SANDBOX_HOSTS_FIELD = "sandbox_hosts"
PRODUCTION = "Production"
SANDBOX = "Sandbox"
ENVIRONMENTS = (PRODUCTION, SANDBOX)
SANDBOX_HOST = "127.0.0.1"
SHOP_PATH = "/shops/{shop}"


class EnvironmentRefused(VendorError):
    """A vendor call the site's environment forbids (never retried: the settings must change first)."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


def _settings_values() -> tuple[str, dict]:
    try:
        environment = frappe.db.get_single_value(SYSTEM_SETTINGS, ENVIRONMENT_FIELD)
        hosts = frappe.db.get_single_value(SYSTEM_SETTINGS, SANDBOX_HOSTS_FIELD)
    except Exception:
        # a site whose settings table predates the fields (before migrate) behaves as Production
        return PRODUCTION, {}
    return (environment or PRODUCTION), parse_sandbox_hosts(hosts)


def parse_sandbox_hosts(value) -> dict:
    """vendor key → base URL from the stored JSON (anything unreadable counts as none)."""
    if isinstance(value, dict):
        data = value
    else:
        try:
            data = json.loads(value or "{}")
        except (TypeError, ValueError):
            return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v).strip().rstrip("/") for k, v in data.items() if isinstance(v, str) and v.strip()}


def current_environment() -> str:
    return _settings_values()[0]


def is_sandbox() -> bool:
    return current_environment() == SANDBOX


def sandbox_hosts() -> dict:
    return _settings_values()[1]


def _origin(url: str) -> tuple:
    parts = urlsplit(url or "")
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port or default_port
    except ValueError:
        port = None
    return (parts.scheme.lower(), (parts.hostname or "").lower(), port)


def vendor_label(vendor: str) -> str:
    from medgrid.vendors import get_vendor

    descriptor = get_vendor(vendor)
    return descriptor.label if descriptor else vendor


def vendor_base_url(vendor: str, stored_url: str | None, production_url: str | None,
                    shop_domain: str | None = None) -> str:
    """Where a call to ``vendor`` goes in this site's environment (see the module docstring).

    ``stored_url`` is what the vendor's settings/connection names (admin-set); ``production_url`` the
    vendor's real host when nothing is stored; ``shop_domain`` addresses one Shopify shop on the sandbox.
    """
    environment, hosts = _settings_values()
    if environment == SANDBOX:
        host = hosts.get(vendor)
        if not host:
            raise EnvironmentRefused(
                f"{vendor_label(vendor)}: the site is in the Sandbox environment but has no sandbox host for it "
                "(MedGrid System Settings → Sandbox hosts)")
        return host + SHOP_PATH.format(shop=shop_domain) if shop_domain else host
    url = (stored_url or "").strip().rstrip("/") or (production_url or "").rstrip("/")
    sandbox_origins = {_origin(h) for h in hosts.values()}
    if url and _origin(url) in sandbox_origins:
        raise EnvironmentRefused(
            f"{vendor_label(vendor)}: the site is in the Production environment and refuses the sandbox host "
            f"{urlsplit(url).netloc} (switch to Sandbox in MedGrid System Settings, or set the production URL)")
    return url


def check_request_url(vendor: str, url: str) -> None:
    """The last guard, on every request of the shared client (``http.VendorClient``), whichever connector built
    the URL (another app's too): in Sandbox only the vendor's sandbox host, in Production never a sandbox host."""
    environment, hosts = _settings_values()
    if environment == SANDBOX:
        host = hosts.get(vendor)
        if not host or _origin(url) != _origin(host):
            raise EnvironmentRefused(
                f"{vendor_label(vendor)}: the site is in the Sandbox environment and sends nothing to "
                f"{urlsplit(url).netloc} (its sandbox host: {host or 'none set in MedGrid System Settings'})")
    elif hosts and _origin(url) in {_origin(h) for h in hosts.values()}:
        raise EnvironmentRefused(
            f"{vendor_label(vendor)}: the site is in the Production environment and refuses the sandbox host "
            f"{urlsplit(url).netloc}")


def registry_sandbox_hosts(ports: dict | None = None) -> dict:
    """vendor key → local sandbox base URL for every registered vendor that has a sandbox.

    ``ports`` maps sandbox names (``descriptor.sandbox_name``) to ports; otherwise each sandbox class's
    ``default_port`` is used when the ``sandbox`` package can be imported (it lives beside the app in this
    repository, not on a real bench: there an admin types the hosts).
    """
    import importlib

    from medgrid.vendors import get_vendors

    out = {}
    for key, descriptor in get_vendors().items():
        if not descriptor.sandbox:
            continue
        port = (ports or {}).get(descriptor.sandbox_name)
        if port is None:
            module, _, name = descriptor.sandbox.rpartition(".")
            try:
                port = getattr(getattr(importlib.import_module(module), name), "default_port", None)
            except ImportError:
                port = None
        if port:
            out[key] = f"http://{SANDBOX_HOST}:{int(port)}"
    return out
