"""Orders placed in a vendor's connected Shopify store → submitted MedGrid Sales Orders.

A vendor who sells in its own Shopify store gets those orders into MedGrid, so the marketplace sees
all of the vendor's sales and the store's status flows back through the existing webhooks and polls.
One run (:func:`import_store_orders`) pages through ``orders(query: "updated_at:>…", sortKey:
UPDATED_AT)`` with the shared GraphQL client (cursor pagination, cost bucket) and, per order:

* **skips** what must not come back: an order MedGrid created itself (it carries the
  ``medgrid_sales_order`` custom attribute or a tag naming a Sales Order — the connector tags every
  order it sends), an order already imported (its GID is on a Sales Order), a cancelled order and one
  with nothing left to ship;
* **maps** each line to an Item by variant GID (``exoceuticals_variant_id``, as the catalog sync
  writes it) or else by SKU (``item_code``) — an Item of another vendor is never taken; an unknown
  line fails the order;
* **creates** the Sales Order for the store's Customer (one per shop, named after the shop domain,
  created with the selling defaults when missing), with a Shipping Address from the order (an
  identical address of that customer is reused), the store's line prices, the store's warehouse and
  a delivery date seven days after the order date, then submits it **without routing**: the store
  already has the order, so instead of a send one Fulfillment Dispatch is written as ``Sent`` with the
  Shopify order GID, which is how the webhooks and status polls find it and keep its status current,
  and how a cancel in MedGrid reaches the store (:meth:`ShopifyConnector.cancel`).

The Shopify GID is stored in ``Sales Order.shopify_source_order_id``, a unique column: two runs racing
on one order cannot both insert it, and the loser counts the order as already imported.

One bad order never stops a run: it is rolled back to its savepoint, logged (Error Log) and counted
in ``failed``. The connection keeps its own watermark (``last_order_import``, Shopify's ``updatedAt`` of
the last order handled); a failed order holds the watermark just before it, so the next run tries it
again (for example once the catalog sync has created its Item). Every run re-reads a few minutes
before the watermark because Shopify's search index lags behind writes; re-reading is harmless
since an imported order is skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.utils import add_days, cint, cstr, flt, get_datetime, get_system_timezone, getdate, now_datetime

from medgrid.connectors.base import VendorError, get_connector
from medgrid.connectors.shopify_graphql import SALES_ORDER_ATTRIBUTE
from medgrid.constants import DISPATCH, ITEM, SALES_ORDER
from medgrid.exceptions import IntegrationNotConfiguredError
from medgrid.integrations.constants import SHOPIFY, SHOPIFY_CONNECTION
from medgrid.integrations.store_sync import Progress, Store, SyncSummary, page_failed, pages, record_summary, vendor_store

ORDERS_PAGE = 10
LINES_PAGE = 10
MORE_LINES_PAGE = 100
# requested cost (Shopify: a connection costs 2 + its nodes; every object 1): per line the line,
# its variant, the price set and its money; per order the order, its address and the lines' connection
LINE_COST = 4
ORDERS_PAGE_COST = 2 + ORDERS_PAGE * (1 + 1 + 2 + LINES_PAGE * LINE_COST)
MORE_LINES_COST = 1 + 2 + MORE_LINES_PAGE * LINE_COST
# Shopify's order search index trails its writes by seconds to minutes: every run re-reads this much
SEARCH_OVERLAP = timedelta(minutes=5)
DELIVERY_DAYS = 7
SAVEPOINT = "medgrid_order_import"
TIMESTAMP_FIELD = "last_order_import"
JOB = "medgrid.integrations.order_import.import_store_orders"
QUEUE = "long"
TIMEOUT = 1800

ROOT_CUSTOMER_GROUP = "All Customer Groups"
ROOT_TERRITORY = "All Territories"
SHIPPING = "Shipping"
# Address fields that make two shipping addresses "the same" (the reuse check)
ADDRESS_IDENTITY = ("address_title", "address_line1", "address_line2", "city", "state", "pincode", "country", "phone")

LINE_FIELDS = "id sku quantity currentQuantity variant { id } originalUnitPriceSet { shopMoney { amount } }"

ORDERS_QUERY = f"""
query MedGridStoreOrders($query: String!, $cursor: String) {{
  orders(first: {ORDERS_PAGE}, after: $cursor, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id name email createdAt processedAt updatedAt cancelledAt currencyCode tags
      customAttributes {{ key value }}
      shippingAddress {{ firstName lastName name company address1 address2 city provinceCode country
                         countryCodeV2 zip phone }}
      lineItems(first: {LINES_PAGE}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_FIELDS} }} }}
    }}
  }}
}}
""".strip()

MORE_LINES_QUERY = f"""
query MedGridStoreOrderLines($id: ID!, $cursor: String) {{
  order(id: $id) {{
    lineItems(first: {MORE_LINES_PAGE}, after: $cursor) {{
      pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_FIELDS} }}
    }}
  }}
}}
""".strip()


class OrderImportError(Exception):
    """An order MedGrid cannot take as it is (unknown line, other currency); shown in the summary."""


# ------------------------------------------------------------------------------------------ run

def import_store_orders(connection_name: str, since=None) -> dict:
    """Import the orders of one connected vendor store updated since ``since`` (default: the watermark).

    Returns (and stores on the connection) ``{created, skipped, failed, errors, complete}``. Safe to
    repeat: an order already imported is skipped.
    """
    store = vendor_store(connection_name)
    if not store.warehouse:
        frappe.throw(_("No warehouse is set for {0}'s orders").format(store.shop_domain), IntegrationNotConfiguredError)
    summary = SyncSummary("orders")
    progress = Progress("orders", None, store.shop_domain)
    watermark = Watermark()
    done = 0
    try:
        search = orders_search(since or default_since(connection_name))
        for page in pages(store.client, ORDERS_QUERY, {"query": search}, ("orders",),
                          estimated_cost=ORDERS_PAGE_COST):
            for order in page.get("nodes") or []:
                outcome = import_order(store, order, summary)
                watermark.saw(order, failed=outcome == "failed")
                done += 1
            progress.report(done)
    except VendorError as error:
        page_failed(store, summary, error)
    if watermark.value:
        frappe.db.set_value(SHOPIFY_CONNECTION, connection_name, TIMESTAMP_FIELD, watermark.value,
                            update_modified=False)
    record_summary(store, summary, TIMESTAMP_FIELD)
    result = summary.as_dict()
    return {key: result[key] for key in ("created", "skipped", "failed", "errors", "complete")}


def enqueue_import(shop_domain: str):
    """Queue one store's import unless it is already queued or running (one job id per shop)."""
    return frappe.enqueue(JOB, queue=QUEUE, timeout=TIMEOUT, job_id=f"medgrid-shopify-orders::{shop_domain}",
                          deduplicate=True, connection_name=shop_domain)


