"""Shopify's authorization-code grant, MedGrid's side (vendor-facts §2a).

* :func:`normalize_shop_domain` — the anchored ``^[a-z0-9][a-z0-9-]*\\.myshopify\\.com$`` check after
  lower-casing; nothing is ever sent to a shop that fails it;
* :func:`issue_state` / :func:`consume_state` — a random ``state`` per install, stored only as its
  SHA-256 in ``Shopify OAuth State``, bound to the user (and vendor) who started it, valid for ten
  minutes and spent by the first callback that presents it, good or bad;
* :func:`authorize_url` — ``{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state`` without
  ``grant_options[]`` (an offline token: background syncs need one);
* :func:`verify_callback_hmac` — the callback's ``hmac``: lower-case hex HMAC-SHA256, with the app's
  client secret, of the other query parameters sorted by key and joined as ``k=v`` with ``&``. Shopify's
  libraries disagree on escaping (decoded values vs. the raw query string), so both forms are computed
  and compared in constant time; each needs the secret, so accepting either weakens nothing.

Why no Shopify package (vendor-facts §2d): ``ShopifyAPI`` (12.7.0) keeps the app secret and the active
shop in class attributes shared by the whole process (unsafe with several sites or threads), checks
timestamps only against 24 h and cannot refresh expiring tokens; ``shopifyapp`` (1.0.2, Shopify's
own) refreshes tokens and verifies webhooks but has no authorization-code callback, and sends through
its own ``httpx`` client — bypassing MedGrid's (timeouts, redacted integration log, shared limits,
the tests' clock). What MedGrid needs is one HMAC and one form POST, written here on that client.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import frappe
from frappe import _
from frappe.utils import add_to_date, get_datetime, now_datetime

from medgrid.exceptions import InvalidParameterError
from medgrid.integrations.constants import (
    AUTHORIZE_PATH,
    CALLBACK_MAX_AGE_SECONDS,
    OAUTH_STATE,
    SHOP_DOMAIN_PATTERN,
    SHOPIFY_SCOPES,
    STATE_TTL_MINUTES,
)
from medgrid.connectors.shopify_tokens import ShopifyApp, api_base

SHOP_DOMAIN_RE = re.compile(SHOP_DOMAIN_PATTERN)
SIGNATURE_PARAMS = ("hmac", "signature")
STATE_BYTES = 32


class OAuthRejected(Exception):
    """A callback MedGrid refuses; ``message`` is safe to show the user, ``reason`` goes to the log."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason or message


# ------------------------------------------------------------------------------------ shop domains

def normalize_shop_domain(value) -> str | None:
    """``value`` lower-cased and stripped (a pasted ``https://…/`` is tolerated) if it is a shop domain."""
    text = str(value or "").strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.rstrip("/")
    return text if SHOP_DOMAIN_RE.fullmatch(text) else None  # fullmatch: "$" alone lets "\n" through


def require_shop_domain(value) -> str:
    """The normalised shop domain, or a 400."""
    domain = normalize_shop_domain(value)
    if not domain:
        frappe.throw(_("shop_domain must look like your-store.myshopify.com"), InvalidParameterError)
    return domain


# ------------------------------------------------------------------------------------------- state

def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def issue_state(purpose: str, shop_domain: str, vendor_profile: str | None = None) -> str:
    """A fresh single-use state for the session user; only its hash is stored."""
    state = secrets.token_hex(STATE_BYTES)
    frappe.get_doc({"doctype": OAUTH_STATE, "state": _digest(state), "user": frappe.session.user,
                    "vendor_profile": vendor_profile, "shop_domain": shop_domain, "purpose": purpose,
                    "expires_at": add_to_date(now_datetime(), minutes=STATE_TTL_MINUTES), "used": 0,
                    }).insert(ignore_permissions=True)
    return state


@dataclass
class InstallState:
    """What a spent state says about the install it started."""

    name: str
    user: str
    vendor_profile: str | None
    shop_domain: str
    purpose: str


