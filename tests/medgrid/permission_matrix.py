"""The permission matrix: what each caller SHOULD get, per doctype and per whitelisted ``medgrid.*`` method.

Read by ``test_permission_matrix.py``; every cell there is one test. The answers are the secure ones,
written from the guide's role tables (``../shared/spec/medgrid-api-guide.txt``, "Roles Summary" and
"Internal Sales Rep Access Control"), the README's "Roles" table and the DocPerms the app grants
(``medgrid/setup/install.py`` and the doctype JSON files). Where today's code answers otherwise the
cell is listed in ``HOLES`` (a strict xfail naming the issue item), so a fix shows up as an XPASS.

Callers (columns): ``guest`` (no Authorization header), ``partner`` (Customer / Partner Platform, User
Permission on Customer "Demo Clinic Partner"), ``rep`` (Internal Sales Rep of territory United States),
``vendor`` (External Vendor, user of one Vendor Profile) and ``admin`` (MedGrid Marketplace Admin, not
a System Manager).

Targets: tenant doctypes have two records. ``own`` is inside the caller's reach as the role tables
draw it: Demo Clinic Partner / United States for partner and rep (an order created by the partner),
the vendor's own Vendor Profile and connections, the caller's own User and Contacts. ``other`` belongs
to another tenant: Other Clinic / Canada (created by partner2, rep2's territory), another vendor's
profile, another user. Admins read both.

Operations (rows), all through ``/api/resource``:

=============  ====================================================================================
list           GET the doctype's list (filtered to the two targets' names)
list_parent    child tables: the same with ``?parent=<parent doctype>``
get            GET own target                     get_other      GET the other tenant's target
create         POST a valid body for the caller   create_other   POST a body naming the other tenant
update         PUT ``{}`` on own target (a save: needs write on the stored document)
update_other   PUT on the other tenant's target, setting its ownership fields to the caller's
               (customer/territory/owner, links, vendor_profile, user...): issue 12 item 8; a row of
               another tenant's parent gets ``{}`` (a row has no ownership field but Dynamic Link's)
update_move    PUT on own target moving its ownership fields to the other tenant (or, for User,
               granting oneself System Manager): the stored record must stay within reach
delete         DELETE own target (202)            delete_other   DELETE the other tenant's target
submit/cancel  PUT ``{"docstatus": 1 | 2}`` on own draft / submitted target (``*_other``: the other's)
amend          POST a new draft for own tenant with ``amended_from`` = own cancelled document
amend_other    the same with ``amended_from`` = the other tenant's cancelled document (item 9)
=============  ====================================================================================

A refused ``update_other``/``update_move`` must also leave the stored ownership fields as they were.

Answers (cells): an HTTP status (``200``, ``202``, ``403``, ``417``...), ``4xx`` (any client error,
never a 500), or for lists ``own`` (200; own target listed, the other's not), ``all`` (200; both),
``none`` (200; neither: e.g. Contacts of other owners). No cell may ever answer 500.

Rules behind the rows:

* Guest reaches no doctype.
* Child rows (``istable``): no list without ``parent`` (403, even for admins: issue 12 item 1); with
  ``parent`` only rows of parents the caller may read (item 7); a row is read, created, changed and
  deleted like its parent (Frappe checks the parent's right; ``PUT`` saves the parent after the row).
  The rows of a submitted document are never added or deleted on their own: ``create``/``delete`` of
  a Sales Order's rows point at a submitted order and must be refused (4xx), or a partner adds lines
  at any rate to an order already placed.
* Frappe shares every User with itself (DocShare: read, write, share), so a user reads and saves its
  own User — permlevel-0 fields only: roles, user type and keys stay out of reach (recorded C03b) —
  and lists its own Has Role rows.
* A Single has no list (4xx, never 500).
"""

from __future__ import annotations

ROLES = ("guest", "partner", "rep", "vendor", "admin")

# Operations each kind of doctype must have a row for (tenant doctypes add the *_other/_move rows)
BASE_OPS = {
    "regular": ("list", "get", "create", "update", "delete"),
    "submittable": ("list", "get", "create", "update", "delete", "submit", "cancel", "amend"),
    "single": ("list", "get", "update"),
    "child": ("list", "list_parent", "get", "create", "update", "delete"),
}
TENANT_OPS = ("get_other", "update_other")


