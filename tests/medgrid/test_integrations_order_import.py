"""Orders of a vendor's Shopify store → MedGrid Sales Orders, and MedGrid's status back to the store.

Shopify is a fake Admin GraphQL (``responses``) answering per operation; jobs are captured by
replacing ``frappe.enqueue`` and run by hand, so each test sees exactly what would be queued.
"""

from __future__ import annotations

import json

import pytest

import frappe
from frappe.utils import add_days, getdate

from medgrid.fulfillment_router import dispatch as dispatch_module
from medgrid.integrations import order_import, order_status, sync_jobs
from medgrid.integrations.order_import import import_store_orders
from tests.medgrid import factories
from tests.medgrid.integration_helpers import make_vendor, unique
from tests.medgrid.test_integrations_sync import FakeShop, cost

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # clock, mocked, csite


class Store:
    """A connected vendor store with two Items of its catalog (unapproved, as the catalog sync leaves them)."""

    def __init__(self):
        self.user, self.profile = make_vendor("shopify")
        self.shop = f"{unique('imp-')}.myshopify.com"
        factories.shopify_connection(self.shop, vendor_profile_name=self.profile, warehouse=factories.MAIN_WAREHOUSE)
        self.url = f"https://{self.shop}/admin/api/2026-04/graphql.json"
        self.prefix = unique("IMP").upper()
        self.number = int(unique()[:7], 16)  # variant and order numbers no other test uses
        self.cream, self.balm = f"{self.prefix}-CREAM", f"{self.prefix}-BALM"
        self.cream_variant = self.gid("ProductVariant", 1)
        for code, variant in ((self.cream, self.cream_variant), (self.balm, None)):
            frappe.get_doc({"doctype": "Item", "item_code": code, "item_name": code, "item_group": "Products",
                            "stock_uom": "Nos", "is_stock_item": 0, "is_sales_item": 1, "medgrid_approved": 0,
                            "fulfillment_vendor": "shopify", "vendor_profile": self.profile,
                            "exoceuticals_variant_id": variant}).insert(ignore_permissions=True)

    def gid(self, kind: str, n: int) -> str:
        return f"gid://shopify/{kind}/{self.number * 100 + n}"

    def order(self, n: int, lines, *, updated="2026-05-04T10:00:00Z", tags=(), attributes=(), cancelled=None,
              address=None):
        """An ``orders`` node; ``lines`` = [(variant gid or None, sku, qty, price)]."""
        return {
            "id": self.gid("Order", n), "name": f"#{1000 + n}", "email": "buyer@example.com",
            "createdAt": "2026-05-04T09:00:00Z", "processedAt": "2026-05-04T09:00:00Z", "updatedAt": updated,
            "cancelledAt": cancelled, "currencyCode": "USD", "tags": list(tags),
            "customAttributes": [{"key": k, "value": v} for k, v in attributes],
            "shippingAddress": address or {
                "firstName": "Ann", "lastName": "Buyer", "name": "Ann Buyer", "company": None,
                "address1": "1 Elm St", "address2": "Apt 2", "city": "Austin", "provinceCode": "TX",
                "country": "United States", "countryCodeV2": "US", "zip": "78701", "phone": "5125550123"},
            "lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [
                {"id": self.gid("LineItem", n * 10 + i), "sku": sku, "quantity": qty, "currentQuantity": qty,
                 "variant": {"id": variant} if variant else None,
                 "originalUnitPriceSet": {"shopMoney": {"amount": price}}}
                for i, (variant, sku, qty, price) in enumerate(lines)]},
        }

    def fake(self, mocked, *pages_of_orders):
        """The fake shop answering ``MedGridStoreOrders`` with one answer per page (cursor chained)."""
        answers = []
        for i, nodes in enumerate(pages_of_orders):
            more = i < len(pages_of_orders) - 1
            answers.append({"data": {"orders": {"pageInfo": {"hasNextPage": more, "endCursor": f"c{i + 1}" if more
                                                             else None}, "nodes": nodes}},
                            "extensions": cost()})
        return FakeShop(mocked, self.url).on("MedGridStoreOrders", *answers)


@pytest.fixture()
def store(csite):
    return Store()


@pytest.fixture()
def queued(monkeypatch):
    """Every ``frappe.enqueue`` call as (method, kwargs), run by nobody."""
    calls = []
    monkeypatch.setattr(frappe, "enqueue", lambda method, **kwargs: calls.append((method, kwargs)))
    return calls


