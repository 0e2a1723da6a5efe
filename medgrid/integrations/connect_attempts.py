"""The last failed self-service connect attempt of a vendor, per integration, for its card ("Last error").

A failed attempt may leave no connection row to carry the reason (a first ShipStation key pair that was
refused, a Shopify install that never came back), so the reason is kept in the site cache for a week next
to who tried and when. A successful connect clears it. Only the vendor's own card shows it; it never holds
a secret (the messages are MedGrid's own sentences).
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

CACHE_PREFIX = "medgrid:connect-attempt"
KEEP_SECONDS = 7 * 24 * 3600


def _key(vendor_profile: str, integration: str) -> str:
    return f"{CACHE_PREFIX}:{integration}:{vendor_profile}"


def record_failure(vendor_profile: str, integration: str, reason: str) -> None:
    frappe.cache().set_value(_key(vendor_profile, integration),
                           {"at": str(now_datetime()), "reason": str(reason)[:500], "by": frappe.session.user},
                           expires_in_sec=KEEP_SECONDS)


def clear(vendor_profile: str, integration: str) -> None:
    frappe.cache().delete_value(_key(vendor_profile, integration))


def last_failure(vendor_profile: str, integration: str) -> dict | None:
    value = frappe.cache().get_value(_key(vendor_profile, integration))
    return value if isinstance(value, dict) and value.get("reason") else None
