"""Test data for the connector tests: the Skydell company, items mapped to every vendor, a clinic
customer with a shipping address, submitted Sales Orders, Fulfillment Dispatches and vendor settings.

Everything is get-or-create, so a test may run on a site where an earlier test committed (the
integration-log path commits after a rollback, and the Centre Research poll commits per order).
Orders are submitted with ``frappe.flags.medgrid_skip_dispatch`` so the router's ``on_submit`` does not
enqueue real sends: connector tests build their dispatches directly with :func:`dispatch`.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_days, nowdate

from medgrid.connectors.base import get_connector

COMPANY = "Skydell"
ABBR = "SM"
MAIN_WAREHOUSE = f"Skydell Main - {ABBR}"
EXO_WAREHOUSE = f"Skydell Exoceuticals - {ABBR}"
PRICE_LIST = "Standard Selling"
CUSTOMER = "Connector Test Clinic"
SHIPPING_ADDRESS = "Jane Smith-Shipping"  # Address names are "<address_title>-<address_type>"
BILLING_ADDRESS = f"{CUSTOMER}-Billing"

# item_code → (item name, rate, Item fields); one or two per vendor
ITEMS = {
    "CT-SS-SYRINGE": ("Sterile Syringe 5ml", 74.50, {"shipstation_product_id": "SS-SYR-5ML"}),
    "CT-SS-GLOVES": ("Nitrile Gloves", 12.25, {"fulfillment_vendor": "shipstation",
                                               "shipstation_product_id": "SS-GLV-NITRILE"}),
    "CT-SINQ-D3": ("Vitamin D3 5000 IU", 19.00, {"sinq_sku": "SINQ-ITEM-001"}),
    "CT-CR-BPC": ("BPC-157 5mg", 89.00, {"centre_research_product_id": "cr-variant-id-001"}),
    "CT-CR-TB500": ("TB-500 2mg", 65.00, {"centre_research_product_id": "cr-variant-id-002"}),
    "CT-PRX-TESTO": ("Testosterone Cypionate 200mg/ml", 120.00,
                     {"perfectrx_drug_description": "Testosterone Cypionate 200mg/ml 10ml vial",
                      "requires_prescription": 1}),
    "CT-PRX-ZINC": ("Zinc 50mg", 9.50, {"perfectrx_drug_description": "Zinc 50mg capsules",
                                        "fulfillment_vendor": "perfectrx"}),
    "CT-EXO-SERUM": ("Exo Recovery Serum", 149.00, {"exoceuticals_variant_id": "gid://shopify/ProductVariant/1001"}),
    "CT-SHOP-CREAM": ("Vendor Store Cream", 30.00, {"fulfillment_vendor": "shopify",
                                                    "exoceuticals_variant_id": "gid://shopify/ProductVariant/2002"}),
    # no variant GID, so not approved (not for sale): the connectors' own check of such a line uses it
    "CT-SHOP-BALM": ("Vendor Store Balm", 15.00, {"fulfillment_vendor": "shopify", "medgrid_approved": 0}),
}


def _get_or_insert(doctype: str, name: str, values: dict):
    if frappe.db.exists(doctype, name):
        return frappe.get_doc(doctype, name)
    return frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)


def company():
    doc = _get_or_insert("Company", COMPANY, {"company_name": COMPANY, "abbr": ABBR, "default_currency": "USD",
                                              "country": "United States"})
    parent = f"All Warehouses - {ABBR}"
    _get_or_insert("Warehouse", parent, {"warehouse_name": "All Warehouses", "company": COMPANY, "is_group": 1})
    for name in ("Skydell Main", "Skydell Exoceuticals"):
        _get_or_insert("Warehouse", f"{name} - {ABBR}", {"warehouse_name": name, "company": COMPANY,
                                                        "parent_warehouse": parent})
    return doc


def items():
    # stock items: MedGrid only takes an order line the catalog would sell (stock in its warehouse)
    for code, (name, rate, fields) in ITEMS.items():
        _get_or_insert("Item", code, {"item_code": code, "item_name": name, "item_group": "Products",
                                      "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1,
                                      "medgrid_approved": 1, **fields})
        if not frappe.db.exists("Item Price", {"item_code": code, "price_list": PRICE_LIST}):
            frappe.get_doc({"doctype": "Item Price", "item_code": code, "price_list": PRICE_LIST,
                            "price_list_rate": rate}).insert(ignore_permissions=True)


def customer():
    _get_or_insert("Customer", CUSTOMER, {"customer_name": CUSTOMER, "customer_type": "Company",
                                          "customer_group": "Commercial"})
    _get_or_insert("Address", SHIPPING_ADDRESS, {
        "address_title": "Jane Smith", "address_type": "Shipping", "address_line1": "123 Main St",
        "address_line2": "Suite 4", "city": "Austin", "state": "Texas", "pincode": "78701",
        "country": "United States", "phone": "5125550100", "email_id": "patient@clinic.com",
        "is_shipping_address": 1, "links": [{"link_doctype": "Customer", "link_name": CUSTOMER}]})
    _get_or_insert("Address", BILLING_ADDRESS, {
        "address_title": "Connector Test Clinic", "address_type": "Billing", "address_line1": "9 Clinic Way",
        "city": "Dallas", "state": "TX", "pincode": "75201", "country": "United States",
        "is_primary_address": 1, "links": [{"link_doctype": "Customer", "link_name": CUSTOMER}]})


def masters():
    """Company, warehouses, items, prices and the customer (idempotent)."""
    company()
    items()
    customer()


def ensure_stock(lines, warehouse: str = MAIN_WAREHOUSE, company_name: str = COMPANY, spare: float = 100) -> None:
    """Receive stock so every ``(item_code, qty)`` line can be ordered from ``warehouse``.

    Order validation sells only what the catalog shows: the Bin's actual minus reserved quantity, which
    every submitted order lowers. A Material Receipt tops up what is short (plus ``spare``).
    """
    rows = []
    for code, qty in lines:
        values = frappe.db.get_value("Bin", {"item_code": code, "warehouse": warehouse},
                                     ["actual_qty", "reserved_qty"], as_dict=True) or {}
        available = (values.get("actual_qty") or 0) - (values.get("reserved_qty") or 0)
        if available < qty:
            rows.append({"item_code": code, "qty": qty - available + spare, "t_warehouse": warehouse,
                         "basic_rate": 1})
    if rows:
        entry = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                                "purpose": "Material Receipt", "company": company_name, "posting_date": nowdate(),
                                "items": rows})
        entry.insert(ignore_permissions=True)
        entry.submit()


PATIENT = {
    "patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-02",
    "patient_gender": "Female", "patient_email": "jane@patients.example", "patient_phone": "5125550199",
    "prescriber_npi": "1234567890", "prescriber_first_name": "Greg", "prescriber_last_name": "House",
}


def sales_order(lines, *, submit: bool = True, patient: bool = True, rx=None, **extra):
    """A Sales Order for ``lines`` = [(item_code, qty)] (rates from the price list), submitted by default.

    ``rx`` = {item_code: {"rx_directions", "rx_refills", "rx_days_supply"}} fills the Rx line fields.
    """
    masters()
    ensure_stock(lines)
    rx = rx or {}
    values = {
        "doctype": "Sales Order", "customer": CUSTOMER, "company": COMPANY, "transaction_date": nowdate(),
        "delivery_date": add_days(nowdate(), 7), "selling_price_list": PRICE_LIST, "currency": "USD",
        "shipping_address_name": SHIPPING_ADDRESS, "customer_address": BILLING_ADDRESS,
        "items": [{"item_code": code, "qty": qty, "warehouse": MAIN_WAREHOUSE, **rx.get(code, {})}
                  for code, qty in lines],
    }
    if patient:
        values.update(PATIENT)
    values.update(extra)
    order = frappe.get_doc(values).insert(ignore_permissions=True)
    if submit:
        frappe.flags.medgrid_skip_dispatch = True
        try:
            order.submit()
        finally:
            frappe.flags.medgrid_skip_dispatch = False
    return order


def dispatch(order, vendor: str, *, item_codes=None, connection=(None, None), vendor_profile=None, **extra):
    """A Fulfillment Dispatch of ``order``'s lines (all, or ``item_codes``) for ``vendor``, as the router
    writes it: ``vendor_sku`` from the connector's Item mapping field, else the item code."""
    connector = get_connector(vendor)
    lines = []
    for row in order.items:
        if item_codes and row.item_code not in item_codes:
            continue
        item = frappe.db.get_value("Item", row.item_code, [connector.item_mapping_field, "requires_prescription"],
                                   as_dict=True)
        lines.append({"sales_order_item": row.name, "item_code": row.item_code, "item_name": row.item_name,
                      "qty": row.qty, "rate": row.rate, "warehouse": row.warehouse,
                      "vendor_sku": item.get(connector.item_mapping_field) or row.item_code,
                      "requires_prescription": item.requires_prescription})
    doc = frappe.get_doc({"doctype": "Fulfillment Dispatch", "sales_order": order.name, "vendor": vendor,
                          "vendor_label": connector.label, "vendor_profile": vendor_profile,
                          "route_key": vendor, "connection_doctype": connection[0],
                          "connection_name": connection[1], "status": "Sending", "attempts": 1,
                          "lines": lines, **extra})
    return doc.insert(ignore_permissions=True)


