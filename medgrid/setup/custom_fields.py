"""Fields MedGrid adds to ERPNext doctypes (created by the app on install and migrate).

Each vendor's Sales Order section, status options and Item mapping fields come from its descriptor
(``medgrid.vendors``), in registry order, so a vendor registered by another app gets its fields too.
"""

from __future__ import annotations

from medgrid.vendors import VendorDescriptor, get_vendors

# the last patient/prescriber field: vendor sections follow it
SALES_ORDER_VENDOR_SECTIONS_AFTER = "prescriber_last_name"
ITEM_MAPPING_FIELDS_AFTER = "medgrid_mapping_column"

def _options(values) -> str:
    return "\n" + "\n".join(values)


def _vendor_section(descriptor: VendorDescriptor, after: str) -> list[dict]:
    """A collapsible section of read-only fields that change after submit (set by MedGrid only)."""
    prefix, label, fields = descriptor.order_section
    out = [{"fieldname": f"{prefix}_section", "fieldtype": "Section Break", "label": label, "collapsible": 1,
            "insert_after": after}]
    previous = f"{prefix}_section"
    for fieldname, fieldtype, field_label in fields:
        df = {"fieldname": fieldname, "fieldtype": fieldtype, "label": field_label, "insert_after": previous,
              "read_only": 1, "allow_on_submit": 1, "no_copy": 1}
        if fieldname == descriptor.order_fields.status:
            df["options"] = _options(descriptor.statuses.vocabulary)
        if fieldname.endswith(("_reference_id", "_order_id", "_transaction_id", "_reference")):
            df["search_index"] = 1
        out.append(df)
        previous = fieldname
    return out


def vendor_sections(after: str = SALES_ORDER_VENDOR_SECTIONS_AFTER) -> list[dict]:
    """Every registered vendor's Sales Order section, one after the other."""
    out = []
    for descriptor in get_vendors().values():
        if descriptor.order_section:
            section = _vendor_section(descriptor, after)
            out += section
            after = section[-1]["fieldname"]
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
    fields += vendor_sections()
    fields += shopify_source_fields(fields[-1]["fieldname"])
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
         "options": _options(get_vendors()), "insert_after": "medgrid_section",
         "description": "Explicit route; when empty the vendor profile or the mapping fields decide"},
        {"fieldname": "vendor_profile", "fieldtype": "Link", "label": "Vendor Profile", "options": "Vendor Profile",
         "insert_after": "fulfillment_vendor", "search_index": 1},
        {"fieldname": "requires_prescription", "fieldtype": "Check", "label": "Requires Prescription (Rx)",
         "insert_after": "vendor_profile"},
        {"fieldname": "medgrid_approved", "fieldtype": "Check", "label": "Approved for the Marketplace",
         "insert_after": "requires_prescription", "default": "1", "permlevel": 1,
         "description": "Only a MedGrid Marketplace Admin approves vendor products"},
        {"fieldname": "medgrid_mapping_column", "fieldtype": "Column Break", "insert_after": "medgrid_approved"},
    ] + vendor_item_fields()


def vendor_item_fields(after: str = ITEM_MAPPING_FIELDS_AFTER) -> list[dict]:
    """The Item fields of every registered vendor (its product id / SKU mapping), one after the other."""
    out = []
    for descriptor in get_vendors().values():
        for field in descriptor.item_fields:
            out.append({**field, "insert_after": after})
            after = field["fieldname"]
    return out


def get_custom_fields() -> dict:
    from medgrid.catalog_admin.approval import approval_item_fields

    item = item_fields()
    return {
        "Sales Order": sales_order_fields(),
        "Sales Order Item": sales_order_item_fields(),
        # the product approval's fields (status, reason, reviewer, last sync's changes) after the mapping
        "Item": item + approval_item_fields(after=item[-1]["fieldname"]),
    }
