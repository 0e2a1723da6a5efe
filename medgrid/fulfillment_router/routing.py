"""Which vendor fulfils each Sales Order line, and the checks an order must pass to be routed."""

from __future__ import annotations

from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import cstr, flt, getdate, nowdate

from medgrid.catalog import available_quantities
from medgrid.connectors.base import Connector, get_connectors
from medgrid.constants import ITEM, VENDOR_PROFILE
from medgrid.exceptions import InvalidOrderError, OrderNotRoutableError
from medgrid.fulfillment_router.pricing import check_prices

ITEM_ROUTING_FIELDS = ["name", "item_name", "disabled", "is_sales_item", "medgrid_approved", "fulfillment_vendor",
                       "vendor_profile", "requires_prescription"]
PATIENT_FIELDS = ("patient_first_name", "patient_last_name", "patient_dob")
PRESCRIBER_FIELDS = ("prescriber_npi", "prescriber_first_name", "prescriber_last_name")
NPI_DIGITS = 10  # a US National Provider Identifier is ten digits


@dataclass
class Route:
    """All lines of one order that go to one vendor through one connection."""

    vendor: str
    vendor_profile: str | None
    connection: tuple = (None, None)
    lines: list = field(default_factory=list)

    @property
    def key(self) -> str:
        # a vendor-owned connection gets its own dispatch; the managed one is shared by all vendors
        # (worked out once per route and connection: it may read the connection)
        cached = self.__dict__.get("_key")
        if cached is None or cached[0] != self.connection:
            key = f"{self.vendor}:{self.vendor_profile}" if self.connection[0] and self.vendor_profile and \
                _is_vendor_owned(self.connection) else self.vendor
            cached = self.__dict__["_key"] = (self.connection, key)
        return cached[1]


def _is_vendor_owned(connection) -> bool:
    doctype, name = connection
    if doctype == "ShipStation Connection":
        return not frappe.db.get_value(doctype, name, "is_platform")
    return doctype == "Shopify Connection"


def vendor_for_item(item, connectors: dict[str, Connector]) -> str | None:
    """The item's explicit vendor, its vendor profile's connector, or the first mapping field set."""
    if item.get("fulfillment_vendor"):
        return item.fulfillment_vendor
    if item.get("vendor_profile"):
        key = frappe.db.get_value(VENDOR_PROFILE, item.vendor_profile, "vendor_key")
        if key:
            return key
    if item.get("requires_prescription") and "perfectrx" in connectors:
        return "perfectrx"
    for key, connector in connectors.items():
        mapping = connector.item_mapping_field
        if mapping and item.get(mapping):
            return key
    return None


def is_mapped(item, vendor: str | None, connectors: dict[str, Connector]) -> bool:
    """The item routes to an installed vendor and carries that vendor's Item mapping (when it reads one)."""
    if not vendor or vendor not in connectors:
        return False
    mapping = connectors[vendor].item_mapping_field
    return not mapping or bool(cstr(item.get(mapping)).strip())


def load_items(item_codes) -> dict:
    """Routing fields of every item of the order, in one query."""
    codes = sorted({c for c in item_codes if c})
    if not codes:
        return {}
    fields = ITEM_ROUTING_FIELDS + sorted({c.item_mapping_field for c in get_connectors().values()
                                           if c.item_mapping_field})
    rows = frappe.get_all(ITEM, filters={"name": ["in", codes]}, fields=fields)
    return {r.name: r for r in rows}


# Sales Order fields that copy another document's text (an address, a contact) onto the order
PARTY_LINK_FIELDS = (("customer_address", "Address"), ("shipping_address_name", "Address"),
                     ("contact_person", "Contact"))