class Watermark:
    """Where the next run starts: the last order handled, or just before the first one that failed.

    Orders come sorted by ``updatedAt``, so everything before the first failure was handled.
    """

    def __init__(self):
        self.value = None
        self.pinned = False

    def saw(self, order: dict, failed: bool) -> None:
        if self.pinned or not order.get("updatedAt"):
            return
        moment = from_shopify_time(order["updatedAt"])
        if failed:
            # the search is "updated_at:>" the mark: one second earlier takes this order again
            self.value, self.pinned = moment - timedelta(seconds=1), True
        else:
            self.value = max(self.value, moment) if self.value else moment


def default_since(connection_name: str):
    """The watermark, else the moment the store was connected (earlier orders are the store's history)."""
    values = frappe.db.get_value(SHOPIFY_CONNECTION, connection_name, [TIMESTAMP_FIELD, "connected_on", "creation"],
                                 as_dict=True)
    return values.get(TIMESTAMP_FIELD) or values.get("connected_on") or values.get("creation")


def orders_search(since) -> str:
    """Shopify's search syntax for "updated after ``since``" (system time → UTC), less the overlap."""
    moment = (get_datetime(since) - SEARCH_OVERLAP).replace(tzinfo=ZoneInfo(get_system_timezone()))
    return f"updated_at:>'{moment.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def from_shopify_time(value: str) -> datetime:
    """A Shopify ISO timestamp as a naive datetime in the system timezone (how Frappe stores them)."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(get_system_timezone())).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------- order

def import_order(store: Store, order: dict, summary: SyncSummary) -> str:
    """Import one order, all or nothing; returns created / skipped / failed (and counts it)."""
    if skip_reason(order):
        summary.add("skipped")
        return "skipped"
    frappe.db.savepoint(SAVEPOINT)
    try:
        create_sales_order(store, order)
    except frappe.UniqueValidationError:
        # another run inserted this GID between our check and our insert: it is imported
        frappe.db.rollback(save_point=SAVEPOINT)
        frappe.clear_messages()
        summary.add("skipped")
        return "skipped"
    except Exception as error:
        frappe.db.rollback(save_point=SAVEPOINT)
        frappe.clear_messages()
        summary.fail(order.get("id"), order.get("name"), error)
        frappe.log_error(title=f"Shopify order import: {store.shop_domain} {order.get('name') or order.get('id')}",
                         reference_doctype=SHOPIFY_CONNECTION, reference_name=store.docname)
        return "failed"
    frappe.db.release_savepoint(SAVEPOINT)
    summary.add("created")
    return "created"


def skip_reason(order: dict) -> str | None:
    """Why ``order`` is not imported, or None."""
    if created_by_medgrid(order):
        return "created by MedGrid"
    if frappe.db.exists(SALES_ORDER, {"shopify_source_order_id": order["id"]}):
        return "already imported"
    if order.get("cancelledAt"):
        return "cancelled in Shopify"
    return None


def created_by_medgrid(order: dict) -> bool:
    """MedGrid's own orders carry the Sales Order name as custom attribute and as a tag."""
    if any(a.get("key") == SALES_ORDER_ATTRIBUTE for a in order.get("customAttributes") or []):
        return True
    tags = [cstr(t).strip() for t in order.get("tags") or [] if cstr(t).strip()]
    return bool(tags) and bool(frappe.db.exists(SALES_ORDER, {"name": ("in", tags)}))


