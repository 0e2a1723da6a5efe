"""Fields MedGrid adds to ERPNext doctypes (created by the app on install and migrate)."""

from __future__ import annotations

VENDOR_KEYS = ("perfectrx", "shipstation", "sinq", "centre_research", "exoceuticals", "shopify")

# The guide's status vocabularies, one per vendor field
PERFECTRX_STATUSES = ("Received", "Shipped", "Delivered", "Cancelled")
SHIPSTATION_STATUSES = ("Submitted", "Awaiting Shipment", "Shipped", "Delivered", "Cancelled", "Failed")
SINQ_STATUSES = ("Synced", "Pending", "Shipped", "Completed", "Cancelled", "Failed")
CR_STATUSES = ("Pending", "Processing", "Label Created", "Shipped", "Delivered", "Cancelled", "Refunded", "On Hold")
EXOCEUTICALS_STATUSES = ("Pending", "Open", "Fulfilled", "Cancelled", "Failed")


def _options(values) -> str:
    return "\n" + "\n".join(values)


def _vendor_section(prefix: str, label: str, fields: list[tuple], after: str) -> list[dict]:
    """A collapsible section of read-only fields that change after submit (set by MedGrid only)."""
    out = [{"fieldname": f"{prefix}_section", "fieldtype": "Section Break", "label": label, "collapsible": 1,
            "insert_after": after}]
    previous = f"{prefix}_section"
    for fieldname, fieldtype, field_label, *options in fields:
        df = {"fieldname": fieldname, "fieldtype": fieldtype, "label": field_label, "insert_after": previous,
              "read_only": 1, "allow_on_submit": 1, "no_copy": 1}
        if options:
            df["options"] = options[0]
        if fieldname.endswith(("_reference_id", "_order_id", "_transaction_id", "_reference")):
            df["search_index"] = 1
        out.append(df)
        previous = fieldname
    return out


def sales_order_fields() -> list[dict]:
    fields = [
        {"fieldname": "medgrid_patient_section", "fieldtype": "Section Break", "label": "Patient and Prescriber",
         "collapsible": 1, "insert_after": "items",
         "description": "Required when a line needs a prescription (sent to PerfectRx)"},
        {"fieldname": "patient_first_name", "fieldtype": "Data", "label": "Patient First Name",
         "insert_after": "medgrid_patient_section"},
        {"fieldname": "patient_last_name", "fieldtype": "Data", "label": "Patient Last Name",
         "insert_after": "patient_first_name"},
        {"fieldname": "patient_dob", "fieldtype": "Date", "label": "Patient Date of Birth",
         "insert_after": "patient_last_name"},
        {"fieldname": "patient_gender", "fieldtype": "Select", "label": "Patient Gender",
         "options": "\nMale\nFemale\nOther", "insert_after": "patient_dob"},
        {"fieldname": "patient_email", "fieldtype": "Data", "label": "Patient Email", "options": "Email",
         "insert_after": "patient_gender"},
        {"fieldname": "patient_phone", "fieldtype": "Data", "label": "Patient Phone", "insert_after": "patient_email"},
        {"fieldname": "medgrid_prescriber_column", "fieldtype": "Column Break", "insert_after": "patient_phone"},
        {"fieldname": "prescriber_npi", "fieldtype": "Data", "label": "Prescriber NPI",
         "insert_after": "medgrid_prescriber_column"},
        {"fieldname": "prescriber_first_name", "fieldtype": "Data", "label": "Prescriber First Name",
         "insert_after": "prescriber_npi"},
        {"fieldname": "prescriber_last_name", "fieldtype": "Data", "label": "Prescriber Last Name",
         "insert_after": "prescriber_first_name"},
    ]
    fields += _vendor_section("perfectrx", "PerfectRx", [
        ("perfectrx_reference_id", "Data", "PerfectRx Reference ID"),
        ("perfectrx_status", "Select", "PerfectRx Status", _options(PERFECTRX_STATUSES)),
        ("perfectrx_tracking_number", "Data", "PerfectRx Tracking Number"),
        ("perfectrx_carrier", "Data", "PerfectRx Carrier"),
        ("perfectrx_tracking_url", "Small Text", "PerfectRx Tracking URL"),
        ("perfectrx_sync_date", "Datetime", "PerfectRx Sync Date"),
        ("perfectrx_patient_id", "Data", "PerfectRx Patient ID"),
        ("perfectrx_needs_attention", "Check", "PerfectRx Needs Manual Follow-up"),
    ], "prescriber_last_name")
    fields += _vendor_section("shipstation", "ShipStation", [
        ("shipstation_order_id", "Data", "ShipStation Order ID"),
        ("shipstation_status", "Select", "ShipStation Status", _options(SHIPSTATION_STATUSES)),
        ("shipstation_tracking_number", "Data", "ShipStation Tracking Number"),
        ("shipstation_carrier", "Data", "ShipStation Carrier"),
        ("shipstation_tracking_url", "Small Text", "ShipStation Tracking URL"),
        ("shipstation_label_url", "Small Text", "ShipStation Label URL"),
        ("shipstation_sync_date", "Datetime", "ShipStation Sync Date"),
    ], "perfectrx_needs_attention")
    fields += _vendor_section("sinq", "SINQ Ops", [
        ("sinq_reference", "Data", "SINQ Reference"),
        ("sinq_transaction_id", "Data", "SINQ Transaction ID"),
        ("sinq_status", "Select", "SINQ Status", _options(SINQ_STATUSES)),
        ("sinq_tracking_number", "Data", "SINQ Tracking Number"),
        ("sinq_tracking_url", "Small Text", "SINQ Tracking URL"),
        ("sinq_carrier", "Data", "SINQ Carrier"),
        ("sinq_sync_date", "Datetime", "SINQ Sync Date"),
    ], "shipstation_sync_date")
    fields += _vendor_section("cr", "Centre Research", [
        ("cr_order_id", "Data", "Centre Research Order ID"),
        ("cr_status", "Select", "Centre Research Status", _options(CR_STATUSES)),
        ("cr_tracking_number", "Data", "Centre Research Tracking Number"),
        ("cr_carrier", "Data", "Centre Research Carrier"),
        ("cr_tracking_url", "Small Text", "Centre Research Tracking URL"),
        ("cr_shipping_tier", "Data", "Centre Research Shipping Tier"),
        ("cr_sync_date", "Datetime", "Centre Research Sync Date"),
    ], "sinq_sync_date")
    fields += _vendor_section("exoceuticals", "Exoceuticals (Shopify)", [
        ("exoceuticals_order_id", "Data", "Exoceuticals Order ID"),
        ("exoceuticals_order_name", "Data", "Exoceuticals Order Name"),
        ("exoceuticals_status", "Select", "Exoceuticals Status", _options(EXOCEUTICALS_STATUSES)),
        ("exoceuticals_tracking_number", "Data", "Exoceuticals Tracking Number"),
        ("exoceuticals_carrier", "Data", "Exoceuticals Carrier"),
        ("exoceuticals_tracking_url", "Small Text", "Exoceuticals Tracking URL"),
        ("exoceuticals_sync_date", "Datetime", "Exoceuticals Sync Date"),
    ], "cr_sync_date")
    fields += shopify_source_fields("exoceuticals_sync_date")
    return fields


