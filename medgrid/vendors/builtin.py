"""The six vendors MedGrid ships with (the guide's field names and status vocabularies).

Each descriptor is registered by one line of ``medgrid_vendors`` in ``medgrid/hooks.py``; the hook's order is
the order vendors are listed in (custom field sections, Select options, admin filters, sandboxes).
"""

from __future__ import annotations

from medgrid.vendors import ManagedIntegration, OrderFields, Poll, Statuses, VendorDescriptor

# Vendor-specific Sales Order fields (beyond the meanings OrderFields names) that connector and webhook share
PERFECTRX_PATIENT_ID = "perfectrx_patient_id"
PERFECTRX_NEEDS_ATTENTION = "perfectrx_needs_attention"
SINQ_REFERENCE = "sinq_reference"
EXOCEUTICALS_ORDER_NAME = "exoceuticals_order_name"

PERFECTRX = VendorDescriptor(
    key="perfectrx",
    label="PerfectRx",
    connector="medgrid.connectors.perfectrx.PerfectRxConnector",
    settings_doctype="PerfectRx Settings",
    settings_is_single=True,
    order_fields=OrderFields(status="perfectrx_status", tracking_number="perfectrx_tracking_number",
                             carrier="perfectrx_carrier", tracking_url="perfectrx_tracking_url",
                             sync_date="perfectrx_sync_date", vendor_order_id="perfectrx_reference_id"),
    statuses=Statuses(stages=("Received", "Shipped", "Delivered"), others=("Cancelled",), shipped="Shipped"),
    order_section=("perfectrx", "PerfectRx", (
        ("perfectrx_reference_id", "Data", "PerfectRx Reference ID"),
        ("perfectrx_status", "Select", "PerfectRx Status"),
        ("perfectrx_tracking_number", "Data", "PerfectRx Tracking Number"),
        ("perfectrx_carrier", "Data", "PerfectRx Carrier"),
        ("perfectrx_tracking_url", "Small Text", "PerfectRx Tracking URL"),
        ("perfectrx_sync_date", "Datetime", "PerfectRx Sync Date"),
        (PERFECTRX_PATIENT_ID, "Data", "PerfectRx Patient ID"),
        (PERFECTRX_NEEDS_ATTENTION, "Check", "PerfectRx Needs Manual Follow-up"),
    )),
    item_mapping_field="perfectrx_drug_description",
    item_fields=({"fieldname": "perfectrx_drug_description", "fieldtype": "Small Text",
                  "label": "PerfectRx Drug Description"},),
    webhook_apply="medgrid.webhooks.perfectrx.apply",
    managed=ManagedIntegration(
        label="PerfectRx",
        summary="Prescription (Rx) and OTC orders go to PerfectRx; shipping updates come back by webhook.",
        credentials=(
            ("client_id", "OAuth2 Client ID issued by PerfectRx"),
            ("client_secret", "OAuth2 Client Secret (also used for webhook verification)"),
            ("default_practice_id", "The PracticeId created in PerfectRx for MedGrid's practice account"),
            ("partner_account", "Optional: sub-account identifier if you are an aggregator"),
            ("base_url", "https://apis.perfectrx.com (production) or https://test.apis.perfectrx.com (sandbox)"),
        ),
        webhook_path="/api/method/medgrid.perfectrx.webhook"),
    sandbox="sandbox.perfectrx.PerfectRxSandbox",
)