def create_sales_order(store: Store, order: dict):
    """Insert and submit the Sales Order of ``order`` and its Sent dispatch; returns the Sales Order."""
    lines = order_lines(store, order)
    if not lines:
        raise OrderImportError(_("Order {0} has nothing left to ship").format(order.get("name")))
    company = frappe.db.get_value("Warehouse", store.warehouse, "company")
    currency = frappe.get_cached_value("Company", company, "default_currency")
    if order.get("currencyCode") and order["currencyCode"] != currency:
        raise OrderImportError(_("Order {0} is in {1}; {2} sells in {3}").format(
            order.get("name"), order["currencyCode"], company, currency))
    customer = store_customer(store.shop_domain)
    ordered_on = from_shopify_time(order.get("processedAt") or order.get("createdAt"))
    delivery = add_days(getdate(ordered_on), DELIVERY_DAYS)
    doc = frappe.get_doc({
        "doctype": SALES_ORDER,
        "customer": customer,
        "company": company,
        "currency": currency,
        "transaction_date": getdate(ordered_on),
        "delivery_date": delivery,
        "selling_price_list": store.price_list,
        "po_no": order.get("name"),
        "shipping_address_name": shipping_address(customer, order),
        "shopify_source_shop": store.shop_domain,
        "shopify_source_order_id": order["id"],
        "shopify_source_order_name": order.get("name"),
        "items": [{"item_code": line["item_code"], "qty": line["qty"], "rate": line["rate"],
                   "warehouse": store.warehouse, "delivery_date": delivery, "fulfillment_vendor": SHOPIFY}
                  for line in lines],
    })
    doc.flags.ignore_permissions = True
    # The store took this order itself: MedGrid's marketplace checks (approved, sellable items) and
    # routing are for orders placed in MedGrid; routing would send it back to the same store
    doc.flags.medgrid_skip_validation = True
    doc.flags.medgrid_skip_dispatch = True
    doc.insert()
    doc.submit()
    record_dispatch(store, doc, order, lines)
    return doc


