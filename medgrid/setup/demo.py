"""The guide's demo catalog: Skydell warehouses, an item per vendor, stock, prices, a partner customer.

Used by the one-command demo, the test suites and the benchmarks (``make_demo_data()`` is idempotent).
The whole demo (catalog, a user per role, back office, Sandbox environment) is one command that works on a real
bench and on the runtime: ``bench --site S execute medgrid.setup.demo.setup`` (see :func:`setup`).
"""

from __future__ import annotations

import frappe
from frappe.utils import nowdate

COMPANY = "Skydell"
ABBR = "SM"
MAIN_WAREHOUSE = f"Skydell Main - {ABBR}"
EXO_WAREHOUSE = f"Skydell Exoceuticals - {ABBR}"
PRICE_LIST = "Standard Selling"
PARTNER_CUSTOMER = "Demo Clinic Partner"
PARTNER_ADDRESS = f"{PARTNER_CUSTOMER}-Shipping"

# item_code, name, description, rate, stock in main, stock in exo, vendor fields
ITEMS = [
    ("ITEM-001", "BPC-157 5mg", "Body Protection Compound 157, 5mg lyophilized peptide", 89.00, 142, 0,
     {"centre_research_product_id": "cr-variant-id-001"}),
    ("ITEM-002", "Sterile Syringe 5ml (box of 100)", "Single-use sterile syringes, 5ml, box of 100", 24.50, 300, 0,
     {"shipstation_product_id": "SS-SYR-5ML"}),
    ("ITEM-003", "Vitamin D3 5000 IU", "OTC vitamin D3 capsules, 60 count", 19.00, 200, 0,
     {"sinq_sku": "SINQ-ITEM-001"}),
    ("ITEM-004", "Testosterone Cypionate 200mg/ml", "Compounded testosterone cypionate, 10ml vial (Rx)", 120.00,
     50, 0, {"perfectrx_drug_description": "Testosterone Cypionate 200mg/ml 10ml vial", "requires_prescription": 1}),
    ("ITEM-005", "Exo Recovery Serum", "Exoceuticals exosome recovery serum, 30ml", 149.00, 0, 80,
     {"exoceuticals_variant_id": "gid://shopify/ProductVariant/1001"}),
]


def make_demo_data() -> dict:
    """Create (or complete) the demo masters and stock; returns the names tests and scripts need."""
    frappe.flags.in_demo_setup = True
    make_company()
    make_warehouses()
    make_items()
    make_stock()
    make_partner_customer()
    make_backoffice_demo()
    frappe.db.commit()
    return {"company": COMPANY, "warehouses": [MAIN_WAREHOUSE, EXO_WAREHOUSE], "customer": PARTNER_CUSTOMER,
            "shipping_address": PARTNER_ADDRESS, "items": [i[0] for i in ITEMS]}


def setup(port=8000, sandbox_ports=None) -> dict:
    """The demo in one command: ``bench --site S execute medgrid.setup.demo.setup [--kwargs "{'port': 8000,
    'sandbox_ports': 'shipstation=9102,…'}"]`` (or ``medgrid-runtime --site S execute …``).

    Catalog and stock, a user per role (password ``MedGrid-Demo-1``), the back-office demo, and the Sandbox
    environment: every vendor pointed at its local sandbox (``python -m sandbox``; ``sandbox_ports`` as
    ``NAME=PORT`` pairs or plain ports in the registry's order, default each sandbox's port) and ``port`` the
    site's web port for the Shopify callback. Idempotent. Returns the API keys of users created now (shown once)
    and the sandbox hosts.
    """
    from medgrid.setup.demo_environment import DEMO_USERS, PASSWORD, make_users, point_at_sandboxes
    from medgrid.setup.demo_portal import make_portal_demo

    make_demo_data()
    # no tracebacks (server paths, code) in error bodies: what every production site should set
    frappe.db.set_single_value("System Settings", "allow_error_traceback", 0)
    keys = make_users()
    make_backoffice_demo()  # idempotent: nothing new the second time
    make_portal_demo()
    hosts = point_at_sandboxes(int(port), sandbox_ports)
    frappe.db.commit()
    return {"password": PASSWORD,
            "users": [{"user": email, "roles": roles, "first_page": page} for email, _n, roles, _c, page in DEMO_USERS],
            "api_keys": {email: f"{key}:{secret}" for email, (key, secret) in keys.items()},
            "sandbox_hosts": hosts}


def _insert(doctype: str, name: str, values: dict):
    if frappe.db.exists(doctype, name):
        return frappe.get_doc(doctype, name)
    return frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)


def make_company() -> None:
    _insert("Company", COMPANY, {"company_name": COMPANY, "abbr": ABBR, "default_currency": "USD",
                                 "country": "United States"})
    if not frappe.db.get_default("company"):
        frappe.db.set_default("company", COMPANY)
    _insert("Territory", "United States", {"territory_name": "United States", "parent_territory": "All Territories"})


def make_warehouses() -> None:
    parent = f"All Warehouses - {ABBR}"
    _insert("Warehouse", parent, {"warehouse_name": "All Warehouses", "company": COMPANY, "is_group": 1})
    for name in ("Skydell Main", "Skydell Exoceuticals"):
        _insert("Warehouse", f"{name} - {ABBR}", {"warehouse_name": name, "company": COMPANY, "is_group": 0,
                                                 "parent_warehouse": parent})


