"""Shopify → MedGrid catalog and inventory syncs against a fake Admin GraphQL (``responses``)."""

from __future__ import annotations

import json
import re
import uuid

import pytest

import frappe

from medgrid.integrations import catalog_sync, exoceuticals, inventory_sync
from medgrid.integrations.store_sync import exoceuticals_store, vendor_store
from tests.medgrid import factories
from tests.medgrid.integration_helpers import make_vendor, unique

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite

SHOP = "exo-sync.myshopify.com"
GRAPHQL = f"https://{SHOP}/admin/api/2026-04/graphql.json"
WAREHOUSE = factories.EXO_WAREHOUSE
OPERATION = re.compile(r"\b(?:query|mutation)\s+(\w+)")


def cost(available=900.0, requested=50, rate=50.0, actual=None):
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual if actual is not None else requested,
                     "throttleStatus": {"maximumAvailable": 1000.0, "currentlyAvailable": available,
                                        "restoreRate": rate}}}


class FakeShop:
    """Answers each GraphQL operation from its own queue (the last answer repeats); records calls."""

    def __init__(self, mocked, url=GRAPHQL):
        self.answers: dict[str, list] = {}
        self.seen: list[tuple[str, dict]] = []
        mocked.add_callback(mocked.POST, url, callback=self)

    def on(self, operation, *answers):
        self.answers.setdefault(operation, []).extend(answers)
        return self

    def __call__(self, request):
        body = json.loads(request.body)
        operation = OPERATION.search(body["query"]).group(1)
        self.seen.append((operation, body.get("variables") or {}))
        queue = self.answers.get(operation) or [{"errors": [{"message": f"unexpected {operation}"}]}]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, tuple):
            return answer
        return 200, {}, json.dumps(answer)

    def operations(self):
        return [op for op, _ in self.seen]


def variant(number: int, sku: str | None, price="10.00", title="Default Title"):
    return {"id": f"gid://shopify/ProductVariant/{number}", "sku": sku, "title": title, "price": price}


def product(number: int, title: str, variants: list, status="ACTIVE", more_variants=None):
    return {"id": f"gid://shopify/Product/{number}", "title": title, "status": status,
            "descriptionHtml": f"<p>{title}</p>",
            "variants": {"pageInfo": {"hasNextPage": bool(more_variants), "endCursor": more_variants},
                         "nodes": variants}}


def page(products: list, next_cursor: str | None = None, **cost_kwargs):
    return {"data": {"products": {"pageInfo": {"hasNextPage": bool(next_cursor), "endCursor": next_cursor},
                                  "nodes": products}}, "extensions": cost(**cost_kwargs)}


def count(n: int):
    return {"data": {"productsCount": {"count": n}}, "extensions": cost(requested=1)}


def catalog(prefix: str, base: int = 100):
    """Three products over two pages: a two-variant serum, a single-variant cream, a draft balm.

    Variant ids are ``base + 1`` … ``base + 4``: a test whose items are committed (over HTTP) passes
    its own ``base`` so later tests do not find its items by GID.
    """
    first = page([product(base + 11, "Exo Serum", [variant(base + 1, f"{prefix}-SERUM-30", "49.00", "30ml"),
                                                   variant(base + 2, f"{prefix}-SERUM-60", "89.00", "60ml")]),
                  product(base + 12, "Exo Cream", [variant(base + 3, f"{prefix}-CREAM", "25.50")])],
                 next_cursor="c1")
    second = page([product(base + 13, "Exo Balm", [variant(base + 4, f"{prefix}-BALM", "12.00")], status="DRAFT")])
    return first, second


@pytest.fixture()
def exo(csite):
    factories.exoceuticals_settings(shop_domain=SHOP, api_base_url=None, item_group="Products",
                                    price_list=factories.PRICE_LIST, warehouse=WAREHOUSE, vendor_profile=None,
                                    token_expires_at=None)
    return unique("T").upper()


def items_of(prefix: str) -> dict:
    rows = frappe.get_all("Item", filters={"item_code": ("like", f"{prefix}-%")},
                          fields=["item_code", "item_name", "item_group", "exoceuticals_variant_id",
                                  "shopify_product_id", "fulfillment_vendor", "disabled", "is_stock_item",
                                  "medgrid_approved", "vendor_profile", "modified"])
    return {r.item_code: r for r in rows}


def price(item_code: str) -> list:
    return frappe.get_all("Item Price", filters={"item_code": item_code, "price_list": factories.PRICE_LIST},
                          pluck="price_list_rate")


