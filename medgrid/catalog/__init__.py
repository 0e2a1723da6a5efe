"""Catalog endpoints of the guide: list_warehouses, items_in_warehouse, search_items.

Each endpoint answers from one SQL query (Warehouse, Bin, Item and Item Price joined), so the cost
does not grow with the number of rows returned. Available quantity is what can be sold now:
``actual_qty - reserved_qty`` of the Bin. Only enabled, sales-enabled, approved items are listed.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Sequence

import frappe
from frappe import _
from frappe.utils import flt

from medgrid.catalog import search_index
from medgrid.exceptions import InvalidParameterError, MissingParameterError

DEFAULT_PAGE_LENGTH = 0  # no paging unless the caller asks (the guide's examples return everything)
MAX_PAGE_LENGTH = 1000
WAREHOUSES_CACHE_KEY = "medgrid:list_warehouses"
WAREHOUSES_CACHE_SECONDS = 60

# Saleable items: enabled, sellable and approved by a MedGrid Marketplace Admin
SALEABLE = "`{a}`.`disabled` = 0 and `{a}`.`is_sales_item` = 1 and `{a}`.`medgrid_approved` = 1"
# One rate per returned row, looked up through Item Price's item_code index (a price-per-item derived
# table was rebuilt from every price of the list on each call by SQLite: ~75 ms at 100k prices)
PRICE_SQL = (
    "(select max(`ip`.`price_list_rate`) from `tabItem Price` `ip` where `ip`.`item_code` = `i`.`name`"
    " and `ip`.`price_list` = %(price_list)s and `ip`.`selling` = 1"
    " and (`ip`.`customer` is null or `ip`.`customer` = '')"
    " and (`ip`.`valid_from` is null or `ip`.`valid_from` <= %(today)s)"
    " and (`ip`.`valid_upto` is null or `ip`.`valid_upto` >= %(today)s))")


@frappe.whitelist(methods=["GET", "POST"])
def list_warehouses():
    """Active, non-group warehouses that hold saleable stock: ``[{name, warehouse_name}]``."""
    _require_catalog_reader()
    return _cached_warehouses()


# What a catalog answer reveals: items, their prices, stock levels and where the stock is. A caller must
# be allowed to read all of it (partners, reps, admins); a vendor, who may read warehouses for its portal
# but not prices or stock, is refused.
CATALOG_DOCTYPES = ("Item", "Item Price", "Bin", "Warehouse")


def _require_catalog_reader() -> None:
    for doctype in CATALOG_DOCTYPES:
        frappe.has_permission(doctype, "read", throw=True)


def _cached_warehouses():
    # Warehouses change rarely: keep the answer for a minute, shared by all workers when Redis is on.
    cached = frappe.cache().get_value(WAREHOUSES_CACHE_KEY)
    if cached is None:
        cached = _query_warehouses()
        frappe.cache().set_value(WAREHOUSES_CACHE_KEY, cached, expires_in_sec=WAREHOUSES_CACHE_SECONDS)
    return cached


def _query_warehouses() -> list[dict]:
    # A correlated "any saleable stock here?" probe per warehouse: ``name in (subquery)`` made MariaDB
    # materialise the whole Bin ⋈ Item join (0.7–1.1 s at 100k items; benchmarks/catalog.py).
    rows = frappe.db.sql(
        "select `w`.`name`, `w`.`warehouse_name` from `tabWarehouse` `w` "
        "where `w`.`is_group` = 0 and `w`.`disabled` = 0 and ("
        " select 1 from `tabBin` `b` join `tabItem` `i` on `i`.`name` = `b`.`item_code`"
        " where `b`.`warehouse` = `w`.`name` and `b`.`actual_qty` - `b`.`reserved_qty` > 0 and "
        + SALEABLE.format(a="i") + " limit 1) = 1 order by `w`.`name`", as_dict=True)
    return [dict(r) for r in rows]


def clear_warehouse_cache(doc=None, method=None):
    """doc_events hook: drop the cached warehouse list when a Warehouse changes."""
    frappe.cache().delete_value(WAREHOUSES_CACHE_KEY)


@frappe.whitelist(methods=["GET", "POST"])
def items_in_warehouse(warehouse=None, price_list=None, limit_start=0, limit_page_length=DEFAULT_PAGE_LENGTH,
                       after=None):
    """Items in stock at ``warehouse`` with their rate and available quantity.

    ``after`` (the ``next_after`` of the previous page's answer) continues after that page without walking
    the rows before it, as ``limit_start`` does.
    """
    _require_catalog_reader()
    warehouse = _required(warehouse, "warehouse")
    _check_warehouse_type(warehouse)
    price_list = _resolve_price_list(price_list)
    start, page_length = _paging(limit_start, limit_page_length)
    cursor = decode_after(after, ITEMS_CURSOR)

    values = {"warehouse": warehouse, "price_list": price_list, "today": frappe.utils.nowdate(),
              "start": start, "length": page_length + 1}
    # Bin first, through its (warehouse, item_code, quantities) index (catalog/indexes.py): the warehouse's
    # rows come in item order, so nothing is sorted and a page stops after its rows. The engines' planners
    # start from Item for an unpaged answer (MariaDB: ~2 s at 100k items), hence the forced join order.
    # Bin.item_code is the Item's name, which is its item code (ERPNext's default naming).
    row = _row_json([("item_code", "`i`.`item_code`", False), ("item_name", "`i`.`item_name`", False),
                     ("description", "`i`.`description`", False), ("stock_uom", "`i`.`stock_uom`", False),
                     ("rate", "coalesce(" + PRICE_SQL + ", 0)", True),
                     ("available_qty", "`b`.`actual_qty` - `b`.`reserved_qty`", True)])
    key = "`b`.`item_code`, " if page_length else ""  # an unpaged answer needs no cursor: one column per row
    sql = (f"select {key}{row} from `tabBin` `b` {_ordered_join()} `tabItem` `i` "
           "on `i`.`name` = `b`.`item_code` "
           "where `b`.`warehouse` = %(warehouse)s and `b`.`actual_qty` - `b`.`reserved_qty` > 0 and "
           + SALEABLE.format(a="i") + " and " + WAREHOUSE_EXISTS)
    if cursor:
        values["after_code"] = cursor[0]
        sql += " and `b`.`item_code` > %(after_code)s"
    sql += " order by `b`.`item_code`"
    if page_length:
        # one row more than asked tells whether another page follows
        sql += " limit %(length)s offset %(start)s"
    return _json_page(frappe.db.sql(sql, values), page_length, ITEMS_CURSOR, warehouse)


@frappe.whitelist(methods=["GET", "POST"])
def search_items(query=None, warehouse=None, price_list=None, limit_start=0, limit_page_length=DEFAULT_PAGE_LENGTH,
                 after=None):
    """Items matching ``query`` (code, name or description), one row per item and warehouse."""
    _require_catalog_reader()
    text = _required(query, "query")
    if warehouse:
        _check_warehouse_type(warehouse)
    price_list = _resolve_price_list(price_list)
    start, page_length = _paging(limit_start, limit_page_length)
    cursor = decode_after(after, SEARCH_CURSOR)

    # the inner query counts items, and the item the cursor stands on may have no rows left after it
    inner = start + page_length + 1 + (1 if cursor else 0)
    values = {"pattern": _like_pattern(text), "warehouse": warehouse, "price_list": price_list,
              "today": frappe.utils.nowdate(), "start": start, "length": page_length + 1, "inner": inner}
    like = "ilike" if frappe.db.db_type == "postgres" else "like"
    in_stock = ("`{b}`.`actual_qty` - `{b}`.`reserved_qty` > 0 and `{w}`.`is_group` = 0 and `{w}`.`disabled` = 0"
                + (" and `{b}`.`warehouse` = %(warehouse)s" if warehouse else ""))
    # A matching item: its code, name or description contains the text, it is saleable and has stock (in the
    # warehouse, if one is asked for).
    matches = (f"(`m`.`item_code` {like} %(pattern)s or `m`.`item_name` {like} %(pattern)s or "
               f"`m`.`description` {like} %(pattern)s) and " + SALEABLE.format(a="m")
               + " and (select 1 from `tabBin` `b2` join `tabWarehouse` `w2` on `w2`.`name` = `b2`.`warehouse` "
               "where `b2`.`item_code` = `m`.`name` and " + in_stock.format(b="b2", w="w2") + " limit 1) = 1")
    if cursor:
        values["after_name"], values["after_warehouse"] = cursor
    # The search index (search_index.py) names the items that may match, so the engine reads those instead
    # of every item; the LIKE test still decides, so the answer is the plain scan's.
    indexed = search_index.candidates(text)
    # Two levels: the inner query pages over matching items in name order (one table, so the engine walks
    # the name index and stops after a page); the outer one lists their warehouses. Ordering across Item
    # and Bin in one level made the engine sort every match (0.4–0.7 s at 100k items).
    matching_items = None
    if indexed and page_length and frappe.db.db_type == "mariadb":
        matching_items = _page_items_sql(text, matches, values, inner)
    if matching_items is None:
        source = "`tabItem` `m` where "
        if indexed and page_length:
            names = _page_candidates(text, start + page_length)
            if names is not None:
                if not names:
                    return _json_page([], page_length, SEARCH_CURSOR, warehouse)
                source = "`tabItem` `m` where `m`.`name` in (" + _in_list("candidate", names, values) + ") and "
        elif indexed:
            candidate_sql, candidate_values = indexed
            values.update(candidate_values)
            source = f"({candidate_sql}) `c` join `tabItem` `m` on `m`.`name` = `c`.`item` where "
        matching_items = f"select `m`.`name` from {source}{matches}"
        if cursor:
            matching_items += " and `m`.`name` >= %(after_name)s"
        if page_length:
            matching_items += " order by `m`.`name` limit %(inner)s"
    after_row = ""
    if cursor:
        after_row = (" and (`i`.`name` > %(after_name)s or "
                     "(`i`.`name` = %(after_name)s and `b`.`warehouse` > %(after_warehouse)s))")
    fields = [("item_code", "`i`.`item_code`", False), ("item_name", "`i`.`item_name`", False),
              ("rate", "coalesce(" + PRICE_SQL + ", 0)", True),
              ("available_qty", "`b`.`actual_qty` - `b`.`reserved_qty`", True),
              ("warehouse", "`b`.`warehouse`", False)]
    # MariaDB sorts these rows in a temporary table, kept on disk when a column is text (json_quote's result
    # always is): plain columns keep it in memory and Python writes the page's JSON (MariaDB "BPC" page 1.2 ->
    # 0.8 ms of server time at 100k items; benchmarks/catalog.py)
    in_python = frappe.db.db_type == "mariadb"
    row = _row_columns(fields) if in_python else _row_json(fields)
    # from the page's items outwards (a planner that starts from the warehouses' bins reads every bin)
    join = _ordered_join()
    sql = (f"select `i`.`name`, `b`.`warehouse`, {row} "
           "from (" + matching_items + f") `hit` {join} `tabItem` `i` on `i`.`name` = `hit`.`name` "
           f"{join} `tabBin` `b` on `b`.`item_code` = `i`.`name` {join} `tabWarehouse` `w` on `w`.`name` = `b`.`warehouse` "
           "where " + in_stock.format(b="b", w="w") + after_row + " order by `i`.`name`, `b`.`warehouse`")
    if page_length:
        sql += " limit %(length)s offset %(start)s"
    rows = frappe.db.sql(sql, values)
    if in_python:
        rows = _rows_with_json(rows, fields, keys=2)
    # a row joined the warehouse: only an empty answer needs to ask whether it exists
    return _json_page(rows, page_length, SEARCH_CURSOR, warehouse)


def _page_items_sql(text: str, matches: str, values: dict, count: int) -> str | None:
    """MariaDB: a query of the first ``count`` matching items in name order (from the cursor on), read from
    the index in that order: its rows are keyed (trigram, item), so the items holding a trigram come sorted
    and the engine stops after ``count`` matches instead of reading every candidate (a term in 1 % of 100k
    items: ~30 candidates read for a 20-row page, against ~1,200 candidates or ~1,700 walked items). It is
    the page query's inner part, so a page costs one statement. None when the term has no trigram."""
    grams = search_index._query_grams(text)
    if not grams:
        return None
    values.update({f"page_gram{n}": g for n, g in enumerate(grams)})
    table, unindexed = search_index.MARIADB_GRAMS, search_index.MARIADB_UNINDEXED
    joins = "".join(f" straight_join `{table}` `t{n}` on `t{n}`.`gram` = %(page_gram{n})s and `t{n}`.`item` = `t0`.`item`"
                    for n in range(1, len(grams)))
    after = " and `t0`.`item` >= %(after_name)s" if "after_name" in values else ""
    listed = (f"(select `m`.`name` from `{table}` `t0`{joins} straight_join `tabItem` `m` on `m`.`name` = `t0`.`item` "
              f"where `t0`.`gram` = %(page_gram0)s{after} and {matches} order by `t0`.`item` limit {int(count)})")
    # items whose text the index could not take (non-ASCII) are candidates for every term; the two lists are
    # merged by the engine, in its collation's order (the order of the page)
    after = " and `u`.`item` >= %(after_name)s" if "after_name" in values else ""
    others = (f"(select `m`.`name` from `{unindexed}` `u` straight_join `tabItem` `m` on `m`.`name` = `u`.`item` "
              f"where {matches}{after} order by `u`.`item` limit {int(count)})")
    return f"{listed} union {others} order by 1 limit {int(count)}"


def _page_candidates(text: str, rows_needed: int) -> list[str] | None:
    """The items the index names for a page, or None when walking the items in name order finds the page
    sooner: the walk reads about ``rows_needed × items / matches`` items, the index plan every candidate
    (each about INDEX_CANDIDATE_COST walked items: two lookups and the stock test), so past
    ``√(rows_needed × items / INDEX_CANDIDATE_COST)`` candidates the walk wins. One bounded read decides."""
    limit = int(math.sqrt(rows_needed * max(search_index.item_count_estimate(), 1) / INDEX_CANDIDATE_COST))
    limit = min(COMMON_TERM_MAX, max(COMMON_TERM_MIN, limit))
    sql, values = search_index.candidates(text, limit=limit + 1)
    key, now = (frappe.local.site, text, limit), time.monotonic()
    known = _common_terms.get(key)
    common = known[0] if known and now - known[1] < COMMON_TERM_SECONDS else None
    if common is None:
        # counted first (one row back): a common term's candidates are never carried into Python only to be
        # dropped (at 1M items the count is most of a "BPC" page's time: hence the memo)
        common = frappe.db.sql(f"select count(*) from ({sql}) `c`", values)[0][0] > limit
    if common:
        names = None
    else:
        rows = frappe.db.sql(f"select `item` from ({sql}) `c`", values)
        names = {r[0] for r in rows}
        # a term remembered as rare may have become common meanwhile: past the bound the rows are cut short
        common = len(rows) > limit
    if not known or known[0] != common or now - known[1] >= COMMON_TERM_SECONDS:
        if len(_common_terms) >= COMMON_TERMS_KEPT:
            _common_terms.clear()
        _common_terms[key] = (common, now)
    return None if common else sorted(names)


# measured at 100k items (benchmarks/catalog.py: "BPC", 1.2 % of the items, is a faster walk than 1,182
# candidates); bounds: a few hundred names are always cheap, past 20,000 the bound list gets long (SQLite
# binds at most 32,766 values)
INDEX_CANDIDATE_COST = 4
COMMON_TERM_MIN, COMMON_TERM_MAX = 300, 20_000
# which plan a term's page takes, remembered per process: it decides how fast a page comes, never what it holds
# (both plans keep the LIKE test and answer the scan's rows), so an entry gone stale costs only speed
_common_terms: dict[tuple, tuple[bool, float]] = {}
COMMON_TERM_SECONDS, COMMON_TERMS_KEPT = 300, 10_000


# ------------------------------------------------------------------ rows, pages and cursors

ITEMS_CURSOR, SEARCH_CURSOR = "items_in_warehouse", "search_items"
CURSOR_KEYS = {ITEMS_CURSOR: 1, SEARCH_CURSOR: 2}
MAX_CURSOR_LENGTH = 2048


def _row_json(fields) -> str:
    """SQL of one JSON object per row, written by the engine: ``fields`` are (key, expression, numeric);
    numbers go out as floats (a decimal column as ``12.000000000`` would be the same number, only longer).

    An unpaged warehouse is ~47k rows at 100k items: the engine writes each row's JSON in C and the driver
    hands over one string per row, where building and re-encoding Python dicts cost more than the query
    (the driver's per-field parsing, then ``json.dumps``; benchmarks/catalog.py).
    """
    db_type = frappe.db.db_type
    if db_type == "mariadb":
        # MariaDB's json_object took ~120 ms of server time for an unpaged warehouse (46k rows); the same
        # object joined from json_quote'd values takes ~65 ms and is written without blanks
        parts = []
        for n, (key, expr, numeric) in enumerate(fields):
            value = f"({expr}) + 0e0" if numeric else f"json_quote({expr})"
            parts.append("'" + ("{" if n == 0 else ",") + json.dumps(key) + f":', coalesce({value}, 'null')")
        return "concat(" + ", ".join(parts) + ", '}')"
    number = {"postgres": "cast({} as double precision)"}.get(db_type, "({}) + 0.0")
    args = ", ".join(f"'{key}', " + (number.format(expr) if numeric else expr) for key, expr, numeric in fields)
    if db_type == "postgres":
        return f"cast(json_build_object({args}) as text)"
    return f"json_object({args})"


def _row_columns(fields) -> str:
    """MariaDB: the select list of ``_row_json``'s fields as plain columns (numbers as the text the engine
    writes them in, so both spellings of a row are the same characters), for :func:`_rows_with_json`."""
    return ", ".join(f"cast(({expr}) + 0e0 as char)" if numeric else f"({expr})" for _key, expr, numeric in fields)


# built once: json.dumps(…, ensure_ascii=False) builds an encoder per call
_json_string = json.JSONEncoder(ensure_ascii=False).encode


def _rows_with_json(rows, fields, keys: int) -> list[tuple]:
    """Rows of ``keys`` sort-key columns and :func:`_row_columns`' columns, as ``(*sort key, row JSON)``."""
    columns = [(("{" if n == 0 else ",") + json.dumps(key) + ":", str if numeric else _json_string)
               for n, (key, _expr, numeric) in enumerate(fields)]
    return [(*row[:keys], "".join([head + ("null" if value is None else write(value))
                                   for (head, write), value in zip(columns, row[keys:])]) + "}")
            for row in rows]


def _ordered_join() -> str:
    """A join that keeps the left table outermost (the engines' spellings)."""
    return {"mariadb": "straight_join", "sqlite": "cross join"}.get(frappe.db.db_type, "join")


def _json_page(rows, page_length: int, kind: str, warehouse: str | None = None):
    """The answer of rows ``(*sort key, row JSON)``: the page's rows as one JSON array (:class:`CatalogRows`),
    the probe row trimmed and the next page's cursor
    told as ``next_after`` beside ``message`` (absent on the last page and on unpaged answers): the
    guide's ``{"message": [...]}`` is unchanged. An empty answer for ``warehouse`` is a 404 when no such
    warehouse exists (a row proves it does, so a page with rows costs no lookup)."""
    if not rows and warehouse:
        _check_warehouse(warehouse)
    frappe.response.pop("next_after", None)
    if page_length and len(rows) > page_length:
        rows = rows[:page_length]
        frappe.response["next_after"] = encode_after(kind, tuple(rows[-1][:-1]))
    return CatalogRows("[" + ",".join([row[-1] for row in rows]) + "]")


class CatalogRows(Sequence):
    """An answer's rows as the JSON text the engine wrote. The runtime's response writer puts the text in as
    it is (``__raw_json__``); Frappe's ``json_handler`` writes it as the iterable it is; callers in the same
    process read it as a list of dicts (parsed once, on first use)."""

    __slots__ = ("text", "_rows")

    def __init__(self, text: str):
        self.text, self._rows = text, None

    def __raw_json__(self) -> str:
        return self.text

    def _parsed(self) -> list[dict]:
        if self._rows is None:
            self._rows = json.loads(self.text)
        return self._rows

    def __getitem__(self, index):
        return self._parsed()[index]

    def __len__(self) -> int:
        return len(self._parsed())

    def __eq__(self, other):
        return self._parsed() == (other._parsed() if isinstance(other, CatalogRows) else other)

    __hash__ = None


def encode_after(kind: str, key: tuple) -> str:
    """The opaque ``after`` cursor standing on the row with ``key`` (its sort key) of ``kind``'s order."""
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_after(after, kind: str) -> tuple | None:
    """The sort key an ``after`` cursor stands on; 400 for anything that is not one of ``kind``'s cursors."""
    if after is None or after == "":
        return None
    bad = _("Parameter after is not a cursor of {0}: pass the next_after of a previous answer").format(kind)
    if not isinstance(after, str) or len(after) > MAX_CURSOR_LENGTH:
        frappe.throw(bad, InvalidParameterError)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        frappe.throw(bad, InvalidParameterError)
    if (not isinstance(decoded, list) or len(decoded) != CURSOR_KEYS[kind] + 1 or decoded[0] != kind
            or not all(isinstance(part, str) and part for part in decoded[1:])):
        frappe.throw(bad, InvalidParameterError)
    return tuple(decoded[1:])


# ------------------------------------------------------------------ helpers

def _required(value, name: str) -> str:
    if value is None or not str(value).strip():
        frappe.throw(_("Missing required parameter: {0}").format(name), MissingParameterError)
    if not isinstance(value, str):
        frappe.throw(_("Parameter {0} must be a string").format(name), InvalidParameterError)
    return value.strip()


def _check_warehouse_type(warehouse) -> None:
    if not isinstance(warehouse, str):
        frappe.throw(_("Parameter warehouse must be a string"), InvalidParameterError)


# In a query filtered on %(warehouse)s: no rows unless it exists (evaluated once: it names no row's column)
WAREHOUSE_EXISTS = "exists (select 1 from `tabWarehouse` `wx` where `wx`.`name` = %(warehouse)s)"


def _check_warehouse(warehouse: str) -> None:
    _check_warehouse_type(warehouse)
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


def _like_pattern(text: str) -> str:
    """``%text%`` for a case-insensitive substring match, wildcards in the text escaped.

    SQLite's LIKE has no default escape character, so there wildcards typed by the user stay wildcards.
    """
    if frappe.db.db_type == "sqlite":
        return f"%{text}%"
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _resolve_price_list(price_list) -> str:
    """The given price list, else the calling customer's default (see :func:`default_price_list`)."""
    if price_list:
        if not isinstance(price_list, str) or not frappe.db.exists("Price List", price_list):
            frappe.throw(_("Price List {0} not found").format(price_list), InvalidParameterError)
        return price_list
    return default_price_list(calling_customer())


def default_price_list(customer: str | None) -> str:
    """The price list the catalog shows ``customer``: its own, its group's, then Selling Settings'.

    Order validation prices lines against the same list (medgrid.fulfillment_router.pricing).
    """
    if customer:
        values = frappe.db.get_value("Customer", customer, ["default_price_list", "customer_group"], as_dict=True)
        if values and values.default_price_list:
            return values.default_price_list
        if values and values.customer_group:
            group_list = frappe.db.get_value("Customer Group", values.customer_group, "default_price_list")
            if group_list:
                return group_list
    return frappe.db.get_single_value("Selling Settings", "selling_price_list") or "Standard Selling"


# ------------------------------------------------------------------ shared with order validation

def _in_list(prefix: str, values, params: dict) -> str:
    """``%(p0)s, %(p1)s, …`` for an SQL ``in (…)``, the values added to ``params``."""
    names = []
    for index, value in enumerate(values):
        params[f"{prefix}{index}"] = value
        names.append(f"%({prefix}{index})s")
    return ", ".join(names)


def price_list_rates(item_codes, price_list: str) -> dict:
    """``{item_code: rate}`` in ``price_list`` today, as the catalog endpoints show it; an item the list
    does not price maps to None (the endpoints show 0 for it)."""
    codes = sorted({c for c in item_codes if c})
    if not codes:
        return {}
    params = {"price_list": price_list, "today": frappe.utils.nowdate()}
    rows = frappe.db.sql(
        "select `i`.`name` as `item_code`, " + PRICE_SQL + " as `rate` from `tabItem` `i` "
        "where `i`.`name` in (" + _in_list("item", codes, params) + ")", params, as_dict=True)
    return {r.item_code: (None if r.rate is None else flt(r.rate)) for r in rows}


def available_quantities(pairs, for_update: bool = False) -> dict:
    """``{(item_code, warehouse): available_qty}`` of what the catalog would sell: the Bin's
    ``actual_qty - reserved_qty`` for an enabled, sales, approved item. A pair the catalog would not
    list at all (no Bin, item not saleable) is absent; a quantity may be 0 or negative.

    ``for_update`` locks those Bin rows until the transaction ends, so two orders submitted at once
    cannot both take the last units (SQLite: its write lock is taken instead).
    """
    pairs = sorted({(i, w) for i, w in pairs if i and w})
    if not pairs:
        return {}
    params: dict = {}
    where = ("`b`.`item_code` in (" + _in_list("item", sorted({i for i, _w in pairs}), params) + ") and "
             "`b`.`warehouse` in (" + _in_list("wh", sorted({w for _i, w in pairs}), params) + ")")
    if for_update:
        # the lock on Bin alone: the Item rows stay free for other orders and for edits
        frappe.db.sql("select `b`.`name` from `tabBin` `b` where " + where + " for update", params)
    rows = frappe.db.sql(
        "select `b`.`item_code`, `b`.`warehouse`, `b`.`actual_qty` - `b`.`reserved_qty` as `available_qty` "
        "from `tabBin` `b` join `tabItem` `i` on `i`.`name` = `b`.`item_code` where " + where + " and "
        + SALEABLE.format(a="i"), params, as_dict=True)
    wanted = set(pairs)
    return {(r.item_code, r.warehouse): flt(r.available_qty) for r in rows if (r.item_code, r.warehouse) in wanted}


def calling_customer() -> str | None:
    """The Customer a partner user is restricted to (its User Permission), if exactly one."""
    user = frappe.session.user
    if user in ("Administrator", "Guest"):
        return None
    # Frappe keeps a user's permissions cached (no query per catalog call)
    from frappe.permissions import get_user_permissions

    customers = {entry.get("doc") for entry in get_user_permissions(user).get("Customer", [])}
    return customers.pop() if len(customers) == 1 else None
