"""Issue 12 permission matrix: Guest and the four MedGrid roles × every doctype × every operation, and
× every whitelisted ``medgrid.*`` method, against the expected answers in ``permission_matrix.py``.

Each cell is its own test (id ``<doctype or method>|<operation>|<caller>``). The doctypes and methods
are enumerated from the running site (metadata, ``frappe.whitelisted``, ``override_whitelisted_methods``),
so a new doctype or method without a row fails ``test_every_doctype_has_a_row`` /
``test_every_whitelisted_method_has_a_row``.

The matrix runs on its own site (``matrix.localhost``: the demo data, the API site's users, another
vendor, a second clinic's address, two Vendor Profiles), so its records and edits never reach the
other API tests. Read cells share one record per doctype and tenant; every cell that changes
something gets a fresh record, made directly on the site before the request. Every request is
answered with vendor HTTP mocked (``responses``): nothing leaves the machine.

``MATRIX_REPORT=<file>`` appends every cell's answer (expected, got) as JSON lines: handy to review
the table after a fix.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from urllib.parse import quote, urlencode

import pytest
import responses

from tests.conftest import create_test_site, drop_test_site
from tests.medgrid import permission_matrix as pm
from tests.medgrid.api_site import USERS, ApiSite

SITE = "matrix.localhost"
CALLER = {"guest": None, "partner": "partner", "rep": "rep", "vendor": "vendor", "admin": "admin"}
EMAIL = {role: USERS[key][0] if key else None for role, key in CALLER.items()}
OTHER_USER = USERS["partner2"][0]
VENDOR2 = "vendor2@vendor.example"

# The two tenants (see permission_matrix's docstring)
TENANT = {
    "own": {"customer": "Demo Clinic Partner", "territory": "United States", "owner": USERS["partner"][0],
            "address": "Demo Clinic Partner-Shipping", "vendor_profile": "Matrix Vendor", "vendor_user":
            USERS["vendor"][0]},
    "other": {"customer": "Other Clinic", "territory": "Canada", "owner": USERS["partner2"][0],
              "address": "Other Clinic-Shipping", "vendor_profile": "Other Vendor", "vendor_user": VENDOR2},
}
COMPANY, WAREHOUSE, PRICE_LIST = "Skydell", "Skydell Main - SM", "Standard Selling"
ORDER_ITEM, ORDER_RATE = "ITEM-001", 89.0        # the guide's example line, at its price-list rate
PRICED_ITEM = "ITEM-003"                          # carries the two customer-specific Item Prices
MATRIX_ITEM = "PM-ITEM"                           # parent of the Item child-table rows
MATRIX_REP = "matrix-rep@matrix.example"         # a MedGrid Sales Rep whose rows the matrix may change
MATRIX_PORTAL_USER = "matrix-portal@matrix.example"  # the user a Portal User row names

# The parent a child doctype's rows are made under, where several doctypes hold it (otherwise the
# first doctype, by name, with a table of it)
PARENT = {"Sales Team": "Sales Order", "Dynamic Link": "Address"}


def unique(prefix: str = "pm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# ================================================================================================ site

class MatrixSite(ApiSite):
    """The API site's users and helpers on a site of the matrix's own."""

    @contextlib.contextmanager
    def context(self, user="Administrator"):
        import frappe

        frappe.init(SITE, sites_path=self.sites_path, force=True)
        frappe.connect()
        frappe.set_user(user)
        try:
            yield frappe
            frappe.db.commit()
        finally:
            frappe.destroy()

    def request(self, method, path, user=None, params=None, body=None):
        all_headers = {"X-Frappe-Site-Name": SITE, "Accept": "application/json"}
        if user:
            key, secret = self.keys[user]
            all_headers["Authorization"] = f"token {key}:{secret}"
        if params:
            path = f"{path}?{urlencode(params)}"
        data = None
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        response = self.client.open(path, method=method, headers=all_headers, data=data)
        text = response.get_data(as_text=True)
        try:
            response.json_body = json.loads(text) if text and response.content_type.startswith(
                "application/json") else None
        except ValueError:
            response.json_body = None
        return response


class World:
    """The matrix site, the records the cells point at, and the requests."""

    def __init__(self, site: MatrixSite):
        self.site = site
        self.shared: dict = {}
        self.infos: dict = {}

    # ------------------------------------------------------------------------------------ set-up
    def build(self):
        self.site.build()
        with self.site.context() as frappe:
            insert(frappe, "User", {"email": VENDOR2, "first_name": "vendor2", "send_welcome_email": 0,
                                    "roles": [{"role": "External Vendor"}]})
            insert(frappe, "Address", {"address_title": "Other Clinic", "address_type": "Shipping",
                                       "address_line1": "1 Bay St", "city": "Toronto", "country": "Canada",
                                       "links": [{"link_doctype": "Customer", "link_name": "Other Clinic"}]})
            for which in ("own", "other"):
                t = TENANT[which]
                insert(frappe, "Vendor Profile", {"vendor_name": t["vendor_profile"], "vendor_key": "shipstation",
                                                  "user": t["vendor_user"], "status": "Active"})
                insert(frappe, "Item Price", {"item_code": PRICED_ITEM, "price_list": PRICE_LIST,
                                              "customer": t["customer"], "price_list_rate": 18.0})
            # the matrix submits a few hundred one-unit orders: stock for all of them
            entry = insert(frappe, "Stock Entry", {
                "stock_entry_type": "Material Receipt", "purpose": "Material Receipt", "company": COMPANY,
                "items": [{"item_code": ORDER_ITEM, "qty": 100000, "t_warehouse": WAREHOUSE, "basic_rate": 10}]})
            entry.submit()
            for email in (MATRIX_REP, MATRIX_PORTAL_USER):
                insert(frappe, "User", {"email": email, "first_name": email.split("@")[0], "send_welcome_email": 0})
            insert(frappe, "MedGrid Sales Rep", {"user": MATRIX_REP, "territories": [{"territory": "United States"}]})
            insert(frappe, "Item", {"item_code": MATRIX_ITEM, "item_name": "Matrix item", "item_group": "Products",
                                    "stock_uom": "Nos", "is_stock_item": 0, "is_sales_item": 0})
            # the vendor Shopify app and the Exoceuticals store's app, so installs can start
            settings = frappe.get_single("MedGrid System Settings")
            settings.update({"medgrid_shopify_api_key": "pm-key", "medgrid_shopify_api_secret": "pm-secret",
                             "medgrid_shopify_redirect_uri": "https://matrix.example/api/method/"
                                                             "medgrid.integrations.shopify_callback"})
            settings.flags.ignore_permissions = True
            settings.save()
            exo = frappe.get_single("Exoceuticals Settings")
            exo.update({"shop_domain": "exo-matrix.myshopify.com", "client_id": "pm-exo-id",
                        "client_secret": "pm-exo-secret"})
            exo.flags.ignore_permissions = True
            exo.save()

    def info(self, doctype: str):
        """Kind, parent and tenancy of a doctype (read once)."""
        if doctype not in self.infos:
            with self.site.context() as frappe:
                meta = frappe.get_meta(doctype)
                info = frappe._dict(istable=meta.istable, issingle=meta.issingle, parent=None, field=None,
                                    parent_submittable=False)
                if meta.istable:
                    info.parent, info.field = parent_of(frappe, doctype)
                    info.parent_submittable = bool(frappe.get_meta(info.parent).is_submittable)
            info.tenant = any(o.endswith(("_other", "_move")) for o in pm.grid(pm.DOCTYPES[doctype]))
            self.infos[doctype] = info
        return self.infos[doctype]

    # ------------------------------------------------------------------------------------ targets
    def target(self, doctype: str, role: str, which: str = "own", *, fresh: bool = False, state: str = "draft"):
        """The name of the record a cell points at (a new one when ``fresh``)."""
        key = (doctype, role if doctype in PER_ROLE else None, which, state)
        if not fresh and key in self.shared:
            return self.shared[key]
        with self.site.context() as frappe:
            name = make(frappe, doctype, role, which, state=state, fresh=fresh)
        if not fresh:
            self.shared[key] = name
        return name


# ================================================================================================ makers
# Records are made as Administrator, straight on the site (ignore_permissions).

def insert(frappe, doctype, values, owner=None):
    doc = frappe.get_doc({"doctype": doctype, **values})
    doc.flags.ignore_permissions = True
    doc.insert()
    if owner:
        set_owner(frappe, doctype, doc.name, owner)
    return doc


def set_owner(frappe, doctype, name, owner):
    frappe.db.sql(f"update `tab{doctype}` set `owner`=%s where `name`=%s", (owner, name))


def autofill(frappe, doctype) -> dict:
    """Values for the mandatory fields of ``doctype`` (enough for a row or a record nobody may create)."""
    values = {}
    for df in frappe.get_meta(doctype).fields:
        if not df.reqd or df.fieldtype in ("Table", "Table MultiSelect", "Section Break", "Column Break"):
            continue
        if df.fieldtype == "Link":
            if df.options == "DocType":
                values[df.fieldname] = "Sales Order"
            else:
                values[df.fieldname] = frappe.get_all(df.options, pluck="name", limit=1, order_by="creation asc")[0]
        elif df.fieldtype == "Dynamic Link":
            values[df.fieldname] = TENANT["own"]["customer"]
        elif df.fieldtype == "Select":
            values[df.fieldname] = next(o for o in (df.options or "").split("\n") if o)
        elif df.fieldtype in ("Int", "Float", "Currency", "Percent"):
            values[df.fieldname] = 1
        elif df.fieldtype == "Check":
            values[df.fieldname] = 0
        elif df.fieldtype == "Date":
            values[df.fieldname] = frappe.utils.nowdate()
        else:
            values[df.fieldname] = unique()
    return values


def order_values(frappe, which: str) -> dict:
    t = TENANT[which]
    today = frappe.utils.nowdate()
    return {"doctype": "Sales Order", "customer": t["customer"], "company": COMPANY, "transaction_date": today,
            "delivery_date": frappe.utils.add_days(today, 7), "currency": "USD", "selling_price_list": PRICE_LIST,
            "shipping_address_name": t["address"],
            "items": [{"item_code": ORDER_ITEM, "qty": 1, "rate": ORDER_RATE, "warehouse": WAREHOUSE}]}


def make_order(frappe, which: str, state: str = "draft") -> str:
    doc = insert(frappe, "Sales Order", order_values(frappe, which))
    frappe.flags.medgrid_skip_dispatch = True  # dispatch rows are made by the matrix where it needs them
    try:
        if state in ("submitted", "cancelled"):
            doc.submit()
        if state == "cancelled":
            doc.cancel()
    finally:
        frappe.flags.medgrid_skip_dispatch = False
    set_owner(frappe, "Sales Order", doc.name, TENANT[which]["owner"])
    return doc.name


def make_dispatch(frappe, which: str) -> str:
    return insert(frappe, "Fulfillment Dispatch", _dispatch_values(frappe, None, which)).name


def make_user(frappe, roles=()) -> str:
    email = f"{unique()}@matrix.example"
    insert(frappe, "User", {"email": email, "first_name": email.split("@")[0], "send_welcome_email": 0,
                            "roles": [{"role": r} for r in roles]})
    return email


def existing(frappe, doctype):
    names = frappe.get_all(doctype, pluck="name", limit=1, order_by="creation asc")
    return names[0] if names else insert(frappe, doctype, autofill(frappe, doctype)).name


# doctype → values(frappe, role, which) for a new record of the caller's own tenant (``which="own"``) or
# of the other tenant: the body of a ``create`` cell, and (inserted) a fresh record for cells that change
# one. Doctypes without an entry use their oldest record (made from autofill if there is none): only
# possible while every cell that would change it expects a refusal (``make`` refuses otherwise).
def _address_values(frappe, role, which):
    values = {"address_title": unique(), "address_type": "Shipping", "address_line1": "2 Main St",
              "city": "Austin", "country": "United States"}
    if role != "vendor" or which == "other":  # a vendor's own address is one it made, linked to nothing
        values["links"] = [{"link_doctype": "Customer", "link_name": TENANT[which]["customer"]}]
    return values


def _item_price_values(frappe, role, which):
    item = insert(frappe, "Item", {"item_code": unique("PM-IP"), "item_group": "Products", "stock_uom": "Nos"}).name
    return {"item_code": item, "price_list": PRICE_LIST, "customer": TENANT[which]["customer"],
            "price_list_rate": 10.0}


def _dispatch_values(frappe, role, which):
    order = frappe.get_doc("Sales Order", make_order(frappe, which, "submitted"))
    row = order.items[0]
    return {"sales_order": order.name, "vendor": "centre_research", "vendor_label": "Centre Research",
            "route_key": "centre_research", "status": "Failed",
            "lines": [{"sales_order_item": row.name, "item_code": row.item_code, "qty": row.qty, "rate": row.rate,
                       "warehouse": row.warehouse, "vendor_sku": row.item_code}]}


def _delivered_dispatch(frappe, which):
    """A delivered Centre Research dispatch of the tenant's Vendor Profile (what a Vendor Payout pays)."""
    values = _dispatch_values(frappe, None, which)
    values.update(vendor_profile=TENANT[which]["vendor_profile"], status="Sent", vendor_status="Delivered")
    return insert(frappe, "Fulfillment Dispatch", values).name