# ------------------------------------------------------------------------------------- settings

def _single(doctype: str, values: dict):
    doc = frappe.get_single(doctype)
    doc.update(values)
    doc.flags.ignore_permissions = True
    doc.save()
    return doc


def perfectrx_settings(**values):
    return _single("PerfectRx Settings", {"enabled": 1, "base_url": "https://test.apis.perfectrx.com",
                                          "client_id": "prx-client-id", "client_secret": "prx-client-secret-XYZ",
                                          "default_practice_id": "PRACTICE-42", "partner_account": None,
                                          "rate_limit_requests": 300, "rate_limit_window_seconds": 300, **values})


def sinq_settings(**values):
    return _single("SINQ Settings", {"enabled": 1, "sinq_api_url": "https://sinq.example/ops",
                                     "sinq_api_key": "sinq-api-key-SECRET", **values})


def centre_research_settings(**values):
    return _single("Centre Research Settings", {"enabled": 1, "centre_research_api_url": "https://pepapi.stmin.dev/api",
                                                "centre_research_api_key": "cr-api-key-SECRET",
                                                "default_shipping_tier": None, "max_retries": 3, **values})


def exoceuticals_settings(**values):
    return _single("Exoceuticals Settings", {"enabled": 1, "shop_domain": "exoceuticals.myshopify.com",
                                             "api_version": "2026-04", "access_token": "shpat_exo_SECRET",
                                             "cost_units_per_second": 50, **values})