# ---------------------------------------------------------------------------------------- catalog

def test_catalog_sync_pages_through_products_into_items_and_prices(exo, mocked, capsys):
    # given
    first, second = catalog(exo)
    shop = FakeShop(mocked).on("MedGridProductsCount", count(3)).on("MedGridCatalog", first, second)

    # when
    summary = exoceuticals.sync_catalog()

    # then
    assert summary == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0, "errors": [],
                       "complete": True}
    assert [v.get("cursor") for op, v in shop.seen if op == "MedGridCatalog"] == [None, "c1"]
    items = items_of(exo)
    serum = items[f"{exo}-SERUM-30"]
    assert (serum.item_name, serum.item_group, serum.exoceuticals_variant_id, serum.shopify_product_id,
            serum.fulfillment_vendor, serum.disabled, serum.is_stock_item, serum.medgrid_approved) == \
        ("Exo Serum - 30ml", "Products", "gid://shopify/ProductVariant/101", "gid://shopify/Product/111",
         "exoceuticals", 0, 1, 1)
    assert items[f"{exo}-CREAM"].item_name == "Exo Cream"
    assert items[f"{exo}-BALM"].disabled == 1  # a draft product is not sold
    assert price(f"{exo}-SERUM-60") == [89.0] and price(f"{exo}-CREAM") == [25.5]
    out = capsys.readouterr().out
    assert f"{SHOP}: synced 2/3 products" in out and f"{SHOP}: synced 3/3 products" in out
    stored = json.loads(frappe.db.get_single_value("Exoceuticals Settings", "last_sync_summary"))
    assert stored["kind"] == "catalog" and stored["created"] == 4
    assert frappe.db.get_single_value("Exoceuticals Settings", "last_catalog_sync")


def test_a_second_run_changes_nothing_and_a_changed_price_is_one_update(exo, mocked):
    first, second = catalog(exo)
    FakeShop(mocked).on("MedGridProductsCount", count(3)).on("MedGridCatalog", first, second, first, second)
    exoceuticals.sync_catalog()
    before = items_of(exo)

    again = exoceuticals.sync_catalog()

    assert (again["created"], again["updated"], again["unchanged"], again["failed"]) == (0, 0, 4, 0)
    assert {k: v.modified for k, v in items_of(exo).items()} == {k: v.modified for k, v in before.items()}
    assert price(f"{exo}-SERUM-30") == [49.0]

    mocked.reset()
    changed = page([product(111, "Exo Serum", [variant(101, f"{exo}-SERUM-30", "55.00", "30ml"),
                                              variant(102, f"{exo}-SERUM-60", "89.00", "60ml")])])
    FakeShop(mocked).on("MedGridProductsCount", count(1)).on("MedGridCatalog", changed)
    third = exoceuticals.sync_catalog()
    assert (third["updated"], third["unchanged"]) == (1, 1)
    assert price(f"{exo}-SERUM-30") == [55.0]


def test_a_failing_product_is_counted_logged_and_the_run_finishes(exo, mocked):
    # given: the second product has a variant without SKU, the third clashes with an item of another variant
    frappe.get_doc({"doctype": "Item", "item_code": f"{exo}-TAKEN", "item_name": "Someone else's",
                    "item_group": "Products", "stock_uom": "Nos",
                    "exoceuticals_variant_id": "gid://shopify/ProductVariant/999"}).insert()
    answer = page([
        product(21, "Good One", [variant(201, f"{exo}-GOOD")]),
        product(22, "Half SKU", [variant(202, f"{exo}-HALF-A"), variant(203, None, title="B")]),
        product(23, "Clash", [variant(204, f"{exo}-TAKEN")]),
        product(24, "Last One", [variant(205, f"{exo}-LAST")]),
    ])
    FakeShop(mocked).on("MedGridProductsCount", count(4)).on("MedGridCatalog", answer)
    errors_before = frappe.db.count("Error Log")

    # when
    summary = exoceuticals.sync_catalog()

    # then
    assert (summary["created"], summary["failed"], summary["complete"]) == (2, 2, True)
    assert [e["id"] for e in summary["errors"]] == ["gid://shopify/Product/22", "gid://shopify/Product/23"]
    assert "has no SKU" in summary["errors"][0]["error"] and "another Shopify variant" in summary["errors"][1]["error"]
    assert set(items_of(exo)) == {f"{exo}-GOOD", f"{exo}-TAKEN", f"{exo}-LAST"}  # HALF-A rolled back with B
    assert frappe.db.get_value("Item", f"{exo}-TAKEN", "exoceuticals_variant_id") == "gid://shopify/ProductVariant/999"
    assert frappe.db.count("Error Log") == errors_before + 2