def _payout_values(frappe, role, which):
    today = frappe.utils.nowdate()
    return {"vendor_profile": TENANT[which]["vendor_profile"], "period_start": today, "period_end": today,
            "lines": [{"fulfillment_dispatch": _delivered_dispatch(frappe, which)}]}


VALUES = {
    "Vendor Payout": _payout_values,
    "Vendor Profile Request": lambda frappe, role, which: {
        "company_name": unique("Matrix Co"), "contact_name": "Matrix", "email": f"{unique()}@matrix.example",
        "integration_type": "Other"},
    "MedGrid Support Request": lambda frappe, role, which: {
        "subject": unique("Help"), "message": "matrix", "category": "Other",
        "requester": EMAIL[role] if which == "own" and EMAIL[role] else OTHER_USER},
    "Sales Order": lambda frappe, role, which: {k: v for k, v in order_values(frappe, which).items()
                                                if k != "doctype"},
    "Fulfillment Dispatch": _dispatch_values,
    "Customer": lambda frappe, role, which: {"customer_name": unique("Clinic"), "customer_type": "Company",
                                             "customer_group": "Commercial", "territory": TENANT[which]["territory"]},
    "Address": _address_values,
    "Contact": lambda frappe, role, which: {"first_name": unique(),
                                            "email_ids": [{"email_id": f"{unique()}@c.example"}],
                                            "phone_nos": [{"phone": "5125550100"}]},
    "Item": lambda frappe, role, which: {"item_code": unique("PM-I"), "item_name": "Matrix item",
                                         "item_group": "Products", "stock_uom": "Nos"},
    "Item Price": _item_price_values,
    "Price List": lambda frappe, role, which: {"price_list_name": unique("PL"), "currency": "USD", "selling": 1},
    "Warehouse": lambda frappe, role, which: {"warehouse_name": unique("WH"), "company": COMPANY,
                                              "parent_warehouse": "All Warehouses - SM"},
    "Territory": lambda frappe, role, which: {"territory_name": unique("T"), "parent_territory": "All Territories"},
    "Vendor Profile": lambda frappe, role, which: {"vendor_name": unique("Vendor"), "vendor_key": "shipstation",
                                                   "user": TENANT[which]["vendor_user"], "status": "Active"},
    "ShipStation Connection": lambda frappe, role, which: {"vendor_profile": TENANT[which]["vendor_profile"],
                                                           "status": "Disconnected"},
    "Shopify Connection": lambda frappe, role, which: {"shop_domain": f"{unique()}.myshopify.com",
                                                       "vendor_profile": TENANT[which]["vendor_profile"],
                                                       "status": "Disconnected"},
    "MedGrid Sales Rep": lambda frappe, role, which: {"user": make_user(frappe, ["Internal Sales Rep"]),
                                                      "territories": [{"territory": "United States"}]},
    "MedGrid Integration Log": lambda frappe, role, which: {"vendor": "matrix", "status": "Success", "method": "GET",
                                                            "url": "https://example.invalid"},
    "MedGrid Webhook Event": lambda frappe, role, which: {"vendor": "sinq", "dedupe_key": unique(),
                                                          "status": "Processed", "payload": "{}"},
    "Shopify OAuth State": lambda frappe, role, which: {"state": unique(), "purpose": "vendor", "used": 1},
}
# Shared (read) targets that are named records rather than "a record like the others"
SHARED = {
    "Customer": lambda frappe, role, which: TENANT[which]["customer"],
    "Address": lambda frappe, role, which: TENANT[which]["address"],
    "Item Price": lambda frappe, role, which: frappe.db.get_value(
        "Item Price", {"item_code": PRICED_ITEM, "customer": TENANT[which]["customer"]}),
    "Vendor Profile": lambda frappe, role, which: TENANT[which]["vendor_profile"],
    "User": lambda frappe, role, which: EMAIL[role] if which == "own" and EMAIL[role] else OTHER_USER,
}
# Doctypes whose "own" record depends on the caller (owner tenancy, one's own User)
PER_ROLE = {"Contact", "Contact Email", "Contact Phone", "User", "Has Role", "MedGrid Support Request"}