def vendor_profile(name: str, vendor_key: str):
    return _get_or_insert("Vendor Profile", name, {"vendor_name": name, "vendor_key": vendor_key,
                                                   "status": "Active"})


def shipstation_connection(*, vendor_profile_name=None, is_platform=0, api_key="ss-key-AAAA",
                           api_secret="ss-secret-BBBB", **values):
    doc = frappe.get_doc({"doctype": "ShipStation Connection", "vendor_profile": vendor_profile_name,
                          "is_platform": is_platform, "status": "Connected",
                          "base_url": "https://ssapi.shipstation.com", "api_key": api_key, "api_secret": api_secret,
                          "warehouse_id": "2001705", **values})
    return doc.insert(ignore_permissions=True)


def shopify_connection(shop_domain: str, *, vendor_profile_name=None, access_token="shpat_vendor_SECRET", **values):
    if frappe.db.exists("Shopify Connection", shop_domain):
        frappe.delete_doc("Shopify Connection", shop_domain, force=True, ignore_permissions=True)
    doc = frappe.get_doc({"doctype": "Shopify Connection", "shop_domain": shop_domain,
                          "vendor_profile": vendor_profile_name, "status": "Connected", "api_version": "2026-04",
                          "access_token": access_token, **values})
    return doc.insert(ignore_permissions=True)