def imported(store, order_gid):
    name = frappe.db.get_value("Sales Order", {"shopify_source_order_id": order_gid}, "name")
    return frappe.get_doc("Sales Order", name) if name else None


def test_an_order_becomes_a_submitted_sales_order_with_a_sent_dispatch_and_nothing_is_sent(
        store, mocked, queued, capsys):
    # given: one order, a line by variant GID and a line by SKU
    order = store.order(1, [(store.cream_variant, "ANY-SKU", 2, "30.00"), (store.gid("ProductVariant", 9), store.balm,
                                                                            1, "15.50")])
    shop = store.fake(mocked, [order])

    # when
    summary = import_store_orders(store.shop)

    # then: created, and Shopify was only read
    assert summary == {"created": 1, "skipped": 0, "failed": 0, "errors": [], "complete": True}
    assert shop.operations() == ["MedGridStoreOrders"]
    assert "updated_at:>'2" in shop.seen[0][1]["query"]
    so = imported(store, order["id"])
    assert so.docstatus == 1 and so.customer == store.shop and so.po_no == "#1001"
    assert (so.shopify_source_shop, so.shopify_source_order_name) == (store.shop, "#1001")
    assert [(r.item_code, r.qty, r.rate, r.warehouse, r.fulfillment_vendor) for r in so.items] == [
        (store.cream, 2, 30.0, factories.MAIN_WAREHOUSE, "shopify"),
        (store.balm, 1, 15.5, factories.MAIN_WAREHOUSE, "shopify")]
    assert so.grand_total == 75.5
    assert getdate(so.delivery_date) == add_days(getdate(so.transaction_date), 7)

    # the store's customer (selling defaults) and the order's shipping address, linked to it
    customer = frappe.get_doc("Customer", so.customer)
    assert customer.customer_name == store.shop and customer.customer_group and customer.territory
    address = frappe.get_doc("Address", so.shipping_address_name)
    assert (address.address_type, address.address_title, address.address_line1, address.city, address.state,
            address.pincode, address.country) == ("Shipping", "Ann Buyer", "1 Elm St", "Austin", "TX", "78701",
                                                  "United States")
    assert address.has_link("Customer", store.shop)

    # one dispatch, already Sent, carrying the order GID; no send was queued
    rows = frappe.get_all("Fulfillment Dispatch", filters={"sales_order": so.name},
                          fields=["name", "status", "vendor", "vendor_profile", "route_key", "connection_doctype",
                                  "connection_name", "vendor_order_id", "vendor_reference"])
    assert len(rows) == 1
    row = rows[0]
    assert (row.status, row.vendor, row.vendor_profile, row.route_key) == (
        "Sent", "shopify", store.profile, f"shopify:{store.profile}")
    assert (row.connection_doctype, row.connection_name, row.vendor_order_id, row.vendor_reference) == (
        "Shopify Connection", store.shop, order["id"], "#1001")
    lines = frappe.get_doc("Fulfillment Dispatch", row.name).lines
    assert [(line.item_code, line.vendor_sku) for line in lines] == [
        (store.cream, store.cream_variant), (store.balm, store.gid("ProductVariant", 9))]
    assert not [m for m, _ in queued if m == dispatch_module.SEND_JOB]

    # the connection: summary, time, watermark; a progress line
    connection = frappe.get_doc("Shopify Connection", store.shop)
    assert json.loads(connection.last_sync_summary)["kind"] == "orders" and connection.last_sync
    assert connection.last_order_import == order_import.from_shopify_time(order["updatedAt"])
    assert f"{store.shop}: synced 1 orders" in capsys.readouterr().out


def test_a_rerun_imports_nothing_new_and_an_identical_address_is_reused(store, mocked, queued):
    first = store.order(1, [(store.cream_variant, None, 1, "30.00")])
    store.fake(mocked, [first])
    assert import_store_orders(store.shop)["created"] == 1
    mocked.reset()

    # when: the same order again (updated in Shopify) and a new one to the same address, over two pages
    second = store.order(2, [(store.cream_variant, None, 3, "30.00")], updated="2026-05-04T11:00:00Z")
    shop = store.fake(mocked, [first], [second])
    summary = import_store_orders(store.shop)

    # then
    assert (summary["created"], summary["skipped"], summary["failed"]) == (1, 1, 0)
    assert shop.seen[1][1]["cursor"] == "c1"
    assert frappe.db.count("Sales Order", {"shopify_source_order_id": first["id"]}) == 1
    assert imported(store, second["id"]).shipping_address_name == imported(store, first["id"]).shipping_address_name
    assert frappe.db.count("Customer", {"customer_name": store.shop}) == 1