def shopify_source_fields(after: str) -> list[dict]:
    """Where an order imported from a vendor's Shopify store came from (set on import, never copied).

    The order GID is unique: the database itself refuses a second import of one Shopify order.
    """
    common = {"fieldtype": "Data", "read_only": 1, "no_copy": 1}
    return [
        {"fieldname": "shopify_source_section", "fieldtype": "Section Break", "label": "Shopify Store Order",
         "collapsible": 1, "insert_after": after,
         "description": "Set when the order was imported from a vendor's own Shopify store"},
        {**common, "fieldname": "shopify_source_shop", "label": "Shopify Store", "insert_after": "shopify_source_section"},
        {**common, "fieldname": "shopify_source_order_id", "label": "Shopify Order GID", "unique": 1,
         "insert_after": "shopify_source_shop"},
        {**common, "fieldname": "shopify_source_order_name", "label": "Shopify Order Name",
         "insert_after": "shopify_source_order_id"},
    ]


def sales_order_item_fields() -> list[dict]:
    return [
        {"fieldname": "fulfillment_vendor", "fieldtype": "Data", "label": "Fulfillment Vendor", "read_only": 1,
         "no_copy": 1, "allow_on_submit": 1, "insert_after": "warehouse", "in_list_view": 0},
        {"fieldname": "rx_directions", "fieldtype": "Small Text", "label": "Rx Directions",
         "insert_after": "fulfillment_vendor"},
        {"fieldname": "rx_refills", "fieldtype": "Int", "label": "Rx Refills", "insert_after": "rx_directions"},
        {"fieldname": "rx_days_supply", "fieldtype": "Int", "label": "Rx Days Supply", "insert_after": "rx_refills"},
    ]


def item_fields() -> list[dict]:
    return [
        {"fieldname": "medgrid_section", "fieldtype": "Section Break", "label": "MedGrid Fulfillment",
         "insert_after": "description"},
        {"fieldname": "fulfillment_vendor", "fieldtype": "Select", "label": "Fulfillment Vendor",
         "options": _options(VENDOR_KEYS), "insert_after": "medgrid_section",
         "description": "Explicit route; when empty the vendor profile or the mapping fields decide"},
        {"fieldname": "vendor_profile", "fieldtype": "Link", "label": "Vendor Profile", "options": "Vendor Profile",
         "insert_after": "fulfillment_vendor", "search_index": 1},
        {"fieldname": "requires_prescription", "fieldtype": "Check", "label": "Requires Prescription (Rx)",
         "insert_after": "vendor_profile"},
        {"fieldname": "medgrid_approved", "fieldtype": "Check", "label": "Approved for the Marketplace",
         "insert_after": "requires_prescription", "default": "1", "permlevel": 1,
         "description": "Only a MedGrid Marketplace Admin approves vendor products"},
        {"fieldname": "medgrid_mapping_column", "fieldtype": "Column Break", "insert_after": "medgrid_approved"},
        {"fieldname": "perfectrx_drug_description", "fieldtype": "Small Text", "label": "PerfectRx Drug Description",
         "insert_after": "medgrid_mapping_column"},
        {"fieldname": "shipstation_product_id", "fieldtype": "Data", "label": "ShipStation Product ID (SKU)",
         "insert_after": "perfectrx_drug_description"},
        {"fieldname": "sinq_sku", "fieldtype": "Data", "label": "SINQ Service SKU", "insert_after": "shipstation_product_id"},
        {"fieldname": "centre_research_product_id", "fieldtype": "Data", "label": "Centre Research Variant ID",
         "insert_after": "sinq_sku"},
        {"fieldname": "exoceuticals_variant_id", "fieldtype": "Data", "label": "Exoceuticals Variant GID",
         "insert_after": "centre_research_product_id", "search_index": 1},
        {"fieldname": "shopify_product_id", "fieldtype": "Data", "label": "Shopify Product GID",
         "insert_after": "exoceuticals_variant_id", "read_only": 1},
    ]


def get_custom_fields() -> dict:
    return {
        "Sales Order": sales_order_fields(),
        "Sales Order Item": sales_order_item_fields(),
        "Item": item_fields(),
    }