def test_a_product_with_many_variants_is_completed_by_cursor(exo, mocked):
    more = {"data": {"product": {"variants": {"pageInfo": {"hasNextPage": False, "endCursor": "v2"},
                                              "nodes": [variant(302, f"{exo}-MANY-2", title="Two")]}}},
            "extensions": cost()}
    shop = FakeShop(mocked).on("MedGridProductsCount", count(1)).on("MedGridCatalog", page([
        product(31, "Many", [variant(301, f"{exo}-MANY-1", title="One")], more_variants="v1")]))
    shop.on("MedGridProductVariants", more)

    summary = exoceuticals.sync_catalog()

    assert summary["created"] == 2
    assert ("MedGridProductVariants", {"id": "gid://shopify/Product/31", "cursor": "v1"}) in shop.seen


def test_a_throttled_page_is_waited_out_and_the_bucket_is_respected(exo, mocked, clock):
    # given: the count query leaves 10 points; Shopify then says THROTTLED once
    first, second = catalog(exo)
    throttled = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": cost(available=100, requested=catalog_sync.CATALOG_PAGE_COST, actual=0)}
    shop = FakeShop(mocked).on("MedGridProductsCount", {"data": {"productsCount": {"count": 3}},
                                                        "extensions": cost(available=10, requested=1)})
    shop.on("MedGridCatalog", throttled, first, second)

    # when
    summary = exoceuticals.sync_catalog()

    # then: before the first page the client waited for the bucket to hold a page's cost,
    # after THROTTLED it waited (requested − available) / restore rate, and the run completed
    assert summary["created"] == 4 and summary["complete"] is True
    page_cost = catalog_sync.CATALOG_PAGE_COST
    assert clock.sleeps[0] == pytest.approx((page_cost - 10) / 50.0, rel=0.01)
    assert pytest.approx((page_cost - 100) / 50.0, rel=0.01) in clock.sleeps
    assert shop.operations().count("MedGridCatalog") == 3


def test_an_unreadable_page_ends_the_run_incomplete_keeping_what_was_synced(exo, mocked):
    first, _second = catalog(exo)
    FakeShop(mocked).on("MedGridProductsCount", count(3)).on("MedGridCatalog", first,
                                                             (401, {}, json.dumps({"errors": "Invalid token"})))

    summary = exoceuticals.sync_catalog()

    assert summary["complete"] is False and summary["created"] == 3
    assert summary["errors"][-1]["id"] == SHOP and "401" in summary["errors"][-1]["error"]
    assert len(items_of(exo)) == 3


def test_the_syncs_are_admin_only(exo, mocked):
    user, _profile = make_vendor("exoceuticals")
    frappe.set_user(user)
    with pytest.raises(frappe.PermissionError):
        exoceuticals.sync_catalog()
    with pytest.raises(frappe.PermissionError):
        exoceuticals.sync_inventory()
    assert len(mocked.calls) == 0


def test_a_vendor_store_catalog_lands_on_the_vendor_unapproved(csite, mocked):
    _user, profile = make_vendor("shopify")
    shop = f"{unique('vs-')}.myshopify.com"
    factories.shopify_connection(shop, vendor_profile_name=profile, warehouse=factories.MAIN_WAREHOUSE)
    prefix = unique("V").upper()
    FakeShop(mocked, f"https://{shop}/admin/api/2026-04/graphql.json").on("MedGridProductsCount", count(1)).on(
        "MedGridCatalog", page([product(41, "Vendor Cream", [variant(401, f"{prefix}-CREAM", "30.00")])]))

    summary = catalog_sync.sync_catalog(vendor_store(shop))

    assert summary["created"] == 1
    item = items_of(prefix)[f"{prefix}-CREAM"]
    assert (item.fulfillment_vendor, item.vendor_profile, item.medgrid_approved) == ("shopify", profile, 0)
    assert json.loads(frappe.db.get_value("Shopify Connection", shop, "last_sync_summary"))["created"] == 1
    assert frappe.db.get_value("Shopify Connection", shop, "last_sync")


# -------------------------------------------------------------------------------------- inventory

