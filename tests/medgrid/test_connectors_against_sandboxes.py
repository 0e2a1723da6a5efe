"""Each connector against its vendor sandbox over real loopback HTTP: the wire formats agree.

The sandboxes (``sandbox/``) implement the vendors as contracts.md fixes them; these tests send real
dispatches through the real connectors (no mocks), including the idempotent re-send of each vendor.
"""

from __future__ import annotations

import pytest

from medgrid.connectors.base import get_connector
from sandbox.centre_research import CentreResearchSandbox
from sandbox.perfectrx import PerfectRxSandbox
from sandbox.shipstation import ShipStationSandbox
from sandbox.shopify import ShopifySandbox
from sandbox.sinq import SinqSandbox
from tests.medgrid import factories

pytest_plugins = ["tests.medgrid.connector_fixtures"]  # csite


@pytest.fixture()
def start():
    started = []

    def run(cls, **config):
        sandbox = cls({"step_delay": None, "medgrid_url": None, **config}, port=0).start()
        started.append(sandbox)
        return sandbox

    yield run
    for sandbox in started:
        sandbox.stop()


def send_twice(vendor, order, **dispatch_values):
    dispatch = factories.dispatch(order, vendor, **dispatch_values)
    connector = get_connector(vendor)
    first = connector.send(dispatch, order)
    dispatch.vendor_order_id = first.vendor_order_id
    for field, value in first.order_fields.items():
        order.set(field, value)
    second = connector.send(dispatch, order)
    return first, second


def test_perfectrx(csite, start):
    sandbox = start(PerfectRxSandbox, practice_ids=["PRACTICE-42"], partner_account="AGG-1")
    factories.perfectrx_settings(base_url=sandbox.base_url, client_id="sandbox-perfectrx-client",
                                 client_secret="sandbox-perfectrx-secret", partner_account="AGG-1")
    order = factories.sales_order([("CT-PRX-TESTO", 1), ("CT-PRX-ZINC", 2)], rx={
        "CT-PRX-TESTO": {"rx_directions": "Inject weekly", "rx_refills": 1, "rx_days_supply": 28}})

    first, second = send_twice("perfectrx", order)

    assert first.vendor_order_id and first.order_fields["perfectrx_status"] == "Received"
    assert first.order_fields["perfectrx_patient_id"]
    assert second.vendor_order_id == first.vendor_order_id


def test_shipstation(csite, start):
    sandbox = start(ShipStationSandbox)
    connection = factories.shipstation_connection(is_platform=1, base_url=sandbox.base_url,
                                                  api_key="sandbox-shipstation-key",
                                                  api_secret="sandbox-shipstation-secret")
    order = factories.sales_order([("CT-SS-SYRINGE", 2), ("CT-SS-GLOVES", 1)])

    first, second = send_twice("shipstation", order, connection=("ShipStation Connection", connection.name))

    assert first.order_fields["shipstation_status"] == "Awaiting Shipment"
    assert second.vendor_order_id == first.vendor_order_id and second.already_placed
    from medgrid.connectors import shipstation
    assert shipstation.check_credentials(sandbox.base_url, "sandbox-shipstation-key", "sandbox-shipstation-secret")
    assert not shipstation.check_credentials(sandbox.base_url, "sandbox-shipstation-key", "wrong")


def test_sinq(csite, start):
    sandbox = start(SinqSandbox)
    factories.sinq_settings(sinq_api_url=sandbox.base_url, sinq_api_key="sandbox-sinq-api-key")
    order = factories.sales_order([("CT-SINQ-D3", 2)])

    first, second = send_twice("sinq", order)

    assert first.order_fields["sinq_status"] == "Synced" and not first.already_placed
    assert second.vendor_order_id == first.vendor_order_id and second.already_placed