def check_party_links(order) -> None:
    """A partner or rep may name only addresses and contacts of the order's own Customer.

    ERPNext copies the linked document's text onto the order (and the vendor ships there), but checks
    neither whose it is nor whether the caller may read it: a clinic could ship to, and read back,
    another clinic's address. Admins and system writes (imports, jobs) are not restricted.
    """
    from medgrid.permissions import is_unrestricted

    if order.flags.ignore_permissions or is_unrestricted(frappe.session.user):
        return
    checked = set()
    for fieldname, doctype in PARTY_LINK_FIELDS:
        name = order.get(fieldname)
        if not name or (doctype, name) in checked:
            continue  # one address is often both the customer's and the shipping address
        checked.add((doctype, name))
        linked = frappe.db.exists("Dynamic Link", {"parenttype": doctype, "parent": name,
                                                   "link_doctype": "Customer", "link_name": order.customer})
        if not linked and frappe.db.exists(doctype, name):
            # (an unknown name is left to Frappe's link check)
            frappe.throw(_("{0} {1} is not linked to Customer {2}").format(_(doctype), name, order.customer),
                         frappe.PermissionError)


def order_items(order) -> dict:
    """load_items for the order's lines, read once per save: the submit's validate and its routing
    share it (kept on the document with the item codes it was read for)."""
    codes = tuple(sorted({d.item_code for d in order.items if d.item_code}))
    cached = order.flags.medgrid_routing_items
    if not cached or cached[0] != codes:
        cached = order.flags.medgrid_routing_items = (codes, load_items(codes))
    return cached[1]


def validate_order(order) -> None:
    """Line checks MedGrid adds to ERPNext's own (400 for bad input, 417 for business rules).

    Runs when a draft is saved and again when it is submitted (Frappe validates on both), so stock
    and prices are checked as they are at the submit, not only as they were when the draft was saved.

    An order imported from a vendor's Shopify store sets ``order.flags.medgrid_skip_validation``: the
    store already sold it, so marketplace rules (approved, sellable, stocked, priced items) do not
    apply to it.
    """
    if frappe.flags.medgrid_skip_validation or order.flags.medgrid_skip_validation:
        return
    check_party_links(order)
    connectors = get_connectors()
    # read afresh at every validation (a draft saved again sees changed items); routing reuses it
    order.flags.medgrid_routing_items = None
    items = order_items(order)
    warehouses = _load_warehouses(d.warehouse for d in order.items)
    # at the submit the Bins are locked until the commit, so two orders cannot both take the last units
    available = available_quantities(((d.item_code, d.warehouse) for d in order.items),
                                     for_update=order.docstatus == 1)
    taken: dict = {}
    needs_rx = False
    for row in order.items:
        prefix = _("Row #{0}:").format(row.idx)
        item = items.get(row.item_code)
        if not item:
            frappe.throw(_("{0} Item {1} does not exist").format(prefix, row.item_code), InvalidOrderError)
        if item.disabled or not item.is_sales_item or not item.medgrid_approved:
            frappe.throw(_("{0} Item {1} is not available for sale").format(prefix, row.item_code), InvalidOrderError)
        if flt(row.qty) <= 0:
            frappe.throw(_("{0} Quantity for Item {1} must be greater than zero").format(prefix, row.item_code), InvalidOrderError)
        if row.warehouse:
            wh = warehouses.get(row.warehouse)
            if not wh:
                frappe.throw(_("{0} Warehouse {1} does not exist").format(prefix, row.warehouse), InvalidOrderError)
            if wh.is_group or wh.disabled:
                frappe.throw(_("{0} Warehouse {1} cannot take orders (group or disabled)").format(
                    prefix, row.warehouse), InvalidOrderError)
        vendor = vendor_for_item(item, connectors)
        if not is_mapped(item, vendor, connectors):
            # approved but not routable to one mapped vendor: the vendor would get our item code as its SKU
            frappe.throw(_("{0} Item {1} is not available for sale").format(prefix, row.item_code), InvalidOrderError)
        _check_available(row, prefix, available, taken)
        row.fulfillment_vendor = vendor
        needs_rx = needs_rx or bool(item.requires_prescription)
    if needs_rx:
        missing = [f for f in PATIENT_FIELDS + PRESCRIBER_FIELDS if not order.get(f)]
        if missing:
            labels = ", ".join(order.meta.get_label(f) for f in missing)
            frappe.throw(_("Prescription items need patient and prescriber details: {0}").format(labels), OrderNotRoutableError)
        _check_prescription_details(order)
    check_prices(order)