def consume_state(state: str | None, purpose: str, shop_domain: str, session_user: str) -> InstallState:
    """Spend ``state`` and return what it was issued for, or raise :class:`OAuthRejected`.

    The row is locked and marked used before any check can fail, so a state is never accepted twice —
    not even after a failed attempt. It must be of ``purpose``, unexpired, for ``shop_domain``, and —
    when the browser is logged in — issued to that user (a Guest callback is accepted: the state alone
    names the vendor, and an attacker's state only ever connects the attacker's own vendor).
    """
    if not state:
        raise OAuthRejected(_("The install link is incomplete: start again from MedGrid"), "state missing")
    digest = _digest(str(state))
    name = frappe.db.get_value(OAUTH_STATE, {"state": digest}, "name", for_update=True)
    if not name:
        raise OAuthRejected(_("This install link is not valid: start again from MedGrid"), "unknown state")
    row = frappe.db.get_value(OAUTH_STATE, name, ["state", "user", "vendor_profile", "shop_domain", "purpose",
                                                  "expires_at", "used"], as_dict=True)
    frappe.db.set_value(OAUTH_STATE, name, "used", 1, update_modified=False)
    if row.used:
        raise OAuthRejected(_("This install link was already used: start again from MedGrid"), "state replayed")
    if not hmac.compare_digest(row.state, digest) or row.purpose != purpose:
        raise OAuthRejected(_("This install link is not valid: start again from MedGrid"), "state of another flow")
    if not row.expires_at or get_datetime(row.expires_at) < now_datetime():
        raise OAuthRejected(_("The install link expired: start again from MedGrid"), "state expired")
    if row.shop_domain != shop_domain:
        raise OAuthRejected(_("Shopify answered for another store than the one you started with"),
                            f"shop mismatch: state for {row.shop_domain}, callback for {shop_domain}")
    if session_user not in ("Guest", row.user):
        raise OAuthRejected(_("This install was started by another user"), "state of another user")
    return InstallState(name, row.user, row.vendor_profile, row.shop_domain, row.purpose)


# --------------------------------------------------------------------------------------- authorize

def authorize_url(app: ShopifyApp, shop_domain: str, state: str, api_base_url: str | None = None,
                  scopes=SHOPIFY_SCOPES) -> str:
    """The Shopify URL the merchant opens to approve MedGrid's scopes (offline access)."""
    query = urlencode({"client_id": app.client_id, "scope": ",".join(scopes), "redirect_uri": app.redirect_uri,
                       "state": state})
    return f"{api_base(app.vendor, shop_domain, api_base_url)}{AUTHORIZE_PATH}?{query}"


def missing_scopes(granted: str | None, scopes=SHOPIFY_SCOPES) -> list[str]:
    """Required scopes Shopify did not grant (a ``write_x`` grant implies ``read_x``)."""
    have = {s.strip() for s in (granted or "").split(",") if s.strip()}
    return [s for s in scopes if s not in have and not (s.startswith("read_") and "write_" + s[5:] in have)]


# ------------------------------------------------------------------------------------ callback HMAC

def query_hmac(secret: str, message: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``message`` with ``secret``."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _decoded_message(pairs) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(pairs) if k not in SIGNATURE_PARAMS)


def _raw_message(raw_query: str) -> str:
    pairs = [part.split("=", 1) if "=" in part else (part, "") for part in raw_query.split("&") if part]
    return "&".join(f"{k}={v}" for k, v in sorted((k, v) for k, v in pairs) if k not in SIGNATURE_PARAMS)


def verify_callback_hmac(raw_query: str, secret: str | None) -> dict:
    """Check the callback's ``hmac`` against ``secret``; returns the decoded parameters.

    Raises :class:`OAuthRejected` when the secret is not configured, the ``hmac`` is missing, or neither
    accepted form of the message matches.
    """
    raw_query = raw_query or ""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    params = dict(pairs)
    given = (params.get("hmac") or "").strip().lower()
    if not secret:
        raise OAuthRejected(_("Shopify is not configured on MedGrid: ask a MedGrid admin"), "no app secret")
    if not given:
        raise OAuthRejected(_("Shopify's answer is not signed: start again from MedGrid"), "hmac missing")
    matched = False
    # both candidates are always computed and compared: timing does not tell which form matched
    for message in (_decoded_message(pairs), _raw_message(raw_query)):
        matched |= hmac.compare_digest(query_hmac(secret, message).encode(), given.encode())
    if not matched:
        raise OAuthRejected(_("Shopify's answer could not be verified: start again from MedGrid"), "hmac mismatch")
    return params


def check_timestamp(params: dict, now: float | None = None) -> None:
    """Refuse a callback whose signed ``timestamp`` is missing or more than an hour away from now."""
    try:
        stamp = float(params.get("timestamp"))
    except (TypeError, ValueError):
        raise OAuthRejected(_("Shopify's answer is incomplete: start again from MedGrid"),
                            "timestamp missing") from None
    now = time.time() if now is None else now
    if abs(now - stamp) > CALLBACK_MAX_AGE_SECONDS:
        raise OAuthRejected(_("The install link expired: start again from MedGrid"), "timestamp too old")


def purge_expired_states() -> None:
    """scheduler_events ``daily``: drop install states that expired more than a day ago."""
    frappe.db.delete(OAUTH_STATE, {"expires_at": ("<", add_to_date(now_datetime(), days=-1))})
