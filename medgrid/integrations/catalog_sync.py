"""Shopify products and variants → MedGrid Items and Item Prices.

Each ProductVariant is one Item:

* ``item_code`` = the variant's SKU (a variant without a SKU cannot be ordered by MedGrid: the product
  fails with that message);
* the Item is found by ``exoceuticals_variant_id`` (the variant GID — it survives a SKU change), else by
  ``item_code`` = SKU, which is then linked to the variant unless it is already another variant's or
  another vendor's item (a conflict is reported, never overwritten);
* ``item_name`` (product title, plus the variant title when the product has options), description,
  ``shopify_product_id``, ``item_group``, ``vendor_profile`` and ``fulfillment_vendor`` follow the store;
  a product that is not ACTIVE in Shopify leaves its Items disabled;
* the variant's price is the ``price_list_rate`` of the Item Price on the store's price list.

Idempotent: an Item or price is written only when a value differs, so a re-run reports everything
``unchanged`` and writes nothing. A product is all or nothing (one savepoint): a failure rolls it
back, goes to the Error Log, is counted in ``failed`` and the run goes on with the next product.
Pages of 25 products × 10 variants keep each query well inside Shopify's cost limit; a product with
more variants is completed with its own paginated query.
"""

from __future__ import annotations

import frappe
from frappe.utils import cint, cstr, flt

from medgrid.catalog_admin import approval
from medgrid.connectors.base import VendorError
from medgrid.constants import ITEM
from medgrid.integrations.store_sync import Progress, Store, SyncSummary, page_failed, pages, record_summary

PRODUCTS_PAGE = 25
VARIANTS_PAGE = 10
MORE_VARIANTS_PAGE = 100
# requested cost of one page (Shopify: a connection costs 2 + one per node, objects 1, scalars 0)
CATALOG_PAGE_COST = 2 + PRODUCTS_PAGE * (1 + 2 + VARIANTS_PAGE)
MORE_VARIANTS_COST = 1 + 2 + MORE_VARIANTS_PAGE
DEFAULT_UOM = "Nos"
ACTIVE = "ACTIVE"
DEFAULT_VARIANT_TITLE = "Default Title"
ITEM_NAME_LENGTH = 140
SAVEPOINT = "medgrid_catalog_product"
TIMESTAMP_FIELD = "last_catalog_sync"

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

VARIANT_FIELDS = "id sku title price"

CATALOG_QUERY = f"""
query MedGridCatalog($cursor: String) {{
  products(first: {PRODUCTS_PAGE}, after: $cursor, sortKey: ID) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id title status descriptionHtml
      variants(first: {VARIANTS_PAGE}) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {VARIANT_FIELDS} }} }}
    }}
  }}
}}
""".strip()

MORE_VARIANTS_QUERY = f"""
query MedGridProductVariants($id: ID!, $cursor: String) {{
  product(id: $id) {{
    variants(first: {MORE_VARIANTS_PAGE}, after: $cursor) {{
      pageInfo {{ hasNextPage endCursor }} nodes {{ {VARIANT_FIELDS} }}
    }}
  }}
}}
""".strip()

PRODUCTS_COUNT_QUERY = "query MedGridProductsCount { productsCount { count } }"


class CatalogError(Exception):
    """A product MedGrid cannot take as it is (no SKU, SKU taken); the message is shown in the summary."""


def sync_catalog(store: Store) -> dict:
    """Mirror the store's products into Items; returns (and stores) the run's summary."""
    summary = SyncSummary("catalog")
    progress = Progress("products", products_count(store), store.shop_domain)
    done = 0
    try:
        for page in pages(store.client, CATALOG_QUERY, None, ("products",), estimated_cost=CATALOG_PAGE_COST):
            for product in page.get("nodes") or []:
                sync_product(store, product, summary)
                done += 1
            progress.report(done)
    except VendorError as error:
        page_failed(store, summary, error)
    record_summary(store, summary, TIMESTAMP_FIELD)
    return summary.as_dict()


def products_count(store: Store) -> int | None:
    """How many products the shop has (for progress lines); None when Shopify does not say."""
    try:
        data = store.client.execute(PRODUCTS_COUNT_QUERY)
    except VendorError:
        return None
    count = (data.get("productsCount") or {}).get("count")
    return cint(count) if count is not None else None


def sync_product(store: Store, product: dict, summary: SyncSummary) -> None:
    """Write one product's variants as Items, all or nothing; a failure is logged and counted."""
    outcomes = []
    frappe.db.savepoint(SAVEPOINT)
    try:
        for variant in product_variants(store, product):
            outcomes.append(sync_variant(store, product, variant))
    except Exception as error:
        frappe.db.rollback(save_point=SAVEPOINT)
        summary.fail(product.get("id"), product.get("title"), error)
        frappe.log_error(title=f"Shopify catalog sync: {product.get('title') or product.get('id')}",
                         reference_doctype=store.doctype, reference_name=store.docname)
        return
    frappe.db.release_savepoint(SAVEPOINT)
    for outcome in outcomes:
        summary.add(outcome)


