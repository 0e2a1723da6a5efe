"""The vendor Integrations page (``/portal/integrations``).

Cards come from ``medgrid.integrations.status`` (the same data ``list_integrations`` answers, so no
secret is ever read). Self-service cards (ShipStation, Shopify) carry forms that post to the
whitelisted connect/disconnect methods; managed integrations (PerfectRx, SINQ, Centre Research) are
read-only and list what the vendor hands to MedGrid's team (the guide's "Credentials Required").
A vendor sees its own Vendor Profile; an admin picks any vendor and may act for it.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import format_datetime, get_url

from medgrid.onboarding.checklist import vendor_checklist
from medgrid.pages import VENDOR, base_context, is_admin, require_roles
from medgrid.vendors import get_vendors

VENDOR_PROFILE = "Vendor Profile"
MAX_VENDORS = 500

# The guide's onboarding checklist ("Onboarding & Support")
ONBOARDING_STEPS = (
    "Request a Vendor Profile from MedGrid",
    "Receive your MedGrid login and access to the Vendor Dashboard",
    "For self-service integrations (ShipStation, Shopify): connect from /portal/integrations",
    "For managed integrations (PerfectRx, SINQ, Centre Research): provide credentials to the MedGrid "
    "integrations team",
    "Work with the MedGrid catalog team to complete product mapping",
    "Test all order flows in the Sandbox environment",
    "Configure webhook endpoints in your vendor platform",
    "Verify webhook signature verification is working correctly",
    "Confirm a test order flows end-to-end (order placed → vendor receives → tracking returned)",
    "Go live in production",
)

CARD_LABELS = {"connected": "Connected", "not_connected": "Not connected", "disconnected": "Disconnected",
               "error": "Error", "pending": "Pending"}
CARD_COLOURS = {"connected": "green", "not_connected": "gray", "disconnected": "gray", "error": "red",
                "pending": "orange"}


def get_context(context) -> None:
    """Context of ``/portal/integrations`` for a vendor (its profile) or an admin (any vendor)."""
    require_roles((VENDOR,), _("Only vendors and MedGrid admins manage integrations"))
    base_context(context, "/portal/integrations", _("Integrations"))
    admin = is_admin()
    context.is_admin = admin
    context.vendors = _vendors(admin)
    context.vendor_profile = _selected_profile(admin, context.vendors)
    context.cards = _cards(context.vendor_profile) if context.vendor_profile else []
    context.self_service = [c for c in context.cards if c["type"] == "self_service"]
    context.own_managed = next((c for c in context.cards if c["type"] == "managed"), None)
    context.managed = managed_cards(context.own_managed)
    context.onboarding_steps = ONBOARDING_STEPS
    # the steps MedGrid can see tick themselves (medgrid/onboarding/checklist.py)
    context.onboarding_checklist = vendor_checklist(context.vendor_profile) if context.vendor_profile else None
    context.card_label = lambda status: _(CARD_LABELS.get(status) or (status or "").replace("_", " ").capitalize())
    context.card_colour = lambda status: CARD_COLOURS.get(status, "gray")
    context.site_url = get_url()
    context.fmt_datetime = fmt_datetime
    context.notice = _notice()


def _vendors(admin: bool) -> list[dict]:
    fields = ["name", "vendor_name", "vendor_key", "status"]
    if admin:
        return frappe.get_all(VENDOR_PROFILE, fields=fields, order_by="vendor_name asc",
                              limit_page_length=MAX_VENDORS)
    return frappe.get_all(VENDOR_PROFILE, filters={"user": frappe.session.user}, fields=fields,
                          order_by="creation asc")


def _selected_profile(admin: bool, vendors: list[dict]) -> str | None:
    """``?vendor_profile=`` when it is one the user may see, else the first one."""
    requested = frappe.form_dict.get("vendor_profile")
    names = [v.name for v in vendors]
    if isinstance(requested, str) and requested in names:
        return requested
    if requested and not admin:
        frappe.throw(_("You do not manage the vendor {0}").format(requested), frappe.PermissionError)
    return names[0] if names else None


def _cards(vendor_profile: str) -> list[dict]:
    from medgrid.integrations.connect_attempts import last_failure
    from medgrid.integrations.status import vendor_cards

    cards = vendor_cards(vendor_profile)
    for card in cards:
        if card.get("type") != "self_service":
            continue
        # a failed connect may have left no connection row: its reason is the card's newest error
        attempt = last_failure(vendor_profile, card["integration"])
        if attempt:
            card["last_attempt"] = attempt
            card["last_error"] = _("{0} (attempt at {1})").format(attempt["reason"], fmt_datetime(attempt["at"]))
    return cards


def managed_cards(own: dict | None) -> list[dict]:
    """The read-only managed integrations with their status and the credentials MedGrid needs."""
    from medgrid.integrations.status import managed_card

    out = []
    # the guide's "Credentials Required" tables: what a vendor hands to the MedGrid integrations team
    for key, descriptor in get_vendors().items():
        managed = descriptor.managed
        if not (managed and managed.credentials):
            continue
        card = dict(managed_card(key) or {"integration": key, "status": "pending"})
        card.update({"label": managed.label, "summary": managed.summary, "credentials": list(managed.credentials),
                     "webhook": managed.webhook_path})
        card["yours"] = bool(own and own.get("integration") == key)
        if card["yours"]:
            card["managed_requirements"] = own.get("managed_requirements")
        card["webhook_url"] = get_url(managed.webhook_path) if managed.webhook_path else None
        out.append(card)
    return out


def fmt_datetime(value) -> str:
    """A date-time as the site shows it, or an em dash."""
    return format_datetime(value) if value else "—"


def _notice() -> dict | None:
    """A message handed over in the query string (e.g. after the Shopify OAuth round trip)."""
    args = frappe.form_dict
    for key in ("shopify", "status"):
        value = args.get(key)
        if not isinstance(value, str) or not value:
            continue
        text = args.get("message") if isinstance(args.get("message"), str) else None
        if value in ("connected", "success", "ok"):
            return {"kind": "success", "text": text or _("Your Shopify store is connected.")}
        if value in ("error", "failed", "denied"):
            return {"kind": "error", "text": text or _("The Shopify connection did not complete. Try again.")}
    return None
