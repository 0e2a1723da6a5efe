"""Catalog endpoints of the guide: list_warehouses, items_in_warehouse, search_items.

Each endpoint answers from one SQL query (Warehouse, Bin, Item and Item Price joined), so the cost
does not grow with the number of rows returned. Available quantity is what can be sold now:
``actual_qty - reserved_qty`` of the Bin. Only enabled, sales-enabled, approved items are listed.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder.functions import Max
from frappe.utils import cint, flt

from medgrid.exceptions import InvalidParameterError, MissingParameterError

DEFAULT_PAGE_LENGTH = 0  # no paging unless the caller asks (the guide's examples return everything)
MAX_PAGE_LENGTH = 1000
WAREHOUSES_CACHE_KEY = "medgrid:list_warehouses"
WAREHOUSES_CACHE_SECONDS = 60


@frappe.whitelist(methods=["GET", "POST"])
def list_warehouses():
    """Active, non-group warehouses that hold saleable stock: ``[{name, warehouse_name}]``."""
    frappe.has_permission("Warehouse", "read", throw=True)
    return _cached_warehouses()


def _cached_warehouses():
    # Warehouses change rarely: keep the answer for a minute, shared by all workers when Redis is on.
    cached = frappe.cache().get_value(WAREHOUSES_CACHE_KEY)
    if cached is None:
        cached = _query_warehouses()
        frappe.cache().set_value(WAREHOUSES_CACHE_KEY, cached, expires_in_sec=WAREHOUSES_CACHE_SECONDS)
    return cached


def _query_warehouses() -> list[dict]:
    warehouse = frappe.qb.DocType("Warehouse")
    bin_ = frappe.qb.DocType("Bin")
    item = frappe.qb.DocType("Item")
    in_stock = (
        frappe.qb.from_(bin_)
        .join(item).on(item.name == bin_.item_code)
        .select(bin_.warehouse)
        .where((bin_.actual_qty - bin_.reserved_qty) > 0)
        .where(_saleable(item))
    )
    query = (
        frappe.qb.from_(warehouse)
        .select(warehouse.name, warehouse.warehouse_name)
        .where(warehouse.is_group == 0)
        .where(warehouse.disabled == 0)
        .where(warehouse.name.isin(in_stock))
        .orderby(warehouse.name)
    )
    return [dict(r) for r in query.run(as_dict=True)]


def clear_warehouse_cache(doc=None, method=None):
    """doc_events hook: drop the cached warehouse list when a Warehouse changes."""
    frappe.cache().delete_value(WAREHOUSES_CACHE_KEY)


@frappe.whitelist(methods=["GET", "POST"])
def items_in_warehouse(warehouse=None, price_list=None, limit_start=0, limit_page_length=DEFAULT_PAGE_LENGTH):
    """Items in stock at ``warehouse`` with their rate and available quantity."""
    frappe.has_permission("Item", "read", throw=True)
    warehouse = _required(warehouse, "warehouse")
    _check_warehouse(warehouse)
    price_list = _resolve_price_list(price_list)
    start, page_length = _paging(limit_start, limit_page_length)

    item = frappe.qb.DocType("Item")
    bin_ = frappe.qb.DocType("Bin")
    price = _price_subquery(price_list)
    query = (
        frappe.qb.from_(bin_)
        .join(item).on(item.name == bin_.item_code)
        .left_join(price).on(price.item_code == item.name)
        .select(item.item_code, item.item_name, item.description, item.stock_uom, price.rate,
                (bin_.actual_qty - bin_.reserved_qty).as_("available_qty"))
        .where(bin_.warehouse == warehouse)
        .where((bin_.actual_qty - bin_.reserved_qty) > 0)
        .where(_saleable(item))
        .orderby(item.item_code)
    )
    if page_length:
        query = query.limit(page_length).offset(start)
    return [_row(r) for r in query.run(as_dict=True)]


@frappe.whitelist(methods=["GET", "POST"])
def search_items(query=None, warehouse=None, price_list=None, limit_start=0, limit_page_length=DEFAULT_PAGE_LENGTH):
    """Items matching ``query`` (code, name or description), one row per item and warehouse."""
    frappe.has_permission("Item", "read", throw=True)
    text = _required(query, "query")
    if warehouse:
        _check_warehouse(warehouse)
    price_list = _resolve_price_list(price_list)
    start, page_length = _paging(limit_start, limit_page_length)

    item = frappe.qb.DocType("Item")
    bin_ = frappe.qb.DocType("Bin")
    wh = frappe.qb.DocType("Warehouse")
    price = _price_subquery(price_list)
    matches = _contains(item.item_code, text) | _contains(item.item_name, text) | _contains(item.description, text)
    q = (
        frappe.qb.from_(bin_)
        .join(item).on(item.name == bin_.item_code)
        .join(wh).on(wh.name == bin_.warehouse)
        .left_join(price).on(price.item_code == item.name)
        .select(item.item_code, item.item_name, price.rate,
                (bin_.actual_qty - bin_.reserved_qty).as_("available_qty"), bin_.warehouse)
        .where(matches)
        .where((bin_.actual_qty - bin_.reserved_qty) > 0)
        .where(_saleable(item))
        .where(wh.is_group == 0)
        .where(wh.disabled == 0)
        .orderby(item.item_code)
        .orderby(bin_.warehouse)
    )
    if warehouse:
        q = q.where(bin_.warehouse == warehouse)
    if page_length:
        q = q.limit(page_length).offset(start)
    return [_row(r) for r in q.run(as_dict=True)]


# ------------------------------------------------------------------ helpers

def _saleable(item):
    return (item.disabled == 0) & (item.is_sales_item == 1) & (item.medgrid_approved == 1)


def _price_subquery(price_list: str):
    """One rate per item on ``price_list`` (the highest when several rows apply), as a derived table."""
    item_price = frappe.qb.DocType("Item Price")
    today = frappe.utils.nowdate()
    return (
        frappe.qb.from_(item_price)
        .select(item_price.item_code, Max(item_price.price_list_rate).as_("rate"))
        .where(item_price.price_list == price_list)
        .where(item_price.selling == 1)
        .where((item_price.customer.isnull()) | (item_price.customer == ""))
        .where((item_price.valid_from.isnull()) | (item_price.valid_from <= today))
        .where((item_price.valid_upto.isnull()) | (item_price.valid_upto >= today))
        .groupby(item_price.item_code)
    ).as_("price")


def _row(r) -> dict:
    out = dict(r)
    out["rate"] = flt(out.get("rate"))
    out["available_qty"] = flt(out.get("available_qty"))
    return out


def _required(value, name: str) -> str:
    if value is None or not str(value).strip():
        frappe.throw(_("Missing required parameter: {0}").format(name), MissingParameterError)
    if not isinstance(value, str):
        frappe.throw(_("Parameter {0} must be a string").format(name), InvalidParameterError)
    return value.strip()


def _check_warehouse(warehouse: str) -> None:
    if not isinstance(warehouse, str):
        frappe.throw(_("Parameter warehouse must be a string"), InvalidParameterError)
    if not frappe.db.exists("Warehouse", warehouse):
        frappe.throw(_("Warehouse {0} not found").format(warehouse), frappe.DoesNotExistError)


def _paging(limit_start, limit_page_length) -> tuple[int, int]:
    try:
        start, length = int(limit_start or 0), int(limit_page_length or 0)
    except (TypeError, ValueError):
        frappe.throw(_("limit_start and limit_page_length must be whole numbers"), InvalidParameterError)
    if start < 0 or length < 0:
        frappe.throw(_("limit_start and limit_page_length cannot be negative"), InvalidParameterError)
    return start, min(length, MAX_PAGE_LENGTH)


def _contains(column, text: str):
    """Case-insensitive substring match, as MariaDB's collation gives it."""
    if frappe.db.db_type == "sqlite":
        # SQLite's LIKE has no default escape character; wildcards in the text stay wildcards there
        return column.like(f"%{text}%")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if frappe.db.db_type == "postgres":
        return column.ilike(f"%{escaped}%")
    return column.like(f"%{escaped}%")


def _resolve_price_list(price_list) -> str:
    """The given price list, else the calling customer's, its group's, then Selling Settings'."""
    if price_list:
        if not isinstance(price_list, str) or not frappe.db.exists("Price List", price_list):
            frappe.throw(_("Price List {0} not found").format(price_list), InvalidParameterError)
        return price_list
    customer = calling_customer()
    if customer:
        values = frappe.db.get_value("Customer", customer, ["default_price_list", "customer_group"], as_dict=True)
        if values and values.default_price_list:
            return values.default_price_list
        if values and values.customer_group:
            group_list = frappe.db.get_value("Customer Group", values.customer_group, "default_price_list")
            if group_list:
                return group_list
    return frappe.db.get_single_value("Selling Settings", "selling_price_list") or "Standard Selling"


def calling_customer() -> str | None:
    """The Customer a partner user is restricted to (its User Permission), if exactly one."""
    user = frappe.session.user
    if user in ("Administrator", "Guest"):
        return None
    customers = frappe.get_all("User Permission", filters={"user": user, "allow": "Customer"}, pluck="for_value")
    return customers[0] if len(customers) == 1 else None