def grid(text: str) -> dict[str, tuple]:
    """``op  guest partner rep vendor admin`` lines → {op: (answer per role)}."""
    rows: dict[str, tuple] = {}
    for line in text.strip().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        op, *cells = line.split()
        if len(cells) != len(ROLES):
            raise ValueError(f"row {op!r} has {len(cells)} answers, expected {len(ROLES)}: {line!r}")
        if op in rows:
            raise ValueError(f"row {op!r} given twice")
        rows[op] = tuple(int(c) if c.isdigit() else c for c in cells)
    return rows


# ---------------------------------------------------------------------------------------------- patterns
# Doctypes only a System Manager / Administrator touches: none of the five callers.
NOBODY = """
#              guest partner rep  vendor admin
list            403   403    403   403   403
get             403   403    403   403   403
create          403   403    403   403   403
update          403   403    403   403   403
delete          403   403    403   403   403
"""
NOBODY_SUBMITTABLE = NOBODY + """
submit          403   403    403   403   403
cancel          403   403    403   403   403
amend           403   403    403   403   403
"""
NOBODY_SINGLE = """
#              guest partner rep  vendor admin
list            403   403    403   403   403
get             403   403    403   403   403
update          403   403    403   403   403
"""
NOBODY_CHILD = """
#              guest partner rep  vendor admin
list            403   403    403   403   403
list_parent     403   403    403   403   403
get             403   403    403   403   403
create          403   403    403   403   403
update          403   403    403   403   403
delete          403   403    403   403   403
"""
# The app's admin doctypes (DocPerm: MedGrid Marketplace Admin read/write/create/delete)
ADMIN_ONLY = """
#              guest partner rep  vendor admin
list            403   403    403   403   all
get             403   403    403   403   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   202
"""
ADMIN_SINGLE = """
#              guest partner rep  vendor admin
list            403   403    403   403   4xx    # a Single has no list
get             403   403    403   403   200
update          403   403    403   403   200
"""
# Child rows of a parent only admins write (Item, MedGrid Sales Rep); partners/reps/vendors read Items
ITEM_CHILD = """
#              guest partner rep  vendor admin
list            403   403    403   403   403    # item 1: no list without parent
list_parent     403   all    all   all   all
get             403   200    200   200   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   403    # admins do not delete Items
"""
ADMIN_CHILD = """
#              guest partner rep  vendor admin
list            403   403    403   403   403
list_parent     403   403    403   403   all
get             403   403    403   403   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   202
"""
# Child rows of a Sales Order: read and written like the order (partner: its customer; rep: its
# territories or its own orders), never added or removed on their own
SALES_ORDER_CHILD = """
#              guest partner rep  vendor admin
list            403   403    403   403   403    # item 1
list_parent     403   own    own   403   all    # item 7
get             403   200    200   403   200
get_other       403   403    403   403   200
create          403   4xx    4xx   403   4xx    # a line POSTed into one's own submitted order
create_other    403   403    403   403   4xx    # ... into the other tenant's submitted order
update          403   200    200   403   200    # saved through the (draft) parent
update_other    403   403    403   403   200
delete          403   4xx    4xx   403   4xx    # a line of one's own submitted order
"""
# Child rows of a Customer: partners read their own customer's, reps and admins every customer's
CUSTOMER_CHILD = """
#              guest partner rep  vendor admin
list            403   403    403   403   403
list_parent     403   own    all   403   all
get             403   200    200   403   200
get_other       403   403    200   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
delete          403   403    403   403   403    # admins do not delete Customers
"""
# A vendor's own records (Vendor Profile by `user`, connections by `vendor_profile`): the vendor reads
# its own (the portal), admins manage all
VENDOR_OWNED = """
#              guest partner rep  vendor admin
list            403   403    403   own   all
get             403   403    403   200   200
get_other       403   403    403   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200    # claim another vendor's record
update_move     403   403    403   403   200    # hand own record to another vendor
delete          403   403    403   403   202
"""
# Masters partners and reps read (catalog, order entry) and admins maintain
SELLING_MASTER = """
#              guest partner rep  vendor admin
list            403   200    200   403   all
get             403   200    200   403   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   403
"""
# Contact Email / Contact Phone: rows of a Contact, which every signed-in user owns ("All", if_owner)
CONTACT_CHILD = """
#              guest partner rep  vendor admin
list            403   403    403   403   403
list_parent     403   own    own   own   own
get             403   200    200   200   200
get_other       403   403    403   403   403
create          403   200    200   200   200
update          403   200    200   200   200
update_other    403   403    403   403   403
delete          403   403    403   403   403    # "All" has no delete on Contact
"""