def make(frappe, doctype, role, which, *, state="draft", fresh=False):
    """A record for a cell: shared (``fresh=False``) or new."""
    meta = frappe.get_meta(doctype)
    if meta.issingle:
        return doctype
    if meta.istable:
        return make_row(frappe, doctype, role, which, fresh, state)
    if doctype == "Sales Order":
        return make_order(frappe, which, state)
    if doctype == "Contact":
        return make_contact(frappe, role, which)
    if doctype == "User":
        # a fresh User is a throwaway one (delete); updates point at the caller's own User
        return make_user(frappe) if fresh else SHARED["User"](frappe, role, which)
    if not fresh and doctype in SHARED:
        return SHARED[doctype](frappe, role, which)
    if doctype in VALUES:
        return insert(frappe, doctype, VALUES[doctype](frappe, role, which)).name
    if fresh:
        raise LookupError(f"a cell expects a change to a {doctype}: give it an entry in VALUES")
    return existing(frappe, doctype)


def make_contact(frappe, role, which):
    owner = EMAIL[role] if which == "own" and EMAIL[role] else OTHER_USER
    doc = insert(frappe, "Contact", VALUES["Contact"](frappe, role, which), owner=owner)
    for child in ("Contact Email", "Contact Phone"):
        frappe.db.sql(f"update `tab{child}` set `owner`=%s where `parent`=%s", (owner, doc.name))
    return doc.name


