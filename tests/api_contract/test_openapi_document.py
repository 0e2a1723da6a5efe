"""The OpenAPI document kept in the app (``medgrid/api/openapi.json``) against the guide and the app.

No site needed: these checks read the document, the guide's names, the hooks and the code. They keep
the hand-written document from drifting: every endpoint, header, field, status value and error code
the MedGrid API Integration Guide names for MedGrid's own endpoints is in it, every path it lists is a
method the app really whitelists (with the same HTTP methods, public exactly when the app allows
Guest), and its status vocabularies are the app's. ``test_openapi_schemathesis.py`` then checks the
running site against it.
"""

from __future__ import annotations

import json
import os
import re

import pytest

schemathesis = pytest.importorskip("schemathesis")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENT = os.path.join(ROOT, "medgrid", "api", "openapi.json")
GUIDE = os.environ.get("MEDGRID_API_GUIDE", os.path.join(os.path.dirname(ROOT), "shared", "spec",
                                                         "medgrid-api-guide.txt"))
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
METHOD_PREFIX = "/api/method/"

# ---------------------------------------------------------------- what the guide names (copied from it)

# "All Inbound Webhook Endpoints", the catalog, tracking, self-connect and Exoceuticals sections, login
GUIDE_OPERATIONS = {
    ("post", "/api/method/login"),
    ("get", "/api/method/medgrid.catalog.list_warehouses"),
    ("get", "/api/method/medgrid.catalog.items_in_warehouse"),
    ("get", "/api/method/medgrid.catalog.search_items"),
    ("post", "/api/resource/Sales Order"),
    ("put", "/api/resource/Sales Order/{name}"),
    ("get", "/api/resource/Sales Order/{name}"),
    ("post", "/api/method/medgrid.fulfillment_router.aggregate_shipments"),
    ("post", "/api/method/medgrid.integrations.connect_shipstation"),
    ("post", "/api/method/medgrid.integrations.shopify_start_install"),
    ("get", "/api/method/medgrid.integrations.shopify_callback"),
    ("get", "/api/method/medgrid.exoceuticals.oauth_callback"),
    ("post", "/api/method/medgrid.exoceuticals.sync_catalog"),
    ("post", "/api/method/medgrid.exoceuticals.sync_inventory"),
    ("post", "/api/method/medgrid.perfectrx.webhook"),
    ("post", "/api/method/medgrid.shipstation.webhook"),
    ("post", "/api/method/medgrid.sinq.webhook"),
    ("post", "/api/method/medgrid.exoceuticals.webhook"),
}
GUIDE_HEADERS = {
    "/api/method/medgrid.perfectrx.webhook": {"X-PerfectRx-Signature", "X-PerfectRx-Nonce", "X-PerfectRx-Timestamp"},
    "/api/method/medgrid.sinq.webhook": {"key", "X-Webhook-Signature"},
    "/api/method/medgrid.exoceuticals.webhook": {"X-Shopify-Hmac-Sha256"},
}
# "Sales Order Fields Updated" of every vendor and the fields of "Placing an Order" / "Check Order Status"
GUIDE_SALES_ORDER_FIELDS = {
    "customer", "transaction_date", "delivery_date", "currency", "selling_price_list", "items",
    "shipping_address_name", "name", "status", "grand_total", "docstatus",
    "perfectrx_reference_id", "perfectrx_status", "perfectrx_tracking_number", "perfectrx_carrier",
    "perfectrx_tracking_url", "perfectrx_sync_date",
    "shipstation_order_id", "shipstation_status", "shipstation_tracking_number", "shipstation_carrier",
    "shipstation_tracking_url", "shipstation_label_url", "shipstation_sync_date",
    "sinq_reference", "sinq_transaction_id", "sinq_status", "sinq_tracking_number", "sinq_tracking_url",
    "sinq_carrier", "sinq_sync_date",
    "cr_order_id", "cr_status", "cr_tracking_number", "cr_carrier", "cr_tracking_url", "cr_shipping_tier",
    "cr_sync_date",
    "exoceuticals_order_id", "exoceuticals_order_name", "exoceuticals_status", "exoceuticals_tracking_number",
    "exoceuticals_carrier", "exoceuticals_tracking_url", "exoceuticals_sync_date",
}
GUIDE_ORDER_LINE_FIELDS = {"item_code", "qty", "rate", "warehouse"}
GUIDE_SHIPMENT_FIELDS = {"vendor", "vendor_label", "status", "tracking_number", "carrier", "tracking_url"}
GUIDE_CATALOG_ITEM_FIELDS = {"item_code", "item_name", "description", "stock_uom", "rate", "available_qty"}
GUIDE_SEARCH_HIT_FIELDS = {"item_code", "item_name", "rate", "available_qty", "warehouse"}
GUIDE_PRODUCT_MAPPING_FIELDS = {"perfectrx_drug_description", "shipstation_product_id", "sinq_sku",
                                "centre_research_product_id", "exoceuticals_variant_id"}
