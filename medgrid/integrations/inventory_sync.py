"""Shopify inventory levels → Bins of the store's warehouse, moved by Stock Entries.

For each Item of the store (``exoceuticals_variant_id`` holds its variant GID), the variant's
``available`` quantity summed over all of the shop's locations becomes the Item's ``actual_qty`` in the
store's warehouse. The Bin is never written directly: the difference is a Material Receipt (more in
Shopify) or a Material Issue (less), so the stock ledger and valuation stay consistent. Shopify's
``available`` (sellable now; a negative value counts as 0) is used rather than ``on_hand``, which still
includes units promised to the shop's own orders.

Items are read 25 at a time with ``nodes(ids:)`` (one query per page, its levels included); a variant
with more than 10 locations is completed with its own paginated query. Skipped: a variant Shopify
does not track, one that is not in this shop, a non-stock or disabled Item. Idempotent: an unchanged
level moves nothing, so a re-run posts no Stock Entry. The page's receipts and issues are posted as
one Stock Entry each; if that fails, each Item is posted alone so one bad Item is counted in
``failed`` and the rest still move.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint, flt

from medgrid.connectors.base import VendorError
from medgrid.constants import ITEM
from medgrid.exceptions import IntegrationNotConfiguredError
from medgrid.integrations.constants import EXOCEUTICALS
from medgrid.integrations.store_sync import Progress, Store, SyncSummary, page_failed, record_summary

ITEMS_PAGE = 25
LEVELS_PAGE = 10
MORE_LEVELS_PAGE = 50
# nodes(ids: 25) × (variant + inventoryItem + unitCost + levels connection of 10)
INVENTORY_PAGE_COST = ITEMS_PAGE * (1 + 1 + 1 + 2 + LEVELS_PAGE * 2)
MORE_LEVELS_COST = 1 + 2 + MORE_LEVELS_PAGE * 2
VARIANT_GID_LIKE = "gid://shopify/ProductVariant/%"
RECEIPT = "Material Receipt"
ISSUE = "Material Issue"
SAVEPOINT = "medgrid_inventory_entry"
TIMESTAMP_FIELD = "last_inventory_sync"

LEVELS_FIELDS = 'pageInfo { hasNextPage endCursor } nodes { quantities(names: ["available"]) { name quantity } }'

INVENTORY_QUERY = f"""
query MedGridInventory($ids: [ID!]!) {{
  nodes(ids: $ids) {{
    ... on ProductVariant {{
      id
      inventoryItem {{ id tracked unitCost {{ amount }} inventoryLevels(first: {LEVELS_PAGE}) {{ {LEVELS_FIELDS} }} }}
    }}
  }}
}}
""".strip()

MORE_LEVELS_QUERY = f"""
query MedGridInventoryLevels($id: ID!, $cursor: String) {{
  inventoryItem(id: $id) {{ inventoryLevels(first: {MORE_LEVELS_PAGE}, after: $cursor) {{ {LEVELS_FIELDS} }} }}
}}
""".strip()


def store_items(store: Store) -> list:
    """The Items whose stock comes from this store (newest mapping rules: see module doc)."""
    rows = frappe.get_all(ITEM, filters={"exoceuticals_variant_id": ("like", VARIANT_GID_LIKE)},
                          fields=["name", "exoceuticals_variant_id", "fulfillment_vendor", "vendor_profile",
                                  "is_stock_item", "disabled"], order_by="name asc")
    if store.key == EXOCEUTICALS:
        # mapped by the GID alone (demo data, older items) unless routed to another vendor
        return [r for r in rows if r.fulfillment_vendor in (None, "", EXOCEUTICALS)]
    return [r for r in rows if r.fulfillment_vendor == store.key and r.vendor_profile == store.vendor_profile]


def sync_inventory(store: Store) -> dict:
    """Bring the store warehouse's Bins to Shopify's available quantities; returns the summary."""
    if not store.warehouse:
        frappe.throw(_("No warehouse is set for {0}'s stock").format(store.shop_domain), IntegrationNotConfiguredError)
    company = frappe.db.get_value("Warehouse", store.warehouse, "company")
    summary = SyncSummary("inventory")
    items = store_items(store)
    progress = Progress("items", len(items), store.shop_domain)
    try:
        for start in range(0, len(items), ITEMS_PAGE):
            batch = items[start:start + ITEMS_PAGE]
            levels = read_levels(store, [row.exoceuticals_variant_id for row in batch])
            moves = plan_moves(store, batch, levels, summary)
            post_moves(store, company, moves, summary)
            progress.report(start + len(batch))
    except VendorError as error:
        page_failed(store, summary, error)
    record_summary(store, summary, TIMESTAMP_FIELD)
    return summary.as_dict()


# --------------------------------------------------------------------------------------- reading

def read_levels(store: Store, gids: list[str]) -> dict:
    """variant GID → ``{"tracked", "available", "unit_cost"}`` for the variants this shop has."""
    data = store.client.execute(INVENTORY_QUERY, {"ids": gids}, estimated_cost=INVENTORY_PAGE_COST)
    out = {}
    for node in data.get("nodes") or []:
        if not node or not node.get("id") or not node.get("inventoryItem"):
            continue
        item = node["inventoryItem"]
        out[node["id"]] = {"tracked": bool(item.get("tracked")),
                           "available": _available(store, item),
                           "unit_cost": flt(((item.get("unitCost") or {}).get("amount")))}
    return out


def _sum_available(levels: dict) -> int:
    return sum(cint(q.get("quantity")) for level in levels.get("nodes") or []
               for q in level.get("quantities") or [] if q.get("name") == "available")


def _available(store: Store, inventory_item: dict) -> int:
    levels = inventory_item.get("inventoryLevels") or {}
    total = _sum_available(levels)
    info = levels.get("pageInfo") or {}
    cursor = info.get("endCursor") if info.get("hasNextPage") else None
    while cursor:
        data = store.client.execute(MORE_LEVELS_QUERY, {"id": inventory_item["id"], "cursor": cursor},
                                    estimated_cost=MORE_LEVELS_COST)
        more = ((data.get("inventoryItem") or {}).get("inventoryLevels")) or {}
        total += _sum_available(more)
        info = more.get("pageInfo") or {}
        cursor = info.get("endCursor") if info.get("hasNextPage") else None
    return total


# -------------------------------------------------------------------------------------- planning

def plan_moves(store: Store, batch: list, levels: dict, summary: SyncSummary) -> list[dict]:
    """The quantity each Item must move (positive: receipt); unchanged and skipped Items are counted."""
    moves = []
    for row in batch:
        level = levels.get(row.exoceuticals_variant_id)
        if not level or not level["tracked"] or not row.is_stock_item or row.disabled:
            summary.add("skipped")
            continue
        actual = frappe.db.get_value("Bin", {"item_code": row.name, "warehouse": store.warehouse}, "actual_qty")
        difference = max(0, level["available"]) - flt(actual)
        if not difference:
            summary.add("unchanged")
            continue
        moves.append({"item_code": row.name, "qty": difference, "rate": level["unit_cost"],
                      "first": actual is None})
    return moves


# --------------------------------------------------------------------------------------- posting

def _entry(store: Store, company: str, purpose: str, moves: list[dict]):
    rows = []
    for move in moves:
        row = {"item_code": move["item_code"], "qty": abs(move["qty"])}
        if purpose == RECEIPT:
            row.update(t_warehouse=store.warehouse, basic_rate=move["rate"],
                       allow_zero_valuation_rate=0 if move["rate"] else 1)
        else:
            row.update(s_warehouse=store.warehouse)
        rows.append(row)
    doc = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": purpose, "purpose": purpose,
                          "company": company, "remarks": f"Shopify inventory sync of {store.shop_domain}",
                          "items": rows})
    doc.insert(ignore_permissions=True)
    doc.submit()
    return doc


def _post(store: Store, company: str, purpose: str, moves: list[dict]) -> None:
    frappe.db.savepoint(SAVEPOINT)
    try:
        _entry(store, company, purpose, moves)
    except Exception:
        frappe.db.rollback(save_point=SAVEPOINT)
        raise
    frappe.db.release_savepoint(SAVEPOINT)


def post_moves(store: Store, company: str, moves: list[dict], summary: SyncSummary) -> None:
    """One Receipt and one Issue for the page; on failure, Item by Item so only the bad one fails."""
    for purpose, group in ((RECEIPT, [m for m in moves if m["qty"] > 0]), (ISSUE, [m for m in moves if m["qty"] < 0])):
        if not group:
            continue
        try:
            _post(store, company, purpose, group)
            done = group
        except Exception:
            done = []
            for move in group:
                try:
                    _post(store, company, purpose, [move])
                    done.append(move)
                except Exception as error:
                    summary.fail(move["item_code"], None, error)
                    frappe.log_error(title=f"Shopify inventory sync: {move['item_code']}",
                                     reference_doctype=store.doctype, reference_name=store.docname)
        for move in done:
            summary.add("created" if move["first"] else "updated")