def parent_of(frappe, child: str) -> tuple[str, str]:
    """(parent doctype, table fieldname) of a child doctype."""
    from frappe.model.meta import get_doctype_index

    parents = [PARENT[child]] if child in PARENT else sorted(get_doctype_index())
    for doctype in parents:
        for df in frappe.get_meta(doctype).fields:
            if df.fieldtype in ("Table", "Table MultiSelect") and df.options == child:
                return doctype, df.fieldname
    raise LookupError(f"no parent doctype for {child}")


# Parents named by their tenant (a partner's Customer): their rows always hang off the named record
NAMED_PARENTS = {"Customer"}


def make_row(frappe, child, role, which, fresh, state="draft"):
    """A row of ``child`` under the parent the cell is about (a new parent when ``fresh``; a submittable
    parent in ``state``)."""
    parent_type, field = parent_of(frappe, child)
    if child == "Has Role" and fresh:
        # a throwaway user's row: no cell may strip a caller of its roles
        parent = make_user(frappe, ["Internal Sales Rep"])
    elif frappe.get_meta(parent_type).issingle:
        parent = parent_type
    elif parent_type == "MedGrid Sales Rep" and not fresh:
        parent = MATRIX_REP  # not the rep's own record: a row added there would widen its territories
    elif parent_type == "Item" and not fresh:
        parent = MATRIX_ITEM
    elif parent_type in NAMED_PARENTS or (not fresh and parent_type in SHARED):
        parent = SHARED[parent_type](frappe, role, which)
    elif parent_type in VALUES or parent_type in ("Sales Order", "Contact", "User"):
        parent = make(frappe, parent_type, role, which, fresh=fresh, state=state)
    else:
        parent = existing(frappe, parent_type)
    row = frappe.db.get_value(child, {"parent": parent, "parenttype": parent_type, "parentfield": field}, "name",
                              order_by="idx asc")
    values = ROW_VALUES[child](frappe, which) if child in ROW_VALUES else autofill(frappe, child)
    return row or _insert_row(frappe, child, parent_type, parent, field, values)


def _insert_row(frappe, child, parent_type, parent, field, values):
    idx = frappe.db.sql(f"select count(*) from `tab{child}` where `parent`=%s", (parent,))[0][0] + 1
    row = frappe.get_doc({"doctype": child, "parent": parent, "parenttype": parent_type, "parentfield": field,
                          "idx": idx, **values})
    row.db_insert()
    return row.name


# ================================================================================================ bodies