SHIPSTATION = VendorDescriptor(
    key="shipstation",
    label="ShipStation",
    connector="medgrid.connectors.shipstation.ShipStationConnector",
    settings_doctype="ShipStation Connection",
    order_fields=OrderFields(status="shipstation_status", tracking_number="shipstation_tracking_number",
                             carrier="shipstation_carrier", tracking_url="shipstation_tracking_url",
                             sync_date="shipstation_sync_date", vendor_order_id="shipstation_order_id"),
    statuses=Statuses(stages=("Submitted", "Awaiting Shipment", "Shipped", "Delivered"),
                      others=("Cancelled", "Failed"), shipped="Shipped", initial="Submitted"),
    order_section=("shipstation", "ShipStation", (
        ("shipstation_order_id", "Data", "ShipStation Order ID"),
        ("shipstation_status", "Select", "ShipStation Status"),
        ("shipstation_tracking_number", "Data", "ShipStation Tracking Number"),
        ("shipstation_carrier", "Data", "ShipStation Carrier"),
        ("shipstation_tracking_url", "Small Text", "ShipStation Tracking URL"),
        ("shipstation_label_url", "Small Text", "ShipStation Label URL"),
        ("shipstation_sync_date", "Datetime", "ShipStation Sync Date"),
    )),
    item_mapping_field="shipstation_product_id",
    item_fields=({"fieldname": "shipstation_product_id", "fieldtype": "Data", "label": "ShipStation Product ID (SKU)"},),
    webhook_apply="medgrid.webhooks.shipstation.apply",
    poll=Poll(every_minutes=15, accounts="medgrid.webhooks.reconcile.poll_shipstation"),
    sandbox="sandbox.shipstation.ShipStationSandbox",
)

SINQ = VendorDescriptor(
    key="sinq",
    label="SINQ Ops",
    connector="medgrid.connectors.sinq.SinqConnector",
    settings_doctype="SINQ Settings",
    settings_is_single=True,
    order_fields=OrderFields(status="sinq_status", tracking_number="sinq_tracking_number", carrier="sinq_carrier",
                             tracking_url="sinq_tracking_url", sync_date="sinq_sync_date",
                             vendor_order_id="sinq_transaction_id"),
    statuses=Statuses(stages=("Synced", "Pending", "Shipped", "Completed"), others=("Cancelled", "Failed"),
                      shipped="Shipped"),
    order_section=("sinq", "SINQ Ops", (
        (SINQ_REFERENCE, "Data", "SINQ Reference"),
        ("sinq_transaction_id", "Data", "SINQ Transaction ID"),
        ("sinq_status", "Select", "SINQ Status"),
        ("sinq_tracking_number", "Data", "SINQ Tracking Number"),
        ("sinq_tracking_url", "Small Text", "SINQ Tracking URL"),
        ("sinq_carrier", "Data", "SINQ Carrier"),
        ("sinq_sync_date", "Datetime", "SINQ Sync Date"),
    )),
    item_mapping_field="sinq_sku",
    item_fields=({"fieldname": "sinq_sku", "fieldtype": "Data", "label": "SINQ Service SKU"},),
    webhook_apply="medgrid.webhooks.sinq.apply",
    managed=ManagedIntegration(
        label="SINQ Ops",
        summary="OTC and HRT orders go to SINQ; shipment status comes back by webhook.",
        credentials=(
            ("sinq_api_url", "SINQ Ops API base URL"),
            ("sinq_api_key", "API key sent with every outbound order (as a key header)"),
            ("sinq_webhook_key", "Key that SINQ includes in inbound webhook notifications"),
            ("sinq_webhook_secret", "Secret for verifying webhook signatures (optional but recommended)"),
        ),
        webhook_path="/api/method/medgrid.sinq.webhook"),
    sandbox="sandbox.sinq.SinqSandbox",
)