def make_items() -> None:
    for code, name, description, rate, _main, _exo, vendor_fields in ITEMS:
        _insert("Item", code, {"item_code": code, "item_name": name, "description": description,
                               "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1,
                               "is_sales_item": 1, "medgrid_approved": 1, **vendor_fields})
        if not frappe.db.exists("Item Price", {"item_code": code, "price_list": PRICE_LIST}):
            frappe.get_doc({"doctype": "Item Price", "item_code": code, "price_list": PRICE_LIST,
                            "price_list_rate": rate}).insert(ignore_permissions=True)


def make_stock() -> None:
    rows = []
    for code, _name, _d, _rate, main, exo, _v in ITEMS:
        for warehouse, qty in ((MAIN_WAREHOUSE, main), (EXO_WAREHOUSE, exo)):
            current = frappe.db.get_value("Bin", {"item_code": code, "warehouse": warehouse}, "actual_qty") or 0
            if qty and current < qty:
                rows.append({"item_code": code, "qty": qty - current, "t_warehouse": warehouse, "basic_rate": 10})
    if rows:
        entry = frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                                "purpose": "Material Receipt", "company": COMPANY, "posting_date": nowdate(),
                                "items": rows})
        entry.insert(ignore_permissions=True)
        entry.submit()


def make_partner_customer() -> None:
    _insert("Customer", PARTNER_CUSTOMER, {"customer_name": PARTNER_CUSTOMER, "customer_type": "Company",
                                           "customer_group": "Commercial", "territory": "United States",
                                           "default_price_list": PRICE_LIST})
    if not frappe.db.exists("Address", PARTNER_ADDRESS):
        frappe.get_doc({"doctype": "Address", "address_title": PARTNER_CUSTOMER, "address_type": "Shipping",
                        "address_line1": "123 Main St", "city": "Austin", "state": "TX", "pincode": "78701",
                        "country": "United States", "email_id": "jane@clinic.example", "phone": "5125550100",
                        "is_shipping_address": 1, "is_primary_address": 1,
                        "links": [{"link_doctype": "Customer", "link_name": PARTNER_CUSTOMER}]}
                       ).insert(ignore_permissions=True)


# ------------------------------------------------------------------------ back office (issue 14 items 2, 3, 6)
DEMO_STORE_PROFILE = "Vitality Peptide Store"  # sorts after the demo's "Demo Vendor" (admins land there)
DEMO_STORE_DOMAIN = "vitality-peptides.myshopify.com"
# item_code, name, what the last store sync changed (field → [before, after]) or None, variant GID
STORE_ITEMS = [
    ("DPS-TB500-5MG", "TB-500 5mg", {"item_name": ["TB-500 2mg", "TB-500 5mg"],
                                     "description": ["<p>2mg vial</p>", "<p>5mg vial, new label</p>"]},
     "gid://shopify/ProductVariant/5100001"),
    ("DPS-GHK-CU-50", "GHK-Cu 50mg", None, "gid://shopify/ProductVariant/5100002"),
    # synced before its variant was known: unmapped (the mapping screen lists it first)
    ("DPS-NAD-100", "NAD+ 100mg", {"disabled": [1, 0]}, None),
]
DEMO_REQUEST_EMAIL = "owner@northwind-compounding.example"


def make_backoffice_demo() -> None:
    """What the back office shows a new user: a vendor store's synced products waiting for approval (one
    changed since the last sync, one unmapped) and a pending Vendor Profile request."""
    import json

    # no login of its own: the demo vendor keeps exactly one profile (its pages act for it without asking);
    # an admin sees the store's products on /portal/products?vendor_profile=Vitality Peptide Store
    profile = _insert("Vendor Profile", DEMO_STORE_PROFILE, {
        "vendor_name": DEMO_STORE_PROFILE, "vendor_key": "shopify", "status": "Onboarding",
        "contact_email": "catalog@vitality-peptides.example"})
    for code, name, changes, variant in STORE_ITEMS:
        _insert("Item", code, {
            "item_code": code, "item_name": name, "description": f"{name} from {DEMO_STORE_DOMAIN}",
            "item_group": "Products", "stock_uom": "Nos", "is_stock_item": 1, "is_sales_item": 1,
            "fulfillment_vendor": "shopify", "vendor_profile": profile.name, "exoceuticals_variant_id": variant,
            "medgrid_approved": 0, "medgrid_approval_status": "Pending",
            "medgrid_sync_changes": json.dumps(changes) if changes else None})
    if not frappe.db.exists("Vendor Profile Request", {"email": DEMO_REQUEST_EMAIL}):
        frappe.get_doc({"doctype": "Vendor Profile Request", "company_name": "Northwind Compounding",
                        "contact_name": "Nora Wind", "email": DEMO_REQUEST_EMAIL, "phone": "+1 512 555 0142",
                        "website": "https://northwind-compounding.example", "integration_type": "ShipStation",
                        "message": "We fulfil OTC and HRT orders from Austin and already use ShipStation.",
                        "status": "Pending"}).insert(ignore_permissions=True)
