"""Which Fulfillment Dispatches are a vendor's (a Vendor Profile's): for its dashboard and its payouts.

A dispatch names its Vendor Profile when the routed Item has one (vendor stores, vendor-specific items);
otherwise it names only the vendor key (``perfectrx``…). Such a dispatch is the profile's when the profile is
the only one with that connector — with two profiles on one connector nobody can say whose it is, so it is
neither's (an admin sees it in the dispatch list).
"""

from __future__ import annotations

import frappe

from medgrid.constants import DISPATCH, VENDOR_PROFILE


def dispatch_condition(vendor_profile: str, alias: str = "d") -> tuple[str, dict]:
    """(SQL condition on the dispatch table aliased ``alias``, its parameters) for one profile."""
    params = {"scope_profile": vendor_profile}
    own = f"{alias}.`vendor_profile` = %(scope_profile)s"
    vendor_key = frappe.db.get_value(VENDOR_PROFILE, vendor_profile, "vendor_key")
    if vendor_key and frappe.db.count(VENDOR_PROFILE, {"vendor_key": vendor_key}) == 1:
        params["scope_vendor"] = vendor_key
        own = (f"({own} or (coalesce({alias}.`vendor_profile`, '') = '' "
               f"and {alias}.`vendor` = %(scope_vendor)s))")
    return own, params


def owns_dispatch(vendor_profile: str, dispatch: str) -> bool:
    condition, params = dispatch_condition(vendor_profile)
    params["scope_dispatch"] = dispatch
    return bool(frappe.db.sql(f"select 1 from `tab{DISPATCH}` d where d.`name` = %(scope_dispatch)s and {condition}",
                              params))


def own_profiles(user: str) -> list[str]:
    """The Vendor Profiles whose user is ``user``."""
    return frappe.get_all(VENDOR_PROFILE, filters={"user": user}, pluck="name", order_by="creation asc")