def create_body(frappe, doctype, role, which, info) -> dict:
    """A body the caller may POST for its own tenant (``which="own"``) or naming the other tenant; a row
    names its parent (a submitted one where the parent is submittable: a line added to a placed order)."""
    if doctype in VALUES:
        return VALUES[doctype](frappe, role, which)
    if info.istable:
        state = "submitted" if info.parent_submittable else "draft"
        parent = frappe.db.get_value(doctype, make_row(frappe, doctype, role, which, False, state), "parent")
        values = ROW_VALUES[doctype](frappe, which) if doctype in ROW_VALUES else autofill(frappe, doctype)
        return {**values, "parent": parent, "parenttype": info.parent, "parentfield": info.field}
    return autofill(frappe, doctype)


# Rows whose autofilled values would not be valid, or would reach past the matrix's own records
ROW_VALUES = {
    "Vendor Payout Line": lambda frappe, which: {"fulfillment_dispatch": _delivered_dispatch(frappe, which)},
    "MedGrid Sales Rep Territory": lambda frappe, which: {"territory": "United States"},
    "Portal User": lambda frappe, which: {"user": MATRIX_PORTAL_USER},
    "Dynamic Link": lambda frappe, which: {"link_doctype": "Customer", "link_name": TENANT[which]["customer"]},
    "Sales Order Item": lambda frappe, which: {"item_code": ORDER_ITEM, "qty": 1, "rate": 0.01, "uom": "Nos",
                                               "conversion_factor": 1, "warehouse": WAREHOUSE,
                                               "delivery_date": frappe.utils.add_days(frappe.utils.nowdate(), 7)},
}


def claim_body(doctype, role, frappe) -> dict:
    """Ownership fields of a record set to the caller's own tenant (``update_other``)."""
    own, email = TENANT["own"], EMAIL[role]
    return {
        "Sales Order": {"customer": own["customer"], "territory": own["territory"],
                        **({"owner": email} if email else {})},
        "Address": {"links": [{"link_doctype": "Customer", "link_name": own["customer"]}]},
        "Dynamic Link": {"link_name": own["customer"]},
        "Contact": {"owner": email} if email else {},
        "Customer": {"territory": own["territory"]},
        "Item Price": {"customer": own["customer"]},
        "Fulfillment Dispatch": {"sales_order": make_order(frappe, "own", "submitted")},
        "Vendor Profile": {"user": email} if email else {},
        "ShipStation Connection": {"vendor_profile": own["vendor_profile"]},
        "Shopify Connection": {"vendor_profile": own["vendor_profile"]},
    }.get(doctype, {})


def move_body(doctype, role, frappe, name) -> dict:
    """Ownership fields of the caller's own record set to the other tenant (``update_move``); for a
    User, the caller's own roles plus System Manager."""
    other = TENANT["other"]
    if doctype == "User":
        roles = [r for r in frappe.get_roles(name) if r not in ("All", "Guest", "Desk User", "Administrator")]
        return {"roles": [{"role": r} for r in roles + [GRANTED_ROLE]]}
    return {
        "Sales Order": {"customer": other["customer"], "territory": other["territory"]},
        "Address": {"links": [{"link_doctype": "Customer", "link_name": other["customer"]}]},
        "Dynamic Link": {"link_name": other["customer"]},
        "Contact": {"owner": OTHER_USER},
        "Customer": {"territory": other["territory"]},
        "Item Price": {"customer": other["customer"]},
        "Fulfillment Dispatch": {"sales_order": make_order(frappe, "other", "submitted")},
        "Vendor Profile": {"user": other["vendor_user"]},
        "ShipStation Connection": {"vendor_profile": other["vendor_profile"]},
        "Shopify Connection": {"vendor_profile": other["vendor_profile"]},
    }.get(doctype, {})


# ================================================================================================ cells

def path(doctype, name=None) -> str:
    return f"/api/resource/{quote(doctype)}" + (f"/{quote(name, safe='')}" if name else "")


def succeeds(expected) -> bool:
    return expected in ("own", "all", "none") or (isinstance(expected, int) and expected < 400)