def _check_prescription_details(order) -> None:
    """What the pharmacy would refuse later is refused now: an NPI of ten digits, a birth date in the past."""
    npi = str(order.prescriber_npi).strip()
    if not (npi.isascii() and npi.isdigit() and len(npi) == NPI_DIGITS):
        frappe.throw(_("{0} must be {1} digits").format(order.meta.get_label("prescriber_npi"), NPI_DIGITS),
                     OrderNotRoutableError)
    order.prescriber_npi = npi
    if getdate(order.patient_dob) > getdate(nowdate()):
        frappe.throw(_("{0} cannot be in the future").format(order.meta.get_label("patient_dob")),
                     OrderNotRoutableError)


def _check_available(row, prefix: str, available: dict, taken: dict) -> None:
    """The line's quantity must be in stock where it is ordered from, as the catalog counts it (the
    Bin's actual minus reserved quantity); lines of one item and warehouse count together."""
    if not row.warehouse:
        frappe.throw(_("{0} Item {1} needs a warehouse to be ordered from").format(prefix, row.item_code),
                     InvalidOrderError)
    key = (row.item_code, row.warehouse)
    # in stock units, never fewer than the line's own quantity (the unit the vendor ships)
    wanted = taken.get(key, 0.0) + max(flt(row.qty), flt(row.stock_qty))
    taken[key] = wanted
    in_stock = max(available.get(key, 0.0), 0.0)
    if wanted > in_stock:
        frappe.throw(_("{0} Item {1} is not available in warehouse {2}: {3} in stock, {4} ordered").format(
            prefix, row.item_code, row.warehouse, _qty(in_stock), _qty(wanted)), InvalidOrderError)


def _qty(value: float) -> str:
    return f"{value:g}"


def _load_warehouses(names) -> dict:
    names = sorted({n for n in names if n})
    if not names:
        return {}
    rows = frappe.get_all("Warehouse", filters={"name": ["in", names]}, fields=["name", "is_group", "disabled"])
    return {r.name: r for r in rows}


def plan_routes(order) -> list[Route]:
    """Group the order's lines by vendor and connection (one Route → one Fulfillment Dispatch)."""
    connectors = get_connectors()
    items = order_items(order)
    routes: dict[str, Route] = {}
    for row in order.items:
        item = items.get(row.item_code)
        vendor = row.get("fulfillment_vendor") or (vendor_for_item(item, connectors) if item else None)
        if not vendor or vendor not in connectors:
            frappe.throw(_("Row #{0}: Item {1} has no fulfillment vendor").format(row.idx, row.item_code), OrderNotRoutableError)
        connector = connectors[vendor]
        if item and not is_mapped(item, vendor, connectors):
            # never the item code in place of the vendor's own product reference
            frappe.throw(_("Row #{0}: Item {1} is not mapped to {2}: {3} is empty").format(
                row.idx, row.item_code, connector.label, connector.item_mapping_field), OrderNotRoutableError)
        profile = item.get("vendor_profile") if item else None
        connection = connector.resolve_connection(profile)
        route = Route(vendor=vendor, vendor_profile=profile, connection=connection)
        route = routes.setdefault(route.key, route)
        route.lines.append({
            "sales_order_item": row.name, "item_code": row.item_code, "item_name": row.item_name,
            "qty": row.qty, "rate": row.rate, "warehouse": row.warehouse,
            "vendor_sku": (cstr(item.get(connector.item_mapping_field)).strip()
                           if item and connector.item_mapping_field else None) or row.item_code,
            "requires_prescription": item.requires_prescription if item else 0,
        })
    return list(routes.values())