def levels(*entries):
    """``nodes`` answer: (variant number, [available per location], tracked)."""
    nodes = []
    for number, quantities, tracked in entries:
        nodes.append({"id": f"gid://shopify/ProductVariant/{number}", "inventoryItem": {
            "id": f"gid://shopify/InventoryItem/{number}", "tracked": tracked, "unitCost": {"amount": "4.0"},
            "inventoryLevels": {"pageInfo": {"hasNextPage": False, "endCursor": None},
                                "nodes": [{"quantities": [{"name": "available", "quantity": q}]} for q in quantities]}}})
    return {"data": {"nodes": nodes}, "extensions": cost()}


def bin_qty(item_code: str) -> float:
    return frappe.db.get_value("Bin", {"item_code": item_code, "warehouse": WAREHOUSE}, "actual_qty") or 0.0


def stock_entries(prefix: str) -> list:
    names = frappe.get_all("Stock Entry Detail", filters={"item_code": ("like", f"{prefix}-%")}, pluck="parent")
    return frappe.get_all("Stock Entry", filters={"name": ("in", names or [""]), "docstatus": 1},
                          fields=["name", "purpose"])


@pytest.fixture()
def synced_catalog(exo, mocked):
    first, second = catalog(exo)
    FakeShop(mocked).on("MedGridProductsCount", count(3)).on("MedGridCatalog", first, second)
    exoceuticals.sync_catalog()
    mocked.reset()
    # the draft balm is disabled: enable it so every item takes stock
    frappe.db.set_value("Item", f"{exo}-BALM", "disabled", 0)
    return exo


def test_inventory_sync_moves_stock_by_entries_and_a_rerun_moves_nothing(synced_catalog, mocked, capsys):
    # given
    prefix = synced_catalog
    shop = FakeShop(mocked).on("MedGridInventory",
                               levels((101, [7, 3], True), (102, [0], True), (103, [-2], True), (104, [5], False)))

    # when
    first = exoceuticals.sync_inventory()

    # then: 10 of the serum (two locations), nothing for 0 / negative; skipped: the untracked balm and
    # the site's other GID-mapped items, which this shop does not have (nodes answers nothing for them)
    others = len(inventory_sync.store_items(exoceuticals_store())) - 4
    assert (first["created"], first["unchanged"], first["skipped"], first["failed"]) == (1, 2, 1 + others, 0)
    assert bin_qty(f"{prefix}-SERUM-30") == 10
    assert [e.purpose for e in stock_entries(prefix)] == ["Material Receipt"]
    assert f"{SHOP}: synced {4 + others}/{4 + others} items" in capsys.readouterr().out
    assert frappe.db.get_single_value("Exoceuticals Settings", "last_inventory_sync")

    again = exoceuticals.sync_inventory()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert len(stock_entries(prefix)) == 1

    mocked.reset()
    FakeShop(mocked).on("MedGridInventory", levels((101, [4], True), (102, [2], True), (103, [0], True),
                                                   (104, [5], False)))
    third = exoceuticals.sync_inventory()
    assert (third["created"], third["updated"]) == (1, 1)
    assert (bin_qty(f"{prefix}-SERUM-30"), bin_qty(f"{prefix}-SERUM-60")) == (4, 2)
    assert sorted(e.purpose for e in stock_entries(prefix)) == ["Material Issue", "Material Receipt",
                                                                 "Material Receipt"]
    asked = {gid for op, variables in shop.seen if op == "MedGridInventory" for gid in variables["ids"]}
    assert asked >= {f"gid://shopify/ProductVariant/{n}" for n in (101, 102, 103, 104)}
    assert all(len(variables["ids"]) <= inventory_sync.ITEMS_PAGE for _op, variables in shop.seen)


def test_levels_beyond_the_first_page_are_read_by_cursor(synced_catalog, mocked):
    prefix = synced_catalog
    answer = levels((101, [1], True))
    answer["data"]["nodes"][0]["inventoryItem"]["inventoryLevels"]["pageInfo"] = {"hasNextPage": True,
                                                                                  "endCursor": "l1"}
    more = {"data": {"inventoryItem": {"inventoryLevels": {"pageInfo": {"hasNextPage": False, "endCursor": "l2"},
                                                           "nodes": [{"quantities": [{"name": "available",
                                                                                      "quantity": 6}]}]}}},
            "extensions": cost()}
    shop = FakeShop(mocked).on("MedGridInventory", answer).on("MedGridInventoryLevels", more)

    exoceuticals.sync_inventory()

    assert bin_qty(f"{prefix}-SERUM-30") == 7
    assert ("MedGridInventoryLevels", {"id": "gid://shopify/InventoryItem/101", "cursor": "l1"}) in shop.seen


