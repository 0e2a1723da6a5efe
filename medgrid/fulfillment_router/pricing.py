"""Price floors of Sales Order lines: callers may not set their own prices below the catalog's.

ERPNext takes the rate a client sends (a rate above the list is kept as a margin, below it as a
discount), so a partner could order at 0.01. MedGrid therefore checks each line against the price
list the catalog shows the order's customer (its own list, then its group's, then Selling
Settings' — :func:`medgrid.catalog.default_price_list`): the line's rate, and its net rate after any
order-level discount, may be at most the caller's role discount below that list rate
(MedGrid System Settings → Order pricing: Customer / Partner Platform 0 %, Internal Sales Rep 0 %,
MedGrid Marketplace Admin 100 % by default). With several roles the most generous limit applies;
System Managers and the Administrator count as admins; any other caller gets no discount.

Orders MedGrid creates itself (a vendor store's own orders) skip the check with the rest of the line
validation (``medgrid_skip_validation``).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt

from medgrid.setup.install import ADMIN, PARTNER, SALES_REP

SETTINGS = "MedGrid System Settings"
CURRENCY_PRECISION = 2
FULL_DISCOUNT = 100.0

# role → (settings field, limit while the settings were never saved)
ROLE_LIMITS = {
    PARTNER: ("max_discount_partner", 0.0),
    SALES_REP: ("max_discount_sales_rep", 0.0),
    ADMIN: ("max_discount_admin", FULL_DISCOUNT),
}
ADMIN_LIKE_ROLES = ("System Manager", "Administrator")
# the pricing of a line, compared with the stored draft at submit
PRICE_FIELDS = ("item_code", "qty", "uom", "conversion_factor", "rate", "net_rate")


def discount_limit(user: str | None = None) -> float:
    """The largest discount below the price list (percent) the user's roles allow."""
    user = user or frappe.session.user
    roles = set(frappe.get_roles(user))
    if user == "Administrator" or roles & set(ADMIN_LIKE_ROLES):
        roles.add(ADMIN)
    # get_singles_dict: a field never stored is absent (get_single_value would read it as 0)
    stored = frappe.db.get_singles_dict(SETTINGS)
    limits = []
    for role, (fieldname, default) in ROLE_LIMITS.items():
        if role in roles:
            raw = stored.get(fieldname)
            limits.append(default if raw in (None, "") else min(max(flt(raw), 0.0), FULL_DISCOUNT))
    return max(limits) if limits else 0.0


def check_prices(order) -> None:
    """Refuse (417 ValidationError, naming the line) a rate below what the caller may charge."""
    if _unchanged_submit(order):
        return  # (checked first: it needs no read, and the limit would not be used)
    limit = discount_limit()
    if limit >= FULL_DISCOUNT:
        return  # any rate down to zero (ERPNext refuses a negative total itself)
    from medgrid.catalog import default_price_list, price_list_rates

    price_list = default_price_list(order.customer)
    list_currency = frappe.db.get_value("Price List", price_list, "currency")
    if list_currency and order.currency and order.currency != list_currency:
        frappe.throw(_("Orders are priced in {0}, the currency of price list {1}; this order is in {2}").format(
            list_currency, price_list, order.currency))
    rates = price_list_rates((row.item_code for row in order.items), price_list)
    lowest_total = 0.0
    for row in order.items:
        list_rate = rates.get(row.item_code)
        if list_rate is None:
            frappe.throw(_("Row #{0}: Item {1} has no rate in price list {2}").format(row.idx, row.item_code,
                                                                                       price_list))
        # a line in a larger unit (a box) costs that many stock units; never less than one
        floor = flt(list_rate * max(flt(row.conversion_factor), 1.0) * (1 - limit / 100.0), CURRENCY_PRECISION)
        lowest_total += floor * flt(row.qty)
        rate, net_rate = flt(row.rate, CURRENCY_PRECISION), flt(row.net_rate, CURRENCY_PRECISION)
        if rate < floor:
            frappe.throw(_line_message(row, _("rate"), rate, list_rate, floor, price_list, limit))
        if net_rate < floor:
            frappe.throw(_line_message(row, _("net rate (after the order discount)"), net_rate, list_rate, floor,
                                       price_list, limit))
    # taxes and charges cannot take back what the line checks kept (a negative "Actual" charge)
    if flt(order.grand_total, CURRENCY_PRECISION) < flt(lowest_total, CURRENCY_PRECISION):
        frappe.throw(_("Grand Total {0} is below {1}, the lowest total price list {2} allows for these lines").format(
            _money(order.grand_total), _money(lowest_total), price_list))


def _line_message(row, what: str, rate: float, list_rate: float, floor: float, price_list: str, limit: float) -> str:
    if limit:
        return _("Row #{0}: {1} {2} for {3} is below {4}, the price list rate {5} of {6} less the maximum discount "
                 "of {7}%").format(row.idx, what, _money(rate), row.item_code, _money(floor), _money(list_rate),
                                   price_list, flt(limit, 2))
    return _("Row #{0}: {1} {2} for {3} is below the price list rate {4} of {5}").format(
        row.idx, what, _money(rate), row.item_code, _money(list_rate), price_list)


def _money(value) -> str:
    return f"{flt(value, CURRENCY_PRECISION):.2f}"


def _unchanged_submit(order) -> bool:
    """True when a draft is submitted with the prices it was saved with.

    Every save of a draft was checked against the limit of whoever saved it, so the prices an admin set
    on a draft stand when the partner submits it; any change to a line's price is checked again.
    """
    if order.docstatus != 1 or order.is_new():
        return False
    before = order.get_doc_before_save()
    if not before or before.docstatus != 0:
        return False
    stored = {row.name: row for row in before.get("items") or []}
    if len(stored) != len(order.items):
        return False
    for row in order.items:
        old = stored.get(row.name)
        if old is None or any(_differs(row.get(f), old.get(f)) for f in PRICE_FIELDS):
            return False
    return flt(order.grand_total, CURRENCY_PRECISION) >= flt(before.grand_total, CURRENCY_PRECISION)


def _differs(new, old) -> bool:
    if isinstance(new, (int, float)) or isinstance(old, (int, float)):
        return flt(new, 6) != flt(old, 6)
    return (new or None) != (old or None)