CENTRE_RESEARCH = VendorDescriptor(
    key="centre_research",
    label="Centre Research Peptides",
    connector="medgrid.connectors.centre_research.CentreResearchConnector",
    settings_doctype="Centre Research Settings",
    settings_is_single=True,
    order_fields=OrderFields(status="cr_status", tracking_number="cr_tracking_number", carrier="cr_carrier",
                             tracking_url="cr_tracking_url", sync_date="cr_sync_date", vendor_order_id="cr_order_id"),
    statuses=Statuses(stages=("Pending", "Processing", "Label Created", "Shipped", "Delivered"),
                      others=("Cancelled", "Refunded", "On Hold"), shipped="Shipped"),
    order_section=("cr", "Centre Research", (
        ("cr_order_id", "Data", "Centre Research Order ID"),
        ("cr_status", "Select", "Centre Research Status"),
        ("cr_tracking_number", "Data", "Centre Research Tracking Number"),
        ("cr_carrier", "Data", "Centre Research Carrier"),
        ("cr_tracking_url", "Small Text", "Centre Research Tracking URL"),
        ("cr_shipping_tier", "Data", "Centre Research Shipping Tier"),
        ("cr_sync_date", "Datetime", "Centre Research Sync Date"),
    )),
    item_mapping_field="centre_research_product_id",
    item_fields=({"fieldname": "centre_research_product_id", "fieldtype": "Data",
                  "label": "Centre Research Variant ID"},),
    # no status webhook: every open order is read back every five minutes
    poll=Poll(every_minutes=5, per_order=True),
    managed=ManagedIntegration(
        label="Centre Research",
        summary="Peptide orders go to Centre Research; MedGrid polls each order's status.",
        credentials=(
            ("centre_research_api_url", "API base URL (default: https://pepapi.stmin.dev/api)"),
            ("centre_research_api_key", "API key sent as X-API-Key header on all requests"),
        )),
    sandbox="sandbox.centre_research.CentreResearchSandbox",
)

EXOCEUTICALS = VendorDescriptor(
    key="exoceuticals",
    label="Exoceuticals",
    connector="medgrid.connectors.exoceuticals.ExoceuticalsConnector",
    settings_doctype="Exoceuticals Settings",
    settings_is_single=True,
    order_fields=OrderFields(status="exoceuticals_status", tracking_number="exoceuticals_tracking_number",
                             carrier="exoceuticals_carrier", tracking_url="exoceuticals_tracking_url",
                             sync_date="exoceuticals_sync_date", vendor_order_id="exoceuticals_order_id"),
    statuses=Statuses(stages=("Pending", "Open", "Fulfilled"), others=("Cancelled", "Failed"), shipped="Fulfilled",
                      initial="Pending"),
    order_section=("exoceuticals", "Exoceuticals (Shopify)", (
        ("exoceuticals_order_id", "Data", "Exoceuticals Order ID"),
        (EXOCEUTICALS_ORDER_NAME, "Data", "Exoceuticals Order Name"),
        ("exoceuticals_status", "Select", "Exoceuticals Status"),
        ("exoceuticals_tracking_number", "Data", "Exoceuticals Tracking Number"),
        ("exoceuticals_carrier", "Data", "Exoceuticals Carrier"),
        ("exoceuticals_tracking_url", "Small Text", "Exoceuticals Tracking URL"),
        ("exoceuticals_sync_date", "Datetime", "Exoceuticals Sync Date"),
    )),
    item_mapping_field="exoceuticals_variant_id",
    item_fields=({"fieldname": "exoceuticals_variant_id", "fieldtype": "Data", "label": "Exoceuticals Variant GID",
                  "search_index": 1},),
    webhook_apply="medgrid.webhooks.shopify.apply",
    poll=Poll(every_minutes=15, accounts="medgrid.webhooks.reconcile.poll_exoceuticals_store"),
    managed=ManagedIntegration(
        label="Exoceuticals (Shopify)",
        last_sync_fields=("last_catalog_sync", "last_inventory_sync", "last_order_sync"),
        summary_field="last_sync_summary"),
    sandbox="sandbox.shopify.ShopifySandbox",
    sandbox_key="shopify",
)

SHOPIFY = VendorDescriptor(
    key="shopify",
    label="Shopify",
    connector="medgrid.connectors.shopify.ShopifyConnector",
    settings_doctype="Shopify Connection",
    # a vendor store's status lives on its dispatch only (the order's exoceuticals_* fields are Exoceuticals')
    statuses=Statuses(stages=("Pending", "Open", "Fulfilled"), others=("Cancelled", "Failed"), shipped="Fulfilled"),
    item_mapping_field="exoceuticals_variant_id",
    item_fields=({"fieldname": "shopify_product_id", "fieldtype": "Data", "label": "Shopify Product GID",
                  "read_only": 1},),
    webhook_apply="medgrid.webhooks.shopify.apply",
    poll=Poll(every_minutes=15, accounts="medgrid.webhooks.reconcile.poll_shopify_stores"),
    sandbox="sandbox.shopify.ShopifySandbox",
)