def test_one_item_failing_to_move_does_not_stop_the_others(synced_catalog, mocked, monkeypatch):
    prefix = synced_catalog
    FakeShop(mocked).on("MedGridInventory", levels((101, [3], True), (102, [4], True), (103, [5], True)))
    real_entry = inventory_sync._entry

    def entry(store, company, purpose, moves):
        if any(m["item_code"] == f"{prefix}-SERUM-60" for m in moves):
            frappe.throw("warehouse is frozen for this item")
        return real_entry(store, company, purpose, moves)

    monkeypatch.setattr(inventory_sync, "_entry", entry)

    summary = exoceuticals.sync_inventory()

    assert (summary["created"], summary["failed"]) == (2, 1)
    assert summary["errors"][0]["id"] == f"{prefix}-SERUM-60"
    assert (bin_qty(f"{prefix}-SERUM-30"), bin_qty(f"{prefix}-SERUM-60"), bin_qty(f"{prefix}-CREAM")) == (3, 0, 5)


def test_inventory_needs_a_warehouse(exo, mocked):
    from medgrid.exceptions import IntegrationNotConfiguredError

    factories.exoceuticals_settings(warehouse=None)
    with pytest.raises(IntegrationNotConfiguredError):
        inventory_sync.sync_inventory(exoceuticals_store())


# ------------------------------------------------------------------------------- paths and jobs

def test_the_guides_sync_paths_answer_over_http_for_admins_only(exo, mocked):
    from tests.medgrid.integration_helpers import api_token, http, make_user

    admin = make_user(roles=("MedGrid Marketplace Admin",))
    vendor_user, _profile = make_vendor("exoceuticals")
    first, second = catalog(exo, base=int(uuid.uuid4().int % 10**9) * 10)  # committed: ids of its own
    FakeShop(mocked).on("MedGridProductsCount", count(3)).on("MedGridCatalog", first, second)
    path = "/api/method/medgrid.exoceuticals.sync_catalog"

    reply = http("POST", path, headers=api_token(admin))

    assert reply.status == 200, reply.body
    assert (reply.message["created"], reply.message["complete"]) == (4, True)
    assert http("POST", path, headers=api_token(vendor_user)).status == 403
    assert http("GET", path, headers=api_token(admin)).status == 403  # it writes: POST only
    assert http("POST", "/api/method/medgrid.exoceuticals.sync_inventory",
                headers=api_token(vendor_user)).status == 403


def test_the_daily_job_queues_one_deduplicated_sync_per_store(exo, monkeypatch):
    from medgrid.integrations import sync_jobs

    shop = f"{unique('daily-')}.myshopify.com"
    factories.shopify_connection(shop, vendor_profile_name=make_vendor("shopify")[1])
    queued = []
    monkeypatch.setattr(frappe, "enqueue", lambda method, **kwargs: queued.append((method, kwargs)))

    sync_jobs.daily()

    stores = {(kwargs["key"], kwargs["shop_domain"]) for _method, kwargs in queued}
    assert {("exoceuticals", SHOP), ("shopify", shop)} <= stores
    for method, kwargs in queued:
        assert method == sync_jobs.JOB and kwargs["queue"] == "long" and kwargs["deduplicate"] is True
        assert kwargs["job_id"] == sync_jobs.job_id(kwargs["key"], kwargs["shop_domain"])


def test_a_store_job_runs_the_catalog_then_the_inventory(exo, mocked):
    from medgrid.integrations import sync_jobs

    first, second = catalog(exo)
    FakeShop(mocked).on("MedGridProductsCount", count(3)).on("MedGridCatalog", first, second).on(
        "MedGridInventory", levels((101, [2], True), (102, [0], True), (103, [0], True), (104, [0], True)))

    result = sync_jobs.sync_store("exoceuticals", SHOP)

    assert result["catalog"]["created"] == 4 and result["inventory"]["created"] == 1
    assert bin_qty(f"{exo}-SERUM-30") == 2


def test_expired_install_states_are_purged(site):
    from frappe.utils import add_to_date, now_datetime

    from medgrid.integrations.shopify_oauth import purge_expired_states

    for days, state in ((-2, unique("old-")), (0, unique("new-"))):
        frappe.get_doc({"doctype": "Shopify OAuth State", "state": state, "purpose": "vendor",
                        "expires_at": add_to_date(now_datetime(), days=days)}).insert(ignore_permissions=True)
    purge_expired_states()
    left = frappe.get_all("Shopify OAuth State", filters={"state": ("like", "%-%")}, pluck="state")
    assert any(s.startswith("new-") for s in left) and not any(s.startswith("old-") for s in left)