# ---------------------------------------------------------------------------------------------- doctypes
DOCTYPES: dict[str, str] = {
    # --- frappe core ------------------------------------------------------------------------------
    "Activity Log": NOBODY,
    "Amended Document Naming Settings": NOBODY_CHILD,
    "Custom DocPerm": NOBODY,
    "Custom Field": NOBODY,
    "DocShare": NOBODY,  # written through frappe.share by whoever may share the document
    "Document Naming Settings": NOBODY_SINGLE,
    "Error Log": NOBODY,
    # Has Role rows are a user's roles: each user may read its own (as it reads its own User), never
    # another's through ?parent=User (recorded A13: real Frappe lists every user's roles to a rep)
    "Has Role": """
#              guest partner rep  vendor admin
list            403   403    403   403   403    # item 1 (A11, A12)
list_parent     403   own    own   own   own    # item 7 (A13): one's own User (shared with itself), not others
get             403   403    403   403   403    # one's own row: 200 on Frappe (User shared with itself)
get_other       403   403    403   403   403
create          403   403    403   403   403
update          403   403    403   403   403
update_other    403   403    403   403   403
delete          403   403    403   403   403
""",
    "Property Setter": NOBODY,
    "Role": NOBODY,
    "Scheduled Job Log": NOBODY,
    "Scheduled Job Type": NOBODY,
    "System Settings": NOBODY_SINGLE,
    # Users read and save their own User (shared with itself, recorded C03b) but never its roles;
    # desk users (rep, admin) may list names (select permission of "Desk User", C01/C02), others
    # list only themselves; nobody but a System Manager edits other users or anyone's roles
    "User": """
#              guest partner rep  vendor admin
list            403   own    200   own   200
get             403   200    200   200   200    # one's own User (C03b, a DocShare)
get_other       403   403    403   403   403    # recorded C03
create          403   403    403   403   403
update          403   200    200   200   200    # permlevel-0 fields of one's own User
update_other    403   403    403   403   403
update_move     403   200    200   200   200    # grant oneself System Manager: saved without it
delete          403   403    403   403   403
""",
    "User Permission": NOBODY,

    # --- ERPNext subset: accounts, setup ----------------------------------------------------------
    "Allowed To Transact With": CUSTOMER_CHILD,
    "Company": NOBODY,
    "Cost Center": NOBODY,
    "Customer Group": NOBODY,
    "Item Group": NOBODY,
    "Party Account": CUSTOMER_CHILD,
    "Payment Schedule": SALES_ORDER_CHILD,
    "Pricing Rule Detail": SALES_ORDER_CHILD,
    "Sales Person": NOBODY,
    "Sales Taxes and Charges": SALES_ORDER_CHILD,
    # Territory: reps read territories (their orders are by territory), admins maintain them
    "Territory": """
#              guest partner rep  vendor admin
list            403   403    200   403   all
get             403   403    200   403   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   403
""",
    "UOM": NOBODY,

    # --- ERPNext subset: contacts -----------------------------------------------------------------
    # Addresses of a customer (Dynamic Link to Customer): a partner reaches its own customer's only;
    # reps and admins every customer's (Address read/write/create); any signed-in user owns the ones it
    # created ("All", if_owner). Nobody deletes. (Real Frappe applies no user permission through Dynamic
    # Links: a partner would read every clinic's patient shipping addresses.)
    "Address": """
#              guest partner rep  vendor admin
list            403   own    all   none  all
get             403   200    200   403   200
get_other       403   403    200   403   200
create          403   200    200   200   200
create_other    403   403    200   403   200    # an address linked to the other tenant's customer
update          403   200    200   403   200
update_other    403   403    200   403   200    # relink the other's address to one's own customer
update_move     403   403    200   403   200    # relink one's own address to the other customer
delete          403   403    403   403   403
delete_other    403   403    403   403   403
""",
    # Contacts: every signed-in user owns the ones it created ("All", if_owner); nobody else has rights
    "Contact": """
#              guest partner rep  vendor admin
list            403   own    own   own   own
get             403   200    200   200   200
get_other       403   403    403   403   403
create          403   200    200   200   200
update          403   200    200   200   200
update_other    403   403    403   403   403    # take over another user's contact (owner = me)
update_move     403   403    403   403   403    # hand one's contact to another user
delete          403   403    403   403   403
""",
    "Contact Email": CONTACT_CHILD,
    "Contact Phone": CONTACT_CHILD,
    # Dynamic Link rows are read and written like their Address (rows of the Address parent)
    "Dynamic Link": """
#              guest partner rep  vendor admin
list            403   403    403   403   403    # item 1
list_parent     403   own    all   none  all    # item 7
get             403   200    200   403   200
get_other       403   403    200   403   200
create          403   200    200   403   200    # a link to one's own customer on one's own address
create_other    403   403    200   403   200    # a row on the other tenant's address
update          403   200    200   403   200
update_other    403   403    200   403   200    # link_name set to one's own customer
update_move     403   403    200   403   200    # link_name set to the other customer
delete          403   403    403   403   403
""",

    # --- ERPNext subset: selling ------------------------------------------------------------------
    # A partner reads its own Customer (User Permission); reps read every customer; admins maintain
    "Customer": """
#              guest partner rep  vendor admin
list            403   own    all   403   all
get             403   200    200   403   200
get_other       403   403    200   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
update_move     403   403    403   403   200
delete          403   403    403   403   403
""",
    "Customer Credit Limit": CUSTOMER_CHILD,
    # Guide "Placing an Order" and "Internal Sales Rep Access Control"; README "Roles"
    "Sales Order": """
#              guest partner rep  vendor admin
list            403   own    own   403   all
get             403   200    200   403   200
get_other       403   403    403   403   200
create          403   200    200   403   200
create_other    403   403    200   403   200    # a rep may create any order (then it is its own)
update          403   200    200   403   200
update_other    403   403    403   403   200    # item 8: customer/territory/owner set to the caller's
update_move     403   403    403   403   200    # item 8: own order moved to the other customer/territory
delete          403   403    403   403   202
delete_other    403   403    403   403   202
submit          403   200    200   403   200
submit_other    403   403    403   403   200
cancel          403   200    403   403   200
cancel_other    403   403    403   403   200
amend           403   200    200   403   200
amend_other     403   403    403   403   200    # item 9: amended_from must be readable
""",
    "Sales Order Item": SALES_ORDER_CHILD,
    "Sales Team": SALES_ORDER_CHILD,
    "Selling Settings": NOBODY_SINGLE,

    # --- ERPNext subset: stock --------------------------------------------------------------------
    # Stock levels: partners, reps and admins read them (catalog), nobody writes Bins directly
    "Bin": """
#              guest partner rep  vendor admin
list            403   200    200   403   all
get             403   200    200   403   200
create          403   403    403   403   403
update          403   403    403   403   403
delete          403   403    403   403   403
""",
    # Items: partners, reps and vendors read (DocPerm), admins maintain and approve (README "Roles")
    "Item": """
#              guest partner rep  vendor admin
list            403   200    200   200   all
get             403   200    200   200   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   403
""",
    "Item Barcode": ITEM_CHILD,
    "Item Customer Detail": ITEM_CHILD,
    "Item Default": ITEM_CHILD,
    # Item Prices: partners and reps read them, admins maintain them; a customer-specific price (the
    # `customer` Link) is its customer's: a partner never reads another customer's price
    "Item Price": """
#              guest partner rep  vendor admin
list            403   own    all   403   all
get             403   200    200   403   200
get_other       403   403    200   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
update_move     403   403    403   403   200
delete          403   403    403   403   202
""",
    "Item Reorder": ITEM_CHILD,
    "Item Supplier": ITEM_CHILD,
    "Item Tax": ITEM_CHILD,
    "Item Variant Attribute": ITEM_CHILD,
    "Packed Item": SALES_ORDER_CHILD,
    "Price List": SELLING_MASTER,
    "Stock Entry": NOBODY_SUBMITTABLE,
    "Stock Entry Detail": NOBODY_CHILD,
    "Stock Settings": NOBODY_SINGLE,
    "UOM Conversion Detail": ITEM_CHILD,
    # Warehouses: partners, reps and vendors read (catalog, vendor portal), admins maintain
    "Warehouse": """
#              guest partner rep  vendor admin
list            403   200    200   200   all
get             403   200    200   200   200
create          403   403    403   403   200
update          403   403    403   403   200
delete          403   403    403   403   403
""",

    # --- ERPNext subset: utilities ----------------------------------------------------------------
    "Portal User": CUSTOMER_CHILD,

    # --- MedGrid ----------------------------------------------------------------------------------
    "Centre Research Settings": ADMIN_SINGLE,
    "Exoceuticals Settings": ADMIN_SINGLE,
    # Dispatches follow their Sales Order's row rules (item 12): a rep reads those of its orders only
    "Fulfillment Dispatch": """
#              guest partner rep  vendor admin
list            403   403    own   403   all    # item 12
get             403   403    200   403   200
get_other       403   403    403   403   200    # item 12
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
update_move     403   403    403   403   200
delete          403   403    403   403   202
""",
    "Fulfillment Dispatch Line": """
#              guest partner rep  vendor admin
list            403   403    403   403   403    # item 1
list_parent     403   403    own   403   all    # items 7, 12
get             403   403    200   403   200
get_other       403   403    403   403   200    # item 12
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
delete          403   403    403   403   202
""",
    "MedGrid Integration Log": ADMIN_ONLY,
    "MedGrid Sales Rep": ADMIN_ONLY,
    "MedGrid Sales Rep Territory": ADMIN_CHILD,
    "MedGrid System Settings": ADMIN_SINGLE,
    "MedGrid Webhook Event": ADMIN_ONLY,
    "PerfectRx Settings": ADMIN_SINGLE,
    "SINQ Settings": ADMIN_SINGLE,
    "ShipStation Connection": VENDOR_OWNED,
    "Shopify Connection": VENDOR_OWNED,
    "Shopify OAuth State": ADMIN_ONLY,
    "Vendor Profile": VENDOR_OWNED,
    # issue 14: API key timestamps (written by medgrid.portal.api_access only; admins read them)
    "MedGrid API Key": """
#              guest partner rep  vendor admin
list            403   403    403   403   all
get             403   403    403   403   200
create          403   403    403   403   403
update          403   403    403   403   403
delete          403   403    403   403   403
""",
    # issue 14: vendor payment records — a vendor reads its own, admins manage, reps ("may not access vendor
    # payment records") and partners get nothing
    "Vendor Payout": """
#              guest partner rep  vendor admin
list            403   403    403   own   all
get             403   403    403   200   200
get_other       403   403    403   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
delete          403   403    403   403   202
""",
    "Vendor Payout Line": """
#              guest partner rep  vendor admin
list            403   403    403   403   403    # item 1: no list without parent
list_parent     403   403    403   own   all
get             403   403    403   200   200
get_other       403   403    403   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
delete          403   403    403   403   202
""",
    # issue 14: support requests — each requester reads its own (created through medgrid.support.submit_request),
    # admins work them
    "MedGrid Support Request": """
#              guest partner rep  vendor admin
list            403   own    own   own   all
get             403   200    200   200   200
get_other       403   403    403   403   200
create          403   403    403   403   200
update          403   403    403   403   200
update_other    403   403    403   403   200
delete          403   403    403   403   202
""",
    # issue 14 item 6: onboarding requests — made by anyone through medgrid.onboarding.requests.submit_request
    # (the doctype itself is the admins'), decided by admins
    "Vendor Profile Request": ADMIN_ONLY,
}