def product_variants(store: Store, product: dict) -> list[dict]:
    """All variants of ``product``: the first page came with it, the rest are fetched."""
    connection = product.get("variants") or {}
    variants = list(connection.get("nodes") or [])
    page_info = connection.get("pageInfo") or {}
    if page_info.get("hasNextPage") and page_info.get("endCursor"):
        cursor = page_info["endCursor"]
        while cursor:
            data = store.client.execute(MORE_VARIANTS_QUERY, {"id": product["id"], "cursor": cursor},
                                        estimated_cost=MORE_VARIANTS_COST)
            more = ((data.get("product") or {}).get("variants")) or {}
            variants.extend(more.get("nodes") or [])
            info = more.get("pageInfo") or {}
            cursor = info.get("endCursor") if info.get("hasNextPage") else None
    return variants


# ------------------------------------------------------------------------------------------- items

def item_name(product: dict, variant: dict) -> str:
    """The product title, with the variant title when the product has options."""
    title = cstr(product.get("title")).strip() or cstr(variant.get("sku"))
    option = cstr(variant.get("title")).strip()
    name = title if not option or option == DEFAULT_VARIANT_TITLE else f"{title} - {option}"
    return name[:ITEM_NAME_LENGTH]


def item_values(store: Store, product: dict, variant: dict) -> dict:
    """The Item fields the store decides (compared with the Item to tell a change)."""
    values = {
        "item_name": item_name(product, variant),
        "description": product.get("descriptionHtml") or item_name(product, variant),
        "item_group": store.item_group,
        "exoceuticals_variant_id": variant["id"],
        "shopify_product_id": product.get("id"),
        "fulfillment_vendor": store.key,
        "is_sales_item": 1,
        "disabled": 0 if product.get("status") == ACTIVE else 1,
    }
    if store.vendor_profile:
        values["vendor_profile"] = store.vendor_profile
    return values


def find_item(store: Store, variant_gid: str, sku: str) -> str | None:
    """The Item of this variant: by variant GID, else by SKU when that Item is free to take."""
    name = frappe.db.get_value(ITEM, {"exoceuticals_variant_id": variant_gid}, "name")
    if name:
        return name
    row = frappe.db.get_value(ITEM, {"item_code": sku}, ["name", "exoceuticals_variant_id", "vendor_profile"],
                              as_dict=True)
    if not row:
        return None
    if row.exoceuticals_variant_id and row.exoceuticals_variant_id != variant_gid:
        raise CatalogError(f"SKU {sku} is Item {row.name}, which is linked to another Shopify variant "
                           f"({row.exoceuticals_variant_id})")
    if store.vendor_profile and row.vendor_profile and row.vendor_profile != store.vendor_profile:
        raise CatalogError(f"SKU {sku} is already an Item of the vendor {row.vendor_profile}")
    return row.name


def _differs(current, wanted) -> bool:
    if isinstance(wanted, int):
        return cint(current) != wanted
    return cstr(current).strip() != cstr(wanted).strip()


def sync_variant(store: Store, product: dict, variant: dict) -> str:
    """Create or update the variant's Item and price; returns created / updated / unchanged."""
    sku = cstr(variant.get("sku")).strip()
    if not sku:
        raise CatalogError(f"Variant {variant.get('id')} of {product.get('title')!r} has no SKU")
    values = item_values(store, product, variant)
    name = find_item(store, variant["id"], sku)
    if not name:
        doc = frappe.get_doc({"doctype": ITEM, "item_code": sku, "stock_uom": DEFAULT_UOM, "is_stock_item": 1,
                              "medgrid_approved": 1 if store.approve_new_items else 0, **values})
        approval.synced_item_created(doc, trusted=store.approve_new_items)  # untrusted: into the approval queue
        doc.insert(ignore_permissions=True)
        set_price(store, doc.name, variant.get("price"))
        return CREATED

    doc = frappe.get_doc(ITEM, name)
    changes = {field: value for field, value in values.items() if _differs(doc.get(field), value)}
    if changes:
        approval.synced_item_changed(doc, changes, trusted=store.approve_new_items)  # what changed, for review
        doc.update(changes)
        doc.save(ignore_permissions=True)
    price_changed = set_price(store, name, variant.get("price"))
    return UPDATED if changes or price_changed else UNCHANGED


def set_price(store: Store, item_code: str, amount) -> bool:
    """Make the Item Price on the store's price list equal Shopify's price; True when it changed."""
    if not store.price_list or amount in (None, ""):
        return False
    rate = flt(amount)
    existing = frappe.db.get_value("Item Price", {"item_code": item_code, "price_list": store.price_list},
                                   ["name", "price_list_rate"], as_dict=True, order_by="creation asc")
    if existing and flt(existing.price_list_rate) == rate:
        return False
    if existing:
        doc = frappe.get_doc("Item Price", existing.name)
        doc.price_list_rate = rate
        doc.save(ignore_permissions=True)
    else:
        frappe.get_doc({"doctype": "Item Price", "item_code": item_code, "price_list": store.price_list,
                        "price_list_rate": rate}).insert(ignore_permissions=True)
    return True