def order_lines(store: Store, order: dict) -> list[dict]:
    """The order's lines still to ship as ``{item_code, qty, rate, variant}``; unknown lines raise."""
    out, unknown = [], []
    for line in all_line_items(store, order):
        qty = flt(line.get("currentQuantity") if line.get("currentQuantity") is not None else line.get("quantity"))
        if qty <= 0:
            continue  # removed from the order in Shopify
        gid = (line.get("variant") or {}).get("id")
        item_code = find_item(store, gid, cstr(line.get("sku")).strip())
        if not item_code:
            unknown.append(cstr(line.get("sku")).strip() or gid or line.get("id"))
            continue
        rate = flt(((line.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get("amount"))
        out.append({"item_code": item_code, "qty": qty, "rate": rate, "variant": gid})
    if unknown:
        raise OrderImportError(_("No MedGrid Item for: {0}").format(", ".join(unknown)))
    return out


def all_line_items(store: Store, order: dict) -> list[dict]:
    """Every line of ``order``: the first page came with it, the rest are fetched by cursor."""
    connection = order.get("lineItems") or {}
    lines = list(connection.get("nodes") or [])
    info = connection.get("pageInfo") or {}
    cursor = info.get("endCursor") if info.get("hasNextPage") else None
    while cursor:
        data = store.client.execute(MORE_LINES_QUERY, {"id": order["id"], "cursor": cursor},
                                    estimated_cost=MORE_LINES_COST)
        more = ((data.get("order") or {}).get("lineItems")) or {}
        lines.extend(more.get("nodes") or [])
        info = more.get("pageInfo") or {}
        cursor = info.get("endCursor") if info.get("hasNextPage") else None
    return lines


def find_item(store: Store, variant_gid: str | None, sku: str) -> str | None:
    """The Item of a line: by the variant GID, else by SKU unless that Item belongs to another vendor."""
    if variant_gid:
        name = frappe.db.get_value(ITEM, {"exoceuticals_variant_id": variant_gid}, "name")
        if name:
            return name
    if not sku:
        return None
    row = frappe.db.get_value(ITEM, sku, ["name", "vendor_profile"], as_dict=True)
    if not row:
        return None
    if store.vendor_profile and row.vendor_profile and row.vendor_profile != store.vendor_profile:
        raise OrderImportError(_("SKU {0} is an Item of the vendor {1}").format(sku, row.vendor_profile))
    return row.name


# ------------------------------------------------------------------------------ customer, address

def store_customer(shop_domain: str) -> str:
    """The store's Customer (customer name = shop domain), created with the selling defaults if missing."""
    name = frappe.db.get_value("Customer", {"customer_name": shop_domain}, "name")
    if name:
        return name
    doc = frappe.get_doc({
        "doctype": "Customer", "customer_name": shop_domain, "customer_type": "Company",
        "customer_group": selling_default("customer_group", "Customer Group", ROOT_CUSTOMER_GROUP),
        "territory": selling_default("territory", "Territory", ROOT_TERRITORY),
    })
    doc.insert(ignore_permissions=True)
    return doc.name


def selling_default(fieldname: str, doctype: str, root: str) -> str:
    """Selling Settings' default, else the first leaf of the tree (ERPNext refuses a group), else the root."""
    return (frappe.db.get_single_value("Selling Settings", fieldname)
            or frappe.db.get_value(doctype, {"is_group": 0}, "name", order_by="lft asc, name asc")
            or root)


def address_values(order: dict) -> dict | None:
    """The order's shipping address as Address fields (None when the order ships nowhere)."""
    source = order.get("shippingAddress") or {}
    if not source.get("address1"):
        return None
    title = cstr(source.get("name")).strip() or " ".join(
        cstr(source.get(k)).strip() for k in ("firstName", "lastName") if source.get(k)) or cstr(source.get("company"))
    return {
        "address_title": title.strip() or cstr(order.get("name")),
        "address_line1": cstr(source.get("address1")).strip(),
        "address_line2": cstr(source.get("address2")).strip(),
        "city": cstr(source.get("city")).strip(),
        "state": cstr(source.get("provinceCode")).strip(),
        "pincode": cstr(source.get("zip")).strip(),
        "country": country_name(source),
        "phone": cstr(source.get("phone")).strip(),
        "email_id": cstr(order.get("email")).strip(),
    }


def country_name(source: dict) -> str:
    """Shopify's country name; on a bench with the Country doctype, the name its ISO code maps to."""
    code = cstr(source.get("countryCodeV2")).strip()
    if code and frappe.db.exists("DocType", "Country"):
        name = frappe.db.get_value("Country", {"code": code.lower()}, "name")
        if name:
            return name
    return cstr(source.get("country")).strip() or code


def shipping_address(customer: str, order: dict) -> str | None:
    """An identical Shipping Address of ``customer``, or a new one linked to it."""
    values = address_values(order)
    if not values:
        return None
    existing = frappe.get_all("Address", filters=[["Dynamic Link", "link_doctype", "=", "Customer"],
                                                   ["Dynamic Link", "link_name", "=", customer],
                                                   ["Address", "address_type", "=", SHIPPING]],
                              fields=["name", *ADDRESS_IDENTITY])
    for row in existing:
        if all(cstr(row.get(f)).strip() == values[f] for f in ADDRESS_IDENTITY):
            return row.name
    doc = frappe.get_doc({"doctype": "Address", "address_type": SHIPPING, **values,
                          "links": [{"link_doctype": "Customer", "link_name": customer}]})
    doc.insert(ignore_permissions=True)
    return doc.name


# ------------------------------------------------------------------------------------- dispatch

def record_dispatch(store: Store, order_doc, order: dict, lines: list[dict]) -> str:
    """The store's Fulfillment Dispatch, already Sent: the store has the order, nothing is sent.

    Its ``vendor_order_id`` (the order GID) is what the Shopify webhooks, the status poll and the
    connector's cancel work from.
    """
    connector = get_connector(SHOPIFY)
    variants = {line["item_code"]: line["variant"] for line in lines}
    rx = dict(frappe.get_all(ITEM, filters={"name": ("in", list(variants))},
                             fields=["name", "requires_prescription"], as_list=True))
    dispatch = frappe.get_doc({
        "doctype": DISPATCH,
        "sales_order": order_doc.name,
        "vendor": SHOPIFY,
        "vendor_label": connector.label,
        "vendor_profile": store.vendor_profile,
        "route_key": f"{SHOPIFY}:{store.vendor_profile}",
        "connection_doctype": SHOPIFY_CONNECTION,
        "connection_name": store.docname,
        "status": "Sent",
        "sent_at": now_datetime(),
        "vendor_order_id": order["id"],
        "vendor_reference": order.get("name"),
        "lines": [{"sales_order_item": row.name, "item_code": row.item_code, "item_name": row.item_name,
                   "qty": row.qty, "rate": row.rate, "warehouse": row.warehouse,
                   "vendor_sku": variants.get(row.item_code) or row.item_code, "requires_prescription": cint(rx.get(row.item_code))}
                  for row in order_doc.items],
    })
    dispatch.insert(ignore_permissions=True)
    return dispatch.name