def run_doctype_cell(world: World, doctype: str, op: str, role: str, expected, hole: bool):
    """Perform ``op`` on ``doctype`` as ``role``: (response, own target, other target)."""
    site, user, info = world.site, CALLER[role], world.info(doctype)
    which = "other" if op.endswith("_other") else "own"
    base = op if op == "list_parent" else op.split("_")[0]
    # A cell that may change a record (it should, or it is a known hole) gets a new one; a refused one
    # points at the shared record, which it must leave as it was.
    fresh = base in ("update", "delete", "submit", "cancel", "amend") and (succeeds(expected) or hole)

    if base in ("list", "list_parent"):
        if info.issingle:
            return site.request("GET", path(doctype), user), None, None
        own = world.target(doctype, role, "own")
        other = world.target(doctype, role, "other") if info.tenant else None
        params = {"fields": json.dumps(["name"]), "limit_page_length": 100,
                  "filters": json.dumps([["name", "in", [n for n in (own, other) if n]]])}
        if base == "list_parent":
            params["parent"] = info.parent
        return site.request("GET", path(doctype), user, params=params), own, other
    if base == "get":
        return site.request("GET", path(doctype, world.target(doctype, role, which)), user), None, None
    if base == "create":
        with site.context() as frappe:
            body = create_body(frappe, doctype, role, which, info)
        return site.request("POST", path(doctype), user, body=body), None, None
    if base == "update":
        # an update of one's User saves the caller's own record (the one shared with it)
        name = world.target(doctype, role, which, fresh=fresh and doctype != "User")
        with site.context() as frappe:
            if op == "update_move":
                body = move_body(doctype, role, frappe, name)
            else:
                body = claim_body(doctype, role, frappe) if which == "other" else {}
            before = ownership(frappe, doctype, name, body) if body else {}
        response = site.request("PUT", path(doctype, name), user, body=body)
        if before:
            with site.context() as frappe:
                after = ownership(frappe, doctype, name, body)
                if doctype == "User" and after.get("roles") and not before["roles"]:
                    _restore_roles(frappe, name)
            if response.status_code >= 400:  # a refusal leaves the stored record as it was
                assert after == before, f"{doctype} {name}: refused with {response.status_code} but {before} → {after}"
            if doctype == "User":  # one's own User may be saved (a DocShare), never with a new role
                assert after == before, f"User {name}: {response.status_code} and {before} → {after}"
        return response, None, None
    if base == "delete":
        # a row is deleted from a submitted parent (where it carries money), else from its parent as it is
        state = "submitted" if info.parent_submittable else "draft"
        name = world.target(doctype, role, which, fresh=fresh, state=state)
        return site.request("DELETE", path(doctype, name), user), None, None
    if base in ("submit", "cancel"):
        state = "draft" if base == "submit" else "submitted"
        name = world.target(doctype, role, which, fresh=fresh, state=state)
        body = {"docstatus": 1 if base == "submit" else 2}
        return site.request("PUT", path(doctype, name), user, body=body), None, None
    if base == "amend":
        cancelled = world.target(doctype, role, which, fresh=fresh, state="cancelled")
        with site.context() as frappe:
            body = create_body(frappe, doctype, role, "own", info)
        body["amended_from"] = cancelled
        return site.request("POST", path(doctype), user, body=body), None, None
    raise ValueError(f"unknown operation {op}")


def ownership(frappe, doctype, name, keys) -> dict:
    """The stored values of the ownership fields ``keys`` (links: the linked names; roles: whether the
    user holds the role an update_move tries to grant)."""
    values = {}
    for key in keys:
        if key == "links":
            values[key] = sorted(frappe.get_all("Dynamic Link", filters={"parent": name, "parenttype": doctype},
                                                pluck="link_name"))
        elif key == "roles":
            values[key] = GRANTED_ROLE in frappe.get_roles(name)
        else:
            values[key] = frappe.db.get_value(doctype, name, key)
    return values


GRANTED_ROLE = "System Manager"  # what an update_move on one's own User tries to grant oneself


def _restore_roles(frappe, user):
    """Take back the role an update_move cell granted (a hole): later cells need the caller as it was."""
    doc = frappe.get_doc("User", user)
    doc.set("roles", [r for r in doc.roles if r.role != GRANTED_ROLE])
    doc.flags.ignore_permissions = True
    doc.save()


def listed_names(response) -> set:
    data = (response.json_body or {}).get("data") or []
    return {row["name"] if isinstance(row, dict) else row[0] for row in data}


def check(expected, response, own=None, other=None, label=""):
    status = response.status_code
    body = response.json_body
    detail = f"{label}: expected {expected}, got {status} {str(body)[:600]}"
    _report(label, expected, status, response, own, other)
    assert status != 500, detail
    if expected == "4xx":
        assert 400 <= status < 500, detail
    elif isinstance(expected, int):
        assert status == expected, detail
    else:
        assert status == 200, detail
        names = listed_names(response)
        if expected == "own":
            assert own in names and (other is None or other not in names), f"{detail}; own={own} other={other}"
        elif expected == "all":
            assert own in names and (other is None or other in names), f"{detail}; own={own} other={other}"
        elif expected == "none":
            assert own not in names and (other is None or other not in names), \
                f"{detail}; own={own} other={other}"
        else:
            raise ValueError(f"unknown answer {expected!r}")


def _report(label, expected, status, response, own, other):
    target = os.environ.get("MATRIX_REPORT")
    if not target:
        return
    names = sorted(listed_names(response)) if response.status_code == 200 and own else None
    with open(target, "a", encoding="utf-8") as f:
        f.write(json.dumps({"cell": label, "expected": expected, "status": status, "names": names, "own": own,
                            "other": other, "exc_type": (response.json_body or {}).get("exc_type")}) + "\n")


# ================================================================================================ methods

LIST_TAGS = "https://ssapi.shipstation.com/accounts/listtags"