def test_orders_medgrid_created_or_cancelled_are_skipped(store, mocked, queued):
    ours = factories.sales_order([("CT-SHOP-CREAM", 1)])
    by_attribute = store.order(1, [(store.cream_variant, None, 1, "30.00")],
                               attributes=[("medgrid_sales_order", "SO-2026-99999")])
    by_tag = store.order(2, [(store.cream_variant, None, 1, "30.00")], tags=["wholesale", ours.name])
    cancelled = store.order(3, [(store.cream_variant, None, 1, "30.00")], cancelled="2026-05-04T09:30:00Z")
    store.fake(mocked, [by_attribute, by_tag, cancelled])

    summary = import_store_orders(store.shop)

    assert (summary["created"], summary["skipped"], summary["failed"]) == (0, 3, 0)
    assert not frappe.db.exists("Sales Order", {"shopify_source_shop": store.shop})


def test_an_unknown_sku_fails_that_order_only_and_holds_the_watermark(store, mocked, queued):
    good = store.order(1, [(store.cream_variant, None, 1, "30.00")], updated="2026-05-04T10:00:00Z")
    bad = store.order(2, [(store.gid("ProductVariant", 8), "NO-SUCH-SKU", 1, "9.00")], updated="2026-05-04T10:05:00Z")
    later = store.order(3, [(None, store.balm, 2, "15.00")], updated="2026-05-04T10:10:00Z")
    store.fake(mocked, [good, bad, later])

    summary = import_store_orders(store.shop)

    assert (summary["created"], summary["skipped"], summary["failed"]) == (2, 0, 1)
    assert summary["errors"][0]["id"] == bad["id"] and "NO-SUCH-SKU" in summary["errors"][0]["error"]
    assert imported(store, later["id"]) and not imported(store, bad["id"])
    assert frappe.get_all("Error Log", filters={"reference_name": store.shop}, pluck="name")
    # the next run starts just before the failed order, so it is tried again
    mark = frappe.db.get_value("Shopify Connection", store.shop, "last_order_import")
    assert str(mark) < str(order_import.from_shopify_time(bad["updatedAt"]))


def test_a_sku_of_another_vendors_item_is_not_taken(store, mocked, queued):
    _user, someone_else = make_vendor("shopify")
    theirs = f"{store.prefix}-THEIRS"
    frappe.get_doc({"doctype": "Item", "item_code": theirs, "item_name": theirs, "item_group": "Products",
                    "stock_uom": "Nos", "is_stock_item": 0, "fulfillment_vendor": "shopify",
                    "vendor_profile": someone_else}).insert(ignore_permissions=True)
    store.fake(mocked, [store.order(1, [(None, theirs, 1, "15.00")])])

    summary = import_store_orders(store.shop)

    assert summary["failed"] == 1 and someone_else in summary["errors"][0]["error"]


def test_a_concurrent_import_of_the_same_order_counts_as_imported(store, mocked, queued, monkeypatch):
    order = store.order(1, [(store.cream_variant, None, 1, "30.00")])
    store.fake(mocked, [order])
    assert import_store_orders(store.shop)["created"] == 1

    # when: the already-imported check misses it (another run inserted it meanwhile)
    monkeypatch.setattr(order_import, "skip_reason", lambda _order: None)
    summary = import_store_orders(store.shop)

    # then: the unique GID column refuses the second Sales Order
    assert (summary["created"], summary["skipped"], summary["failed"]) == (0, 1, 0)
    assert frappe.db.count("Sales Order", {"shopify_source_order_id": order["id"]}) == 1


