"""Reading a Sales Order the way every vendor payload needs it: ship-to address, names, codes, amounts.

Vendors want ISO codes (``US``, ``TX``) where ERPNext stores what a user typed (``United States``,
``Texas``); these helpers normalise once so each vendor module only maps field names.
"""

from __future__ import annotations

import frappe
import pycountry
from frappe.utils import flt

from medgrid.connectors.base import VendorError

ADDRESS_FIELDS = ("name", "address_title", "address_line1", "address_line2", "city", "state", "pincode",
                  "country", "phone", "email_id")


def get_shipping_address(order, *, required: bool = True):
    """The order's shipping Address (``shipping_address_name``, else ``customer_address``) as a dict.

    Raises a permanent VendorError when the order has none and ``required`` — no vendor can ship it.
    """
    name = order.get("shipping_address_name") or order.get("customer_address")
    address = frappe.db.get_value("Address", name, list(ADDRESS_FIELDS), as_dict=True) if name else None
    if not address and required:
        raise VendorError(f"Sales Order {order.name} has no shipping address", retryable=False)
    return address


def country_code(country: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name or code (``United States`` → ``US``)."""
    if not country:
        return None
    text = country.strip()
    if len(text) == 2:
        return text.upper()
    # A real bench has the Country doctype with the code; the lookup keeps its spelling authoritative
    if frappe.db.table_exists("Country"):
        code = frappe.db.get_value("Country", text, "code")
        if code:
            return code.upper()
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return text


def state_code(state: str | None, country: str | None) -> str | None:
    """The subdivision code without the country prefix (``Texas`` in ``US`` → ``TX``) when known."""
    if not state:
        return None
    text = state.strip()
    if len(text) <= 3 and text.isalpha():
        return text.upper()
    code = country_code(country) if country else None
    if code and len(code) == 2:
        wanted = text.casefold()
        for subdivision in pycountry.subdivisions.get(country_code=code) or ():
            if subdivision.name.casefold() == wanted:
                return subdivision.code.split("-", 1)[1]
    return text


def split_name(full_name: str | None) -> tuple[str, str]:
    """("Jane", "Smith") from "Jane Smith"; a single word is the first name."""
    parts = (full_name or "").strip().split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def recipient_names(order, address) -> tuple[str, str]:
    """Who receives the parcel: the patient when the order names one, else the address title."""
    if order.get("patient_first_name") or order.get("patient_last_name"):
        return order.get("patient_first_name") or "", order.get("patient_last_name") or ""
    return split_name((address or {}).get("address_title") or order.get("customer_name"))


def contact_email(order, address=None) -> str | None:
    """The e-mail a vendor should notify: the order's contact, else the address, else the patient."""
    return order.get("contact_email") or (address or {}).get("email_id") or order.get("patient_email")


def contact_phone(order, address=None) -> str | None:
    return (address or {}).get("phone") or order.get("contact_phone") or order.get("contact_mobile") \
        or order.get("patient_phone")


def order_item(order, sales_order_item: str | None):
    """The Sales Order Item row a dispatch line came from (None when it no longer exists)."""
    for row in order.get("items") or ():
        if row.name == sales_order_item:
            return row
    return None


def money(value) -> float:
    """Currency as vendors expect it: a JSON number with two decimals."""
    return round(flt(value), 2)


def quantity(value):
    """Whole quantities as integers (vendors reject ``2.0`` for a count)."""
    number = flt(value)
    return int(number) if number == int(number) else number


def lines_total(lines) -> float:
    """What the dispatched lines are worth (a multi-vendor order is split across vendors)."""
    return money(sum(flt(line.qty) * flt(line.rate) for line in lines))