def method_call(world: World, method: str, row: str, role: str) -> tuple[str, dict]:
    """(HTTP method, arguments) for one method cell, after making what it needs. Rows ``own`` / ``other``
    point the arguments at the caller's own tenant or another's; public endpoints get unsigned calls."""
    own = row != "other"
    profile = TENANT["own" if own else "other"]["vendor_profile"]
    # the caller names the vendor it acts for (the matrix's vendor user has several profiles)
    vendor_arg = {"vendor_profile": profile}
    short = method.rsplit(".", 1)[-1]
    with world.site.context() as frappe:
        if short == "get_openapi":
            return "GET", {}
        if method.startswith(("medgrid.catalog_admin.", "medgrid.dashboard.", "medgrid.onboarding.")):
            return backoffice_call(frappe, method, short)
        if method.startswith("medgrid.portal.api_access."):
            target = (EMAIL[role] or "Guest") if own else OTHER_USER
            return ("GET" if short == "get_api_access" else "POST"), {"user": target}
        if short == "create_payouts":
            return "POST", {}
        if short == "submit_request":
            return "POST", {"subject": unique("Help"), "message": "matrix",
                            "sales_order": make_order(frappe, "own" if own else "other", "submitted")}
        if short == "my_requests":
            return "GET", {}
        if method.startswith("medgrid.catalog."):
            return "GET", {"list_warehouses": {}, "items_in_warehouse": {"warehouse": WAREHOUSE},
                           "search_items": {"query": "BPC"}}[short]
        if short in ("aggregate_shipments", "order_progress"):
            return "POST", {"sales_order": make_order(frappe, "own" if own else "other", "submitted")}
        if short == "dispatch_vendor":
            name = make_order(frappe, "own", "submitted")
            return "POST", {"sales_order": name, "vendor": "centre_research"}
        if short == "retry_dispatches":
            return "POST", {"names": json.dumps([make_dispatch(frappe, "own")])}
        if short == "retry_webhook_events":
            event = insert(frappe, "MedGrid Webhook Event", {"vendor": "sinq", "dedupe_key": unique(),
                                                             "status": "Failed", "payload": "{}"}).name
            return "POST", {"names": json.dumps([event])}
        if short in ("start_install", "sync_catalog", "sync_inventory") and "exoceuticals" in method:
            return "POST", {}
        if short in ("oauth_callback", "shopify_callback"):
            return "GET", {"shop": "matrix.myshopify.com", "code": "x", "state": "not-a-state", "hmac": "00"}
        if short == "webhook":
            return "POST", {"forged": True}
        if short == "connect_shipstation":
            return "POST", {"api_key": unique(), "api_secret": unique(), **vendor_arg}
        if short == "disconnect_shipstation":
            connection = insert(frappe, "ShipStation Connection", {
                "vendor_profile": profile, "status": "Connected", "api_key": "k", "api_secret": "s"}).name
            return "POST", {"connection": connection, **vendor_arg}
        if short in ("shipstation_status", "shopify_status", "list_integrations"):
            return "GET", vendor_arg
        if short == "shopify_start_install":
            return "POST", {"shop_domain": f"{unique()}.myshopify.com", **vendor_arg}
        if short in ("disconnect_shopify", "import_orders", "sync_shopify_store"):
            shop = f"{unique('shop')}.myshopify.com"
            insert(frappe, "Shopify Connection", {"shop_domain": shop, "vendor_profile": profile,
                                                  "status": "Connected", "access_token": "shpat_x"})
            return "POST", {"shop_domain": shop, **vendor_arg}
    raise LookupError(f"no call set up for {method}")


def backoffice_call(frappe, method: str, short: str) -> tuple[str, dict]:
    """Issue 14 items 2, 3, 6, 8: arguments an admin's call succeeds with (a fresh mapped Item, a fresh
    pending Vendor Profile Request), so a refusal can only be the caller's."""
    if short in ("get_queue", "get_mapping", "export_mapping", "get_order_flow"):
        return "GET", {"get_mapping": {"vendor": "sinq"}, "export_mapping": {"vendor": "sinq"}}.get(short, {})
    if method.startswith("medgrid.catalog_admin."):
        item = insert(frappe, "Item", {"item_code": unique("PM-MAP"), "item_group": "Products", "stock_uom": "Nos",
                                       "fulfillment_vendor": "sinq", "sinq_sku": unique("SQ"),
                                       "medgrid_approved": 0, "medgrid_approval_status": "Pending"}).name
        if short == "save_mapping":
            return "POST", {"item_code": item, "fieldname": "sinq_sku", "value": unique("SQ")}
        if short == "import_mapping":
            return "POST", {"csv_text": f"item_code,sinq_sku\n{item},{unique('SQ')}\n"}
        return "POST", {"names": json.dumps([item]), "reason": "matrix"}
    if short == "submit_request":
        frappe.cache().delete_keys("rl:")  # five roles, one form: the per-IP limit is for real callers
        return "POST", {"company_name": unique("Matrix Co"), "contact_name": "Matrix",
                        "email": f"{unique()}@matrix.example", "integration_type": "Other"}
    request = insert(frappe, "Vendor Profile Request", {"company_name": unique("Matrix Co"), "contact_name": "M",
                                                        "email": f"{unique()}@matrix.example",
                                                        "integration_type": "Other"}).name
    return "POST", {"request": request, "reason": "matrix"}


def run_method_cell(world: World, path_name: str, method: str, row: str, role: str):
    http_method, args = method_call(world, method, row, role)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(LIST_TAGS, json=[])  # ShipStation accepts any key pair
        # every other vendor call (a sync job run at commit) is refused at once: no retries, no network
        for verb in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
            mock.add(verb, re.compile(r"https?://.*"), status=401, json={"errors": "matrix: no vendor here"})
        if http_method == "GET":
            return world.site.request("GET", f"/api/method/{path_name}", CALLER[role], params=args)
        response = world.site.request("POST", f"/api/method/{path_name}", CALLER[role], body=args)
    if short_name(method) == "generate_api_key" and response.status_code == 200:
        # the old secret stopped working: later cells authenticate with the new pair
        answer = response.json_body["message"]
        for key, (email, *_rest) in USERS.items():
            if email == answer["user"]:
                world.site.keys[key] = (answer["api_key"], answer["api_secret"])
    return response


def short_name(method: str) -> str:
    return method.rsplit(".", 1)[-1]


# ================================================================================================ fixtures