def test_cancelling_an_imported_order_cancels_and_tags_it_at_the_store(store, mocked, queued):
    order = store.order(1, [(store.cream_variant, None, 1, "30.00")])
    store.fake(mocked, [order])
    import_store_orders(store.shop)
    so = imported(store, order["id"])
    mocked.reset()
    shop = FakeShop(mocked, store.url) \
        .on("MedGridOrderCancel", {"data": {"orderCancel": {"job": {"id": "gid://shopify/Job/1", "done": False},
                                                            "orderCancelUserErrors": []}}, "extensions": cost()}) \
        .on("MedGridTagsAdd", {"data": {"tagsAdd": {"node": {"id": order["id"]}, "userErrors": []}},
                               "extensions": cost()})

    # when
    so.cancel()

    # then: the store cancel and the status tag are queued; run them as the worker would
    jobs = {method: kwargs for method, kwargs in queued}
    assert set(jobs) >= {"medgrid.fulfillment_router.dispatch.cancel_at_vendor", order_status.JOB}
    dispatch_module.cancel_at_vendor(jobs["medgrid.fulfillment_router.dispatch.cancel_at_vendor"]["dispatch"])
    assert order_status.add_status_tag(jobs[order_status.JOB]["dispatch"], jobs[order_status.JOB]["tag"]) is True
    assert shop.operations() == ["MedGridOrderCancel", "MedGridTagsAdd"]
    assert shop.seen[0][1]["orderId"] == order["id"]
    assert shop.seen[1][1] == {"id": order["id"], "tags": ["medgrid:cancelled"]}
    assert frappe.db.get_value("Fulfillment Dispatch", {"sales_order": so.name}, "status") == "Cancelled"


def test_closing_a_routed_vendor_store_order_tags_it(store, mocked, queued):
    so = factories.sales_order([("CT-SHOP-CREAM", 1)])
    dispatch = factories.dispatch(so, "shopify", connection=("Shopify Connection", store.shop),
                                  vendor_profile=store.profile, status="Sent", vendor_order_id=store.gid("Order", 7))
    shop = FakeShop(mocked, store.url).on("MedGridTagsAdd", {"data": {"tagsAdd": {
        "node": {"id": store.gid("Order", 7)}, "userErrors": []}}, "extensions": cost()})

    frappe.get_doc("Sales Order", so.name).update_status("Closed")

    tags = [kwargs for method, kwargs in queued if method == order_status.JOB]
    assert tags == [{"queue": "short", "job_id": f"medgrid-shopify-tag::{dispatch.name}::medgrid:closed",
                     "deduplicate": True, "enqueue_after_commit": True, "dispatch": dispatch.name,
                     "tag": "medgrid:closed"}]
    assert order_status.add_status_tag(dispatch.name, "medgrid:closed") is True
    assert shop.seen == [("MedGridTagsAdd", {"id": store.gid("Order", 7), "tags": ["medgrid:closed"]})]


def test_a_refused_tag_is_noted_on_the_dispatch(store, mocked, queued):
    so = factories.sales_order([("CT-SHOP-CREAM", 1)])
    dispatch = factories.dispatch(so, "shopify", connection=("Shopify Connection", store.shop),
                                  vendor_profile=store.profile, status="Sent", vendor_order_id=store.gid("Order", 8))
    FakeShop(mocked, store.url).on("MedGridTagsAdd", {"data": {"tagsAdd": {
        "node": None, "userErrors": [{"field": ["id"], "message": "Resource does not exist"}]}}, "extensions": cost()})

    assert order_status.add_status_tag(dispatch.name, "medgrid:closed") is False
    assert "Resource does not exist" in frappe.db.get_value("Fulfillment Dispatch", dispatch.name, "last_error")


def test_the_store_job_imports_orders_after_catalog_and_inventory(store, monkeypatch):
    calls = []
    monkeypatch.setattr(sync_jobs.catalog_sync, "sync_catalog", lambda s: calls.append("catalog") or {})
    monkeypatch.setattr(sync_jobs.inventory_sync, "sync_inventory", lambda s: calls.append("inventory") or {})
    monkeypatch.setattr(sync_jobs.order_import, "import_store_orders",
                        lambda shop: calls.append(("orders", shop)) or {"created": 0})

    result = sync_jobs.sync_store("shopify", store.shop)

    assert calls == ["catalog", "inventory", ("orders", store.shop)] and result["orders"] == {"created": 0}


def test_import_orders_on_demand_for_the_stores_vendor_or_an_admin(store, queued):
    from medgrid.integrations.vendor_shopify import import_orders

    other_user, _other = make_vendor("shopify")
    try:
        frappe.set_user(store.user)
        assert import_orders(shop_domain=store.shop) == {"ok": True, "integration": "shopify",
                                                         "shop_domain": store.shop, "queued": False}
        assert queued[-1][0] == order_import.JOB and queued[-1][1]["connection_name"] == store.shop
        assert queued[-1][1]["job_id"] == f"medgrid-shopify-orders::{store.shop}"
        frappe.set_user(other_user)
        with pytest.raises(frappe.DoesNotExistError):
            import_orders(shop_domain=store.shop)
        frappe.set_user("Administrator")
        assert import_orders(shop_domain=store.shop, vendor_profile=store.profile)["ok"] is True
    finally:
        frappe.set_user("Administrator")