# ------------------------------------------------------------------------------------------------ methods
# Whitelisted medgrid.* functions by their own dotted path; the paths hooks.py maps onto them
# (override_whitelisted_methods) are called too and must answer the same. Rows: ``own`` / ``other``
# name the tenant the arguments point at (the caller's own Sales Order or Vendor Profile, or another
# tenant's); ``call`` for methods without a tenant argument.
# Guest: 403 everywhere except the public endpoints (webhooks, OAuth callbacks), which answer a
# signed-in caller exactly as they answer Guest; with a missing/bad signature that is a 4xx.
CATALOG = """
#              guest partner rep  vendor admin
call            403   200    200   403   200    # vendor: the catalog shows prices and stock it may not read
"""
ADMIN_ACTION = """
#              guest partner rep  vendor admin
call            403   403    403   403   200
"""
# Vendor self-service (guide "Self-Service Connection", A6a): a vendor acts for its own Vendor Profile,
# an admin for any vendor it names; nobody else
VENDOR_SELF_SERVICE = """
#              guest partner rep  vendor admin
own             403   403    403   200   200
other           403   403    403   403   200    # vendor_profile of another vendor
"""
PUBLIC_SIGNED = """
#              guest partner rep  vendor admin
call            401   401    401   401   401    # unsigned: refused, never a 500
"""
# OAuth callbacks answer the merchant's browser: a redirect back to /portal/integrations with
# status=error (checked by the test) when the state/HMAC do not verify; nothing is stored
PUBLIC_CALLBACK = """
#              guest partner rep  vendor admin
call            302   302    302   302   302
"""