# the status values of the guide's tables, per field
GUIDE_STATUSES = {
    "status": {"Draft", "To Deliver", "On Hold", "Closed", "Cancelled"},
    "perfectrx_status": {"Received", "Shipped", "Delivered", "Cancelled"},
    "shipstation_status": {"Submitted", "Awaiting Shipment", "Shipped", "Delivered", "Cancelled", "Failed"},
    "sinq_status": {"Synced", "Pending", "Shipped", "Completed", "Cancelled", "Failed"},
    "cr_status": {"Pending", "Processing", "Label Created", "Shipped", "Delivered", "Cancelled", "Refunded",
                  "On Hold"},
    "exoceuticals_status": {"Pending", "Open", "Fulfilled", "Cancelled", "Failed"},
}
GUIDE_PERFECTRX_EVENTS = {"ORDER_RECEIVED", "ORDER_SHIPPED", "ORDER_RESHIPPED", "ORDER_DELIVERED", "ORDER_CANCELED",
                          "PATIENT_CREATION_SUCCESS", "PATIENT_CREATION_FAILURE"}
GUIDE_SHIPSTATION_EVENTS = {"ORDER_NOTIFY", "ITEM_ORDER_NOTIFY", "SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED"}
GUIDE_SINQ_STATUSES = {"synced", "pending", "shipped", "completed", "cancelled", "failed"}
GUIDE_SHOPIFY_TOPICS = {"orders/updated", "orders/cancelled", "orders/fulfilled"}
GUIDE_STATUS_CODES = {"200", "400", "401", "403", "404", "409", "417", "429", "500"}
# README "Choices where the guide is silent" adds 413 (body limits) and the vendor-side 502
README_STATUS_CODES = {"413", "502"}
GUIDE_ERROR_KEYS = {"exc_type", "exception", "_server_messages"}


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def document() -> dict:
    with open(DOCUMENT, encoding="utf-8") as f:
        return json.load(f)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def resolve(document, node):
    """Follow local ``$ref``s (``#/components/...``)."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def parameters(document, path, operation) -> list[dict]:
    shared = document["paths"][path].get("parameters", [])
    return [resolve(document, p) for p in shared + operation.get("parameters", [])]


def properties(document, schema) -> dict:
    schema = resolve(document, schema)
    props = dict(schema.get("properties", {}))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            props.update(properties(document, sub))
    return props


def response_schema(document, path, method, status="200", media="application/json") -> dict:
    response = resolve(document, document["paths"][path][method]["responses"][status])
    return resolve(document, response["content"][media]["schema"])


def all_refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


# ---------------------------------------------------------------- the document itself

def test_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(document).validate()  # raises on a structural error


def test_every_reference_resolves(document):
    for ref in set(all_refs(document)):
        assert ref.startswith("#/"), ref
        resolve(document, {"$ref": ref})  # KeyError names a dangling reference


def test_operation_ids_are_unique(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))


def test_every_error_status_has_a_frappe_shaped_json_body(document):
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            response = resolve(document, response)
            if not status.startswith(("4", "5")) or status == "414":  # 414 comes from the web server
                continue
            schema = resolve(document, response["content"]["application/json"]["schema"])
            assert schema is resolve(document, {"$ref": "#/components/schemas/FrappeError"}), (method, path, status)


def test_frappe_error_has_the_guide_keys(document):
    error = document["components"]["schemas"]["FrappeError"]
    assert GUIDE_ERROR_KEYS <= set(error["properties"])
    assert error["required"] == ["exc_type"]


def test_envelopes_are_frappe_s(document):
    """``/api/method`` answers in ``message``, ``/api/resource`` in ``data`` (as on a real site)."""
    for path, method, operation in operations(document):
        response = resolve(document, operation["responses"].get("200", {}))
        schema = resolve(document, (response.get("content") or {}).get("application/json", {}).get("schema", {}))
        if path == "/api/method/medgrid.api.openapi.get_openapi" or not schema:
            continue
        key = "data" if path.startswith("/api/resource/") else "message"
        assert schema.get("required") == [key], (method, path)


def test_public_operations_are_exactly_the_webhooks_callbacks_login_and_the_document(document):
    public = {path for path, _, op in operations(document) if op.get("security") == []}
    assert public == {
        "/api/method/login", "/api/method/medgrid.api.openapi.get_openapi",
        "/api/method/medgrid.perfectrx.webhook", "/api/method/medgrid.shipstation.webhook",
        "/api/method/medgrid.sinq.webhook", "/api/method/medgrid.exoceuticals.webhook",
        "/api/method/medgrid.integrations.shopify_callback", "/api/method/medgrid.exoceuticals.oauth_callback",
    }
    scheme = document["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    assert "token <api_key>:<api_secret>" in scheme["description"]


# ---------------------------------------------------------------- the guide's names are all there

def test_every_guide_endpoint_is_documented(document):
    documented = {(method, path) for path, method, _ in operations(document)}
    assert GUIDE_OPERATIONS <= documented, sorted(GUIDE_OPERATIONS - documented)


def test_every_method_path_in_the_guide_is_documented(document):
    """Read from the guide itself when it is at hand (``MEDGRID_API_GUIDE`` or ``../shared/spec``)."""
    if not os.path.exists(GUIDE):
        pytest.skip(f"the guide is not at {GUIDE}")
    with open(GUIDE, encoding="utf-8") as f:
        guide = f.read()
    named = set(re.findall(r"/api/method/(medgrid\.[a-z_]+(?:\.[a-z_]+)+|login)\b", guide))
    assert named, "no /api/method paths found in the guide"
    documented = {path[len(METHOD_PREFIX):] for path in document["paths"] if path.startswith(METHOD_PREFIX)}
    # the guide's text lost some line breaks ("medgrid.sinq.webhookkey: {sinq_webhook_key}"): a documented
    # path followed directly by lowercase letters is that path
    missing = [name for name in named if not any(re.fullmatch(re.escape(d) + "[a-z]*", name) for d in documented)]
    assert not missing, sorted(missing)
    assert "/api/resource/Sales Order" in guide and "/api/resource/Sales Order" in document["paths"]


def test_webhook_signature_headers(document):
    for path, names in GUIDE_HEADERS.items():
        operation = document["paths"][path]["post"]
        documented = {p["name"] for p in parameters(document, path, operation) if p["in"] == "header"}
        assert names <= documented, (path, names - documented)


def test_sales_order_fields_and_statuses(document):
    order = document["components"]["schemas"]["SalesOrder"]
    assert GUIDE_SALES_ORDER_FIELDS <= set(order["properties"]), GUIDE_SALES_ORDER_FIELDS - set(order["properties"])
    for field, values in GUIDE_STATUSES.items():
        enum = set(order["properties"][field]["enum"])
        assert values <= enum, (field, values - enum)
    create = properties(document, document["components"]["schemas"]["SalesOrderInput"])
    line = properties(document, document["components"]["schemas"]["SalesOrderItemInput"])
    assert {"customer", "transaction_date", "delivery_date", "currency", "selling_price_list", "items",
            "shipping_address_name"} <= set(create)
    assert GUIDE_ORDER_LINE_FIELDS <= set(line)
    update = properties(document, document["components"]["schemas"]["SalesOrderUpdate"])
    assert update["docstatus"]["enum"] == [0, 1, 2]  # step 2: {"docstatus": 1}


def test_catalog_and_tracking_fields(document):
    items = response_schema(document, "/api/method/medgrid.catalog.items_in_warehouse", "get")
    hits = response_schema(document, "/api/method/medgrid.catalog.search_items", "get")
    assert GUIDE_CATALOG_ITEM_FIELDS <= set(properties(document, items["properties"]["message"]["items"]))
    assert GUIDE_SEARCH_HIT_FIELDS <= set(properties(document, hits["properties"]["message"]["items"]))
    warehouses = response_schema(document, "/api/method/medgrid.catalog.list_warehouses", "get")
    assert {"name", "warehouse_name"} <= set(properties(document, warehouses["properties"]["message"]["items"]))
    shipment = document["components"]["schemas"]["Shipment"]
    assert GUIDE_SHIPMENT_FIELDS == set(shipment["properties"])
    query = {p["name"]: p for p in parameters(document, "/api/method/medgrid.catalog.search_items",
                                               document["paths"]["/api/method/medgrid.catalog.search_items"]["get"])}
    assert query["query"]["required"] and not query["warehouse"]["required"]
    browse = document["paths"]["/api/method/medgrid.catalog.items_in_warehouse"]["get"]
    query = {p["name"]: p for p in parameters(document, "/api/method/medgrid.catalog.items_in_warehouse", browse)}
    assert query["warehouse"]["required"] and not query["price_list"]["required"]
    text = json.dumps(document)
    for field in GUIDE_PRODUCT_MAPPING_FIELDS:
        assert field in text, field


def test_webhook_vocabularies(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["PerfectRxEvent"]["properties"]["event"]["enum"]) == GUIDE_PERFECTRX_EVENTS
    assert GUIDE_SHIPSTATION_EVENTS <= set(schemas["ShipStationNotification"]["properties"]["resource_type"]["enum"])
    flat, nested = schemas["SinqStatusUpdate"]["anyOf"]
    assert set(flat["properties"]["status"]["enum"]) == GUIDE_SINQ_STATUSES
    assert {t.split(".", 1)[1] for t in nested["properties"]["type"]["enum"]} == GUIDE_SINQ_STATUSES
    topic = next(p for p in document["paths"]["/api/method/medgrid.exoceuticals.webhook"]["post"]["parameters"]
                 if p["name"] == "X-Shopify-Topic")
    assert set(topic["schema"]["enum"]) == GUIDE_SHOPIFY_TOPICS


def test_every_status_code_of_the_guide_and_the_readme_is_used(document):
    used = {status for _, _, op in operations(document) for status in op["responses"]}
    assert GUIDE_STATUS_CODES | README_STATUS_CODES <= used, (GUIDE_STATUS_CODES | README_STATUS_CODES) - used


# ---------------------------------------------------------------- the app serves what the document says

def _whitelisted_function(dotted: str):
    """The function the site runs for ``/api/method/<dotted>`` (after ``override_whitelisted_methods``)."""
    import importlib

    import medgrid.hooks

    target = medgrid.hooks.override_whitelisted_methods.get(dotted, dotted)
    module, _, name = target.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_every_documented_method_is_whitelisted_as_documented(document):
    import frappe

    by_path: dict[str, dict] = {}
    for path, method, operation in operations(document):
        if path.startswith(METHOD_PREFIX) and path != "/api/method/login":
            by_path.setdefault(path, {})[method.upper()] = operation
    for path, ops in by_path.items():
        function = _whitelisted_function(path[len(METHOD_PREFIX):])
        assert function in frappe.whitelisted, f"{path} is not whitelisted"
        allowed = frappe.allowed_http_methods_for_whitelisted_func.get(function) or ["GET", "POST", "PUT", "DELETE"]
        assert set(ops) <= set(allowed), (path, set(ops) - set(allowed))
        public = {op.get("security") == [] for op in ops.values()}
        assert public == {function in frappe.guest_methods}, f"{path}: public in the document iff allow_guest"


def test_status_vocabularies_are_the_app_s(document):
    from medgrid.vendors import app_vendor_paths, descriptors_from
    from medgrid.webhooks import perfectrx, shipstation, shopify, sinq

    order = document["components"]["schemas"]["SalesOrder"]["properties"]
    status_fields = {d.order_fields.status: d.statuses.vocabulary
                     for d in descriptors_from(app_vendor_paths(["medgrid"])).values() if d.order_fields.status}
    assert status_fields, "the vendor registry names no Sales Order status field"
    for field, values in status_fields.items():
        assert order[field]["enum"] == ["", *values, None], field
    schemas = document["components"]["schemas"]
    events = set(perfectrx.STATUS_BY_EVENT) | {perfectrx.PATIENT_CREATION_SUCCESS, perfectrx.PATIENT_CREATION_FAILURE}
    assert set(schemas["PerfectRxEvent"]["properties"]["event"]["enum"]) == events
    assert set(schemas["ShipStationNotification"]["properties"]["resource_type"]["enum"]) == set(shipstation.KNOWN_EVENTS)
    assert set(schemas["SinqStatusUpdate"]["anyOf"][0]["properties"]["status"]["enum"]) <= set(sinq.STATUS_MAP)
    headers = {p["name"] for p in document["paths"]["/api/method/medgrid.exoceuticals.webhook"]["post"]["parameters"]}
    assert {shopify.HMAC_HEADER, shopify.SHOP_HEADER, shopify.TOPIC_HEADER, shopify.EVENT_ID_HEADER,
            shopify.WEBHOOK_ID_HEADER, shopify.TRIGGERED_AT_HEADER} == headers
    assert {perfectrx.SIGNATURE_HEADER, perfectrx.NONCE_HEADER, perfectrx.TIMESTAMP_HEADER} == {
        p["name"] for p in document["paths"]["/api/method/medgrid.perfectrx.webhook"]["post"]["parameters"]}
    assert {sinq.KEY_HEADER, sinq.SIGNATURE_HEADER} == {
        p["name"] for p in document["paths"]["/api/method/medgrid.sinq.webhook"]["post"]["parameters"]}
    assert {shipstation.CONNECTION_PARAM, shipstation.TOKEN_PARAM} == {
        p["name"] for p in document["paths"]["/api/method/medgrid.shipstation.webhook"]["post"]["parameters"]}


def test_served_copy_adds_only_the_site_as_first_server(monkeypatch):
    import frappe

    from medgrid.api import openapi

    monkeypatch.setattr(frappe.utils, "get_url", lambda *a, **k: "https://clinic-portal.example")
    served = openapi.document_for_site()
    stored = openapi.load_document()
    assert served["servers"][0] == {"url": "https://clinic-portal.example", "description": "This site"}
    assert served["servers"][1:] == stored["servers"]
    served.pop("servers"), stored.pop("servers")
    assert served == stored