# ------------------------------------------------------------------------------------- sandbox

STOREFRONT_ORDER = """
mutation Storefront($order: OrderCreateOrderInput!) {
  orderCreate(order: $order) { order { id name } userErrors { field message } }
}
"""


def test_import_and_status_tag_against_the_shopify_sandbox(csite, queued):
    """The real wire format: catalog, a storefront order and a MedGrid order in the sandbox; import twice."""
    import requests

    from medgrid.integrations import catalog_sync
    from medgrid.integrations.store_sync import vendor_store
    from sandbox.shopify import ShopifySandbox

    shop = f"{unique('o')}.myshopify.com"
    token = f"shpat_{unique()}"
    # Two small shops before this one: the sandbox numbers a shop's ids by its position, and position 1
    # is the one other sandbox tests' shops get (their Items may be committed on the session site)
    fillers = {f"{unique('filler')}.myshopify.com": {"catalog_size": 1} for _ in range(2)}
    sandbox = ShopifySandbox({"step_delay": None, "medgrid_url": None, "shops": {
        **fillers, shop: {"catalog_size": 3, "access_tokens": {token: "sandbox-medgrid-shopify-key"}}}}, port=0).start()
    try:
        _user, profile = make_vendor("shopify")
        factories.shopify_connection(shop, vendor_profile_name=profile, access_token=token,
                                     api_base_url=f"{sandbox.base_url}/shops/{shop}",
                                     warehouse=factories.MAIN_WAREHOUSE, connected_on=frappe.utils.now_datetime())
        assert catalog_sync.sync_catalog(vendor_store(shop))["failed"] == 0
        items = frappe.get_all("Item", filters={"vendor_profile": profile},
                               fields=["item_code", "exoceuticals_variant_id"], order_by="item_code asc")
        session = requests.Session()
        session.trust_env = False

        def create(order):
            reply = session.post(f"{sandbox.base_url}/shops/{shop}/admin/api/2026-04/graphql.json",
                                 headers={"X-Shopify-Access-Token": token},
                                 json={"query": STOREFRONT_ORDER, "variables": {"order": order}})
            created = reply.json()["data"]["orderCreate"]
            assert not created["userErrors"], created
            return created["order"]

        address = {"firstName": "Ann", "lastName": "Buyer", "address1": "1 Elm St", "city": "Austin",
                   "provinceCode": "TX", "zip": "78701", "countryCode": "US"}
        storefront = create({"email": "ann@example.com", "shippingAddress": address, "lineItems": [
            {"variantId": items[0].exoceuticals_variant_id, "quantity": 2},
            {"variantId": items[1].exoceuticals_variant_id, "quantity": 1}]})
        create({"tags": ["SO-2026-00001"], "customAttributes": [{"key": "medgrid_sales_order", "value": "SO-2026-00001"}],
                "shippingAddress": address, "lineItems": [{"variantId": items[0].exoceuticals_variant_id, "quantity": 1}]})

        # when
        first = import_store_orders(shop)
        again = import_store_orders(shop)

        # then: the storefront order only, once; MedGrid created nothing in the shop
        assert (first["created"], first["skipped"], first["failed"]) == (1, 1, 0), first
        assert (again["created"], again["failed"]) == (0, 0)
        so = frappe.get_doc("Sales Order", {"shopify_source_order_id": storefront["id"]})
        assert so.docstatus == 1 and so.shopify_source_order_name == storefront["name"]
        assert sorted((r.item_code, r.qty) for r in so.items) == [(items[0].item_code, 2), (items[1].item_code, 1)]
        assert frappe.db.get_value("Fulfillment Dispatch", {"sales_order": so.name},
                                   ["status", "vendor_order_id"]) == ("Sent", storefront["id"])
        state = session.get(f"{sandbox.base_url}/__sandbox/state").json()
        assert len(state["shops"][shop]["orders"]) == 2

        # when: the order is closed in MedGrid and the queued tag job runs
        so.update_status("Closed")
        job = next(kwargs for method, kwargs in queued if method == order_status.JOB)
        assert order_status.add_status_tag(job["dispatch"], job["tag"]) is True

        # then
        orders = session.get(f"{sandbox.base_url}/__sandbox/state").json()["shops"][shop]["orders"]
        assert "medgrid:closed" in next(o for o in orders if o["id"] == storefront["id"])["tags"]
    finally:
        sandbox.stop()