METHODS: dict[str, str] = {
    # the OpenAPI document of the public endpoints: public, names no tenant data
    "medgrid.api.openapi.get_openapi": """
#              guest partner rep  vendor admin
call            200   200    200   200   200
""",
    "medgrid.catalog.list_warehouses": CATALOG,
    "medgrid.catalog.items_in_warehouse": CATALOG,
    "medgrid.catalog.search_items": CATALOG,
    "medgrid.fulfillment_router.aggregate_shipments": """
#              guest partner rep  vendor admin
own             403   200    200   403   200
other           403   403    403   403   200
""",
    # the /sales-order page's view of one order (vendor routes, carriers, cancel results): as aggregate_shipments
    "medgrid.pages.sales_order_page.order_progress": """
#              guest partner rep  vendor admin
own             403   200    200   403   200
other           403   403    403   403   200
""",
    "medgrid.fulfillment_router.dispatch_vendor": ADMIN_ACTION,
    "medgrid.fulfillment_router.retry_dispatches": ADMIN_ACTION,
    "medgrid.pages.admin.retry_webhook_events": ADMIN_ACTION,
    "medgrid.integrations.exoceuticals.start_install": ADMIN_ACTION,
    "medgrid.integrations.exoceuticals.sync_catalog": """
#              guest partner rep  vendor admin
call            403   403    403   403   417    # admin passes; the matrix site has no Exoceuticals store
""",
    "medgrid.integrations.exoceuticals.sync_inventory": """
#              guest partner rep  vendor admin
call            403   403    403   403   417    # admin passes; the matrix site has no Exoceuticals store
""",
    "medgrid.integrations.exoceuticals.oauth_callback": PUBLIC_CALLBACK,
    "medgrid.integrations.vendor_shopify.shopify_callback": PUBLIC_CALLBACK,
    "medgrid.integrations.shipstation.connect_shipstation": VENDOR_SELF_SERVICE,
    "medgrid.integrations.shipstation.shipstation_status": VENDOR_SELF_SERVICE,
    "medgrid.integrations.shipstation.disconnect_shipstation": VENDOR_SELF_SERVICE,
    "medgrid.integrations.vendor_shopify.shopify_start_install": VENDOR_SELF_SERVICE,
    "medgrid.integrations.vendor_shopify.shopify_status": VENDOR_SELF_SERVICE,
    "medgrid.integrations.vendor_shopify.disconnect_shopify": VENDOR_SELF_SERVICE,
    "medgrid.integrations.vendor_shopify.import_orders": VENDOR_SELF_SERVICE,
    "medgrid.integrations.sync_jobs.sync_shopify_store": VENDOR_SELF_SERVICE,
    "medgrid.integrations.status.list_integrations": VENDOR_SELF_SERVICE,
    "medgrid.webhooks.perfectrx.webhook": PUBLIC_SIGNED,
    "medgrid.webhooks.shipstation.webhook": PUBLIC_SIGNED,
    "medgrid.webhooks.sinq.webhook": PUBLIC_SIGNED,
    "medgrid.webhooks.shopify.webhook": PUBLIC_SIGNED,
    # issue 14: API Access — one's own keys; an admin any user's (``other``: another partner)
    "medgrid.portal.api_access.get_api_access": """
#              guest partner rep  vendor admin
own             403   200    200   200   200
other           403   403    403   403   200
""",
    "medgrid.portal.api_access.generate_api_key": """
#              guest partner rep  vendor admin
own             403   200    200   200   200    # the caller's own pair (the matrix keeps the new secret)
other           403   403    403   403   200
""",
    "medgrid.payouts.create_payouts": ADMIN_ACTION,
    # a support request naming the caller's own order / the other tenant's (a vendor's orders are those
    # routed to it: neither is)
    "medgrid.support.submit_request": """
#              guest partner rep  vendor admin
own             403   200    200   400   200
other           403   400    400   400   200
""",
    "medgrid.support.my_requests": """
#              guest partner rep  vendor admin
call            403   200    200   200   200
""",
    # issue 14 items 2, 3, 8: the catalog team's and the order-flow tools (README "Roles": product approval is
    # the Marketplace Admin's; reps and vendors cannot approve)
    "medgrid.catalog_admin.approval.get_queue": ADMIN_ACTION,
    "medgrid.catalog_admin.approval.approve_items": ADMIN_ACTION,
    "medgrid.catalog_admin.approval.reject_items": ADMIN_ACTION,
    "medgrid.catalog_admin.mapping.get_mapping": ADMIN_ACTION,
    "medgrid.catalog_admin.mapping.save_mapping": ADMIN_ACTION,
    "medgrid.catalog_admin.mapping.export_mapping": ADMIN_ACTION,
    "medgrid.catalog_admin.mapping.import_mapping": ADMIN_ACTION,
    "medgrid.dashboard.order_flow.get_order_flow": ADMIN_ACTION,
    # issue 14 item 6: anyone may ask for a Vendor Profile (a signed-in caller gets the Guest's answer);
    # only admins decide
    "medgrid.onboarding.requests.submit_request": """
#              guest partner rep  vendor admin
call            200   200    200   200   200
""",
    "medgrid.onboarding.requests.approve_request": ADMIN_ACTION,
    "medgrid.onboarding.requests.reject_request": ADMIN_ACTION,
}