@pytest.fixture(scope="session")
def matrix(sites_path):
    conf = create_test_site(sites_path, SITE, apps=("erpnext", "medgrid", "medgrid_fake_vendors"))
    world = World(MatrixSite(sites_path))
    world.build()
    yield world
    drop_test_site(conf)


def _cells(table: dict) -> list:
    params = []
    for subject, text in table.items():
        for op, answers in pm.grid(text).items():
            for role, expected in zip(pm.ROLES, answers):
                reason = pm.HOLES.get((subject, op, role))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                params.append(pytest.param(subject, op, role, expected, id=f"{subject}|{op}|{role}", marks=marks))
    return params


@pytest.mark.parametrize(("doctype", "op", "role", "expected"), _cells(pm.DOCTYPES))
def test_doctype_cell(matrix, doctype, op, role, expected):
    hole = (doctype, op, role) in pm.HOLES
    response, own, other = run_doctype_cell(matrix, doctype, op, role, expected, hole)
    check(expected, response, own, other, label=f"{doctype}|{op}|{role}")


def _method_paths() -> dict:
    """Every path a method row is called by: its own dotted path and the hook paths mapped onto it."""
    from medgrid import hooks

    paths = {m: [m] for m in pm.METHODS}
    for alias, target in (getattr(hooks, "override_whitelisted_methods", None) or {}).items():
        if target in paths and alias.startswith("medgrid."):
            paths[target].append(alias)
    return paths


def _method_cells() -> list:
    params = []
    paths = _method_paths()
    for method, text in pm.METHODS.items():
        for row, answers in pm.grid(text).items():
            for role, expected in zip(pm.ROLES, answers):
                for path_name in paths[method]:
                    reason = pm.HOLES.get((method, row, role)) or pm.HOLES.get((path_name, row, role))
                    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                    params.append(pytest.param(path_name, method, row, role, expected,
                                               id=f"{path_name}|{row}|{role}", marks=marks))
    return params


@pytest.mark.parametrize(("path_name", "method", "row", "role", "expected"), _method_cells())
def test_method_cell(matrix, path_name, method, row, role, expected):
    response = run_method_cell(matrix, path_name, method, row, role)
    check(expected, response, label=f"{path_name}|{row}|{role}")
    if expected == 302:  # an OAuth callback sends the browser back to the portal with the refusal
        assert "status=error" in response.headers.get("Location", ""), response.headers.get("Location")


# ================================================================================================ coverage

def _all_doctypes(frappe) -> dict:
    """doctype → meta for every doctype the installed apps define."""
    try:
        from frappe.model.meta import get_doctype_index

        names = list(get_doctype_index())
    except ImportError:  # a real bench keeps them in tabDocType
        names = frappe.get_all("DocType", pluck="name")
    return {name: frappe.get_meta(name) for name in names}


def _kind(meta) -> str:
    if meta.istable:
        return "child"
    if meta.issingle:
        return "single"
    return "submittable" if meta.is_submittable else "regular"


def test_every_doctype_has_a_row(matrix):
    with matrix.site.context() as frappe:
        metas = _all_doctypes(frappe)
    missing = sorted(set(metas) - set(pm.DOCTYPES))
    assert not missing, "\n".join(f"no expected answer for doctype {name}" for name in missing)
    stale = sorted(set(pm.DOCTYPES) - set(metas))
    assert not stale, f"rows for doctypes the site does not define: {stale}"
    incomplete = []
    for name, meta in metas.items():
        ops = set(pm.grid(pm.DOCTYPES[name]))
        need = set(pm.BASE_OPS[_kind(meta)])
        if name in SHARED or name in PER_ROLE or any(o.endswith(("_other", "_move")) for o in ops):
            need |= set(pm.TENANT_OPS)
        if not need <= ops:
            incomplete.append(f"{name} ({_kind(meta)}): no row for {sorted(need - ops)}")
        unknown = ops - set(pm.BASE_OPS[_kind(meta)]) - {f"{o}_other" for o in pm.BASE_OPS[_kind(meta)]} \
            - {"update_move"}
        if unknown:
            incomplete.append(f"{name}: rows that do not apply to a {_kind(meta)} doctype: {sorted(unknown)}")
    assert not incomplete, "\n".join(incomplete)


def _whitelisted_medgrid() -> set:
    """Dotted paths of the whitelisted functions defined in the medgrid package (every module imported)."""
    import importlib
    import pkgutil

    import frappe

    import medgrid

    for module in pkgutil.walk_packages(medgrid.__path__, "medgrid."):
        importlib.import_module(module.name)
    return {f"{fn.__module__}.{fn.__qualname__}" for fn in frappe.whitelisted
            if getattr(fn, "__module__", "").startswith("medgrid.")}


def test_every_whitelisted_method_has_a_row(matrix):
    from medgrid import hooks

    whitelisted = _whitelisted_medgrid()
    missing = sorted(whitelisted - set(pm.METHODS))
    assert not missing, "\n".join(f"no expected answer for method {name}" for name in missing)
    stale = sorted(set(pm.METHODS) - whitelisted)
    assert not stale, f"rows for methods that are not whitelisted: {stale}"
    overrides = getattr(hooks, "override_whitelisted_methods", None) or {}
    unmapped = sorted(alias for alias, target in overrides.items()
                      if alias.startswith("medgrid.") and target not in pm.METHODS)
    assert not unmapped, f"override_whitelisted_methods paths onto functions without a row: {unmapped}"
