"""The onboarding checklist of ``/portal/integrations``: each step ticks itself from what MedGrid records.

Steps (the guide's "Onboarding & Support" list, as far as MedGrid can see them):

1. profile — the Vendor Profile exists and is not suspended;
2. connected — at least one integration of the vendor is connected (its own ShipStation or Shopify
   store, or the managed integration MedGrid enabled for it);
3. mapping — the vendor has Items and every approved one routes to exactly one vendor with its
   mapping set (the rule of ``medgrid.catalog_admin.mapping``);
4. webhook — a webhook from the vendor's platform reached MedGrid for one of its orders (or, for a
   managed vendor, any of its webhooks);
5. delivered — one of its dispatches reached the vendor's last stage (Delivered, Completed, Fulfilled).
"""

from __future__ import annotations

import frappe
from frappe import _

from medgrid.constants import DISPATCH, WEBHOOK_EVENT
from medgrid.integrations.constants import CARD_CONNECTED
from medgrid.vendors import get_vendor

SUSPENDED = "Suspended"


def vendor_checklist(vendor_profile: str) -> dict:
    """The steps with ``done`` and a short explanation each; ``complete`` when all are done."""
    from medgrid.catalog_admin.mapping import unroutable_items
    from medgrid.integrations.status import vendor_cards

    profile = frappe.db.get_value("Vendor Profile", vendor_profile, ["name", "vendor_key", "status"], as_dict=True)
    steps = []
    steps.append(_step("profile", _("Vendor Profile approved"), bool(profile and profile.status != SUSPENDED),
                       _("Status: {0}").format(profile.status) if profile else _("No Vendor Profile yet")))
    cards = vendor_cards(vendor_profile) if profile else []
    connected = [c.get("label") or c.get("integration") for c in cards if c.get("status") == CARD_CONNECTED]
    steps.append(_step("connected", _("An integration is connected"), bool(connected),
                       ", ".join(connected) if connected else _("Connect ShipStation or Shopify below, or send "
                                                                 "MedGrid your managed credentials")))
    items = frappe.get_all("Item", filters={"vendor_profile": vendor_profile, "disabled": 0},
                           fields=["name", "medgrid_approved"], limit_page_length=0)
    approved = [i.name for i in items if i.medgrid_approved]
    problems = unroutable_items(names=approved) if approved else []
    steps.append(_step("mapping", _("Product mapping complete"), bool(approved) and not problems,
                       _("{0} approved products, {1} not mapped").format(len(approved), len(problems))
                       if items else _("No products yet: sync your store or send MedGrid your catalog")))
    received = _webhook_received(profile)
    steps.append(_step("webhook", _("Webhook received from your platform"), received,
                       _("MedGrid has received your platform's webhooks") if received
                       else _("Configure the webhook endpoint in your platform and place a test order")))
    delivered = _first_delivered(profile)
    steps.append(_step("delivered", _("First order delivered"), bool(delivered),
                       _("Order {0}").format(delivered) if delivered else _("No order delivered yet")))
    return {"steps": steps, "done": sum(1 for s in steps if s["done"]), "total": len(steps),
            "complete": all(s["done"] for s in steps)}


def _step(key: str, label: str, done: bool, detail: str) -> dict:
    return {"key": key, "label": label, "done": bool(done), "detail": detail}


def _dispatch_orders(profile) -> list[str]:
    return frappe.get_all(DISPATCH, filters={"vendor_profile": profile.name}, pluck="sales_order",
                          limit_page_length=500)


def _webhook_received(profile) -> bool:
    if not profile or not profile.vendor_key:
        return False
    descriptor = get_vendor(profile.vendor_key)
    if descriptor and descriptor.managed:
        # a managed vendor is the only one of its key: any of its webhooks is its own
        return bool(frappe.db.exists(WEBHOOK_EVENT, {"vendor": profile.vendor_key}))
    orders = _dispatch_orders(profile)
    return bool(orders and frappe.db.exists(WEBHOOK_EVENT, {"vendor": profile.vendor_key,
                                                            "sales_order": ["in", orders]}))


def _first_delivered(profile) -> str | None:
    if not profile or not profile.vendor_key:
        return None
    descriptor = get_vendor(profile.vendor_key)
    if not descriptor or not descriptor.statuses.stages:
        return None
    return frappe.db.get_value(DISPATCH, {"vendor_profile": profile.name,
                                          "vendor_status": descriptor.statuses.stages[-1]}, "sales_order")