# ------------------------------------------------------------------------------------------------ holes
# Cells where today's code answers otherwise: (doctype or method, op, role) → the reason, naming the
# issue item. Each is a strict xfail: when the hole closes the cell XPASSes and the entry must go.
HOLES: dict[tuple[str, str, str], str] = {}

# ------------------------------------------------------------------------------------------------ Desk (issue 13)
# The frappe.* methods the Desk calls, by the same callers (tests/runtime/test_desk_medgrid.py drives
# them). ``own`` / ``other`` as above: the caller's own Sales Order (Demo Clinic Partner, United States)
# or another tenant's (Other Clinic, Canada); ``call`` where no tenant is named. The answers are the REST
# API's for the same data: whoever may not read Sales Orders may not load their meta or forms either.
# ``admin`` is a Marketplace Admin without System Manager: keys of others and the jobs view are refused.
DESK_METHODS: dict[str, str] = {
    "frappe.desk.form.load.getdoctype": """
#              guest partner rep  vendor admin
call            403   200    200   403   200    # doctype=Sales Order
""",
    "frappe.desk.form.load.getdoc": """
#              guest partner rep  vendor admin
own             403   200    200   403   200
other           403   403    403   403   200
""",
    "frappe.desk.search.search_link": """
#              guest partner rep  vendor admin
call            403   200    200   403   200    # doctype=Customer; the rows are the REST list's (checked)
""",
    "frappe.client.validate_link": """
#              guest partner rep  vendor admin
call            403   200    200   403   200    # doctype=Customer
""",
    "frappe.desk.form.save.savedocs": """
#              guest partner rep  vendor admin
own             403   200    200   403   200    # a new draft for the caller's own customer
other           403   403    403   403   200    # the other tenant's draft moved to the caller's customer
""",
    "frappe.desk.form.save.cancel": """
#              guest partner rep  vendor admin
own             403   200    403   403   200    # reps have no cancel right on Sales Order
""",
    "frappe.desk.reportview.get_count": """
#              guest partner rep  vendor admin
call            403   200    200   403   200    # doctype=Sales Order
""",
    "frappe.core.doctype.user.user.generate_keys": """
#              guest partner rep  vendor admin
own             403   200    200   200   200    # the caller's own User
other           403   403    403   403   403    # another user: System Manager only
""",
    "frappe.core.page.background_jobs.background_jobs.get_info": """
#              guest partner rep  vendor admin
call            403   403    403   403   403    # System Manager only
""",
}