def test_centre_research(csite, start):
    sandbox = start(CentreResearchSandbox)
    factories.centre_research_settings(centre_research_api_url=sandbox.base_url,
                                       centre_research_api_key="sandbox-centre-research-key")
    order = factories.sales_order([("CT-CR-BPC", 2)])

    first, second = send_twice("centre_research", order)

    assert first.order_fields["cr_status"] == "Pending"
    assert second.vendor_order_id == first.vendor_order_id and second.already_placed
    status = get_connector("centre_research").fetch_status(factories.dispatch(
        order, "centre_research", vendor_order_id=first.vendor_order_id), order)
    assert status.status in {"Pending", "Processing", "Label Created", "Shipped", "Delivered"}


def test_exoceuticals(csite, start):
    sandbox = start(ShopifySandbox)
    factories.exoceuticals_settings(shop_domain="exoceuticals.myshopify.com", api_base_url=sandbox.base_url,
                                    access_token="shpat_sandbox_exoceuticals_token")
    variant = _first_variant(sandbox)
    factories.items()
    import frappe
    frappe.db.set_value("Item", "CT-EXO-SERUM", "exoceuticals_variant_id", variant)
    order = factories.sales_order([("CT-EXO-SERUM", 1)])

    first, second = send_twice("exoceuticals", order)

    assert first.vendor_order_id.startswith("gid://shopify/Order/") and first.order_fields["exoceuticals_order_name"]
    assert second.vendor_order_id == first.vendor_order_id and second.already_placed


def _first_variant(sandbox) -> str:
    from medgrid.connectors.exoceuticals import get_client

    query = ("query MedGridVariants($cursor: String) { productVariants(first: 5, after: $cursor) { "
             "pageInfo { hasNextPage endCursor } nodes { id sku } } }")
    client = get_client()
    return next(iter(client.paginate(query, {}, ("productVariants",))))["id"]


def test_centre_research_duplicate_as_400(csite, start):
    sandbox = start(CentreResearchSandbox, duplicate_mode="error")
    factories.centre_research_settings(centre_research_api_url=sandbox.base_url,
                                       centre_research_api_key="sandbox-centre-research-key")
    order = factories.sales_order([("CT-CR-BPC", 1)])

    first, second = send_twice("centre_research", order)

    assert second.already_placed and second.vendor_order_id == first.vendor_order_id


def test_shipstation_reconciliation_reads_the_sandbox(csite, start):
    from frappe.utils import add_days, now_datetime

    from medgrid.connectors import shipstation

    sandbox = start(ShipStationSandbox)
    connection = factories.shipstation_connection(is_platform=1, base_url=sandbox.base_url,
                                                  api_key="sandbox-shipstation-key",
                                                  api_secret="sandbox-shipstation-secret")
    assert shipstation.list_shipments(connection, add_days(now_datetime(), -1)) == []
    assert shipstation.fetch_resource(connection, f"{sandbox.base_url}/shipments?page=1")["shipments"] == []


def test_vendor_shopify_store(csite, start):
    sandbox = start(ShopifySandbox, shops={"acme-store.myshopify.com": {
        "name": "Acme", "catalog_size": 3, "access_tokens": {"shpat_sandbox_acme": "sandbox-medgrid-shopify-key"}}},
        default_shop="acme-store.myshopify.com")
    profile = factories.vendor_profile("Acme Sandbox Store", "shopify")
    store = factories.shopify_connection("acme-store.myshopify.com", vendor_profile_name=profile.name,
                                         access_token="shpat_sandbox_acme", api_base_url=sandbox.base_url)
    from medgrid.connectors.shopify import get_client

    query = ("query MedGridVariants($cursor: String) { productVariants(first: 5, after: $cursor) { "
             "pageInfo { hasNextPage endCursor } nodes { id sku } } }")
    variant = next(iter(get_client(store).paginate(query, {}, ("productVariants",))))
    import frappe
    frappe.db.set_value("Item", "CT-SHOP-CREAM", "exoceuticals_variant_id", variant["id"])
    order = factories.sales_order([("CT-SHOP-CREAM", 1)])

    first, second = send_twice("shopify", order, connection=("Shopify Connection", store.name),
                               vendor_profile=profile.name)

    assert first.vendor_order_id.startswith("gid://shopify/Order/") and first.order_fields == {}
    assert second.already_placed and second.vendor_order_id == first.vendor_order_id
