"""(a) The guide's whole partner journey over HTTP: catalog → draft → submit → five vendors → tracking back.

Each sandbox must have received exactly what the guide describes (checked on the sandbox's own record
and request log), the vendors' signed webhooks and MedGrid's status polls must bring the shipments
back, and ``aggregate_shipments`` must show every vendor shipped (or further) with tracking.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.stack import (ADMIN, EXO_WAREHOUSE, MAIN_WAREHOUSE, PARTNER, RX_ORDER_FIELDS, wait_until)

pytestmark = pytest.mark.e2e

# the vendor statuses that mean "shipped or further", per the guide's field tables
SHIPPED_OR_LATER = {
    "shipstation": {"Shipped", "Delivered"},
    "sinq": {"Shipped", "Completed"},
    "centre_research": {"Shipped", "Delivered"},
    "perfectrx": {"Shipped", "Delivered"},
    "exoceuticals": {"Fulfilled"},
}
ADDRESS = {"line1": "123 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "US"}


def _log_bodies(state: dict, endpoint: str, **match) -> list[dict]:
    """Bodies of the logged calls to ``endpoint`` whose top-level fields equal ``match`` (the sandboxes
    are shared by the session's tests: pick this order's calls)."""
    return [e["body"] for e in _log_entries(state, endpoint, **match)]


def _log_entries(state: dict, endpoint: str, **match) -> list[dict]:
    return [e for e in state["log"] if e["endpoint"] == endpoint
            and all((e["body"] or {}).get(k) == v for k, v in match.items())]


def _one(records: list[dict], what: str) -> dict:
    assert len(records) == 1, f"expected exactly one {what}, got {len(records)}: {records}"
    return records[0]


def test_partner_order_reaches_all_five_vendors_and_tracking_comes_back(e2e):
    stack = e2e

    # --- the catalog, as the partner sees it (guide "Catalog & Inventory Endpoints")
    response = stack.method("medgrid.catalog.list_warehouses")
    assert response.status_code == 200
    warehouses = {w["name"] for w in response.json()["message"]}
    assert {MAIN_WAREHOUSE, EXO_WAREHOUSE} <= warehouses

    items = stack.method("medgrid.catalog.items_in_warehouse", warehouse=MAIN_WAREHOUSE).json()["message"]
    by_code = {i["item_code"]: i for i in items}
    assert {"ITEM-001", "ITEM-002", "ITEM-003", "ITEM-004"} <= set(by_code)
    assert by_code["ITEM-001"]["rate"] == 89.0 and by_code["ITEM-001"]["available_qty"] > 0

    found = stack.method("medgrid.catalog.search_items", query="BPC").json()["message"]
    assert [(r["item_code"], r["warehouse"]) for r in found] == [("ITEM-001", MAIN_WAREHOUSE)]

    # --- draft, then submit (guide "Placing an Order")
    so = stack.new_order()
    draft = stack.resource("GET", "Sales Order", so).json()["data"]
    assert draft["docstatus"] == 0 and draft["status"] == "Draft"
    assert [(i["item_code"], i["qty"]) for i in draft["items"]] == [
        ("ITEM-001", 2), ("ITEM-002", 1), ("ITEM-003", 3), ("ITEM-004", 1), ("ITEM-005", 1)]
    submitted = stack.submit_order(so).json()["data"]
    assert submitted["docstatus"] == 1

    dispatches = stack.wait_dispatches(so, count=5, timeout=40)
    assert sorted(d["vendor"] for d in dispatches) == sorted(SHIPPED_OR_LATER)
    assert all(d["attempts"] == 1 and d["vendor_order_id"] for d in dispatches), dispatches

    # --- what each vendor received
    today = date.today().isoformat()
    ss = stack.sandbox("shipstation").state(log="all")
    ss_order = _one([o for o in ss["orders"] if o["orderNumber"] == so], "ShipStation order")
    payload = _one(_log_bodies(ss, "POST /orders/createorder", orderNumber=so), "createorder call")
    assert payload["orderNumber"] == so and payload["orderKey"] == f"{so}-shipstation"
    assert payload["orderDate"].startswith(today) and payload["orderStatus"] == "awaiting_shipment"
    assert payload["customerEmail"] == "jane@clinic.example" and payload["amountPaid"] == 24.5
    assert {k: payload["shipTo"][k] for k in ("street1", "city", "state", "postalCode", "country")} == {
        "street1": "123 Main St", "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US"}
    assert payload["shipTo"]["name"]
    assert [(i["sku"], i["quantity"], i["unitPrice"]) for i in payload["items"]] == [("SS-SYR-5ML", 1, 24.5)]
    assert payload["advancedOptions"]["warehouseId"] == 2001705  # an integer, as ShipStation expects
    assert ss_order["orderKey"] == f"{so}-shipstation" and ss_order["_updates"] == 0
    ss_auth = _log_entries(ss, "POST /orders/createorder", orderNumber=so)[0]
    assert ss_auth["client"] == stack_fingerprint("sandbox-shipstation-key")  # Basic auth with the key pair

    sinq = stack.sandbox("sinq").state(log="all")
    sinq_order = _one([o for o in sinq["orders"] if o["reference"] == so], "SINQ order")
    body = sinq_order["request"]
    assert body["lineItems"] == [{"serviceSKU": "SINQ-ITEM-001", "quantity": 3}]
    address = body["shippingAddress"]
    assert (address["firstName"], address["address1"], address["city"], address["provinceCode"], address["zip"],
            address["countryCode"]) == ("Jane", "123 Main St", "Austin", "TX", "78701", "US")
    assert sinq_order["repeats"] == 0
    assert _one(_log_entries(sinq, "POST /api/receivers/orders/inbound", reference=so),
                "SINQ inbound call")["headers"].get("key") == "<redacted>"  # the key header was sent

    cr = stack.sandbox("centre_research").state(log="all")
    cr_order = _one([o for o in cr["orders"] if o["partnerOrderId"] == so], "Centre Research order")
    body = cr_order["request"]
    assert body["items"] == [{"variantId": "cr-variant-id-001", "quantity": 2}]
    assert (body["customer"]["firstName"], body["customer"]["lastName"], body["customer"]["email"]) == (
        "Jane", "Smith", "jane@clinic.example")
    assert {k: body["shippingAddress"][k] for k in ("address1", "city", "state", "zip", "country")} == {
        "address1": "123 Main St", "city": "Austin", "state": "TX", "zip": "78701", "country": "US"}
    assert cr_order["repeats"] == 0

    prx = stack.sandbox("perfectrx").state(log="all")
    token_calls = _log_bodies(prx, "POST /v1/oauth2/token")  # (the token is cached across orders)
    assert token_calls and all(b["credentials"]["clientId"] == "sandbox-perfectrx-client" for b in token_calls)
    patient = _log_bodies(prx, "POST /v1/patients/create")[-1]
    assert patient["practiceId"] == "PRACTICE-001"
    assert (patient["patient"]["firstName"], patient["patient"]["lastName"], patient["patient"]["dateOfBirth"]) == (
        RX_ORDER_FIELDS["patient_first_name"], RX_ORDER_FIELDS["patient_last_name"], RX_ORDER_FIELDS["patient_dob"])
    rx = _one([o for o in prx["orders"] if o["externalOrderId"] == so], "PerfectRx order")
    assert rx["kind"] == "RX" and rx["repeats"] == 0
    escript = rx["request"]
    assert escript["prescriber"] == {"npi": RX_ORDER_FIELDS["prescriber_npi"],
                                     "firstName": RX_ORDER_FIELDS["prescriber_first_name"],
                                     "lastName": RX_ORDER_FIELDS["prescriber_last_name"]}
    assert [(m["drugDescription"], m["quantity"]) for m in escript["medications"]] == [
        ("Testosterone Cypionate 200mg/ml 10ml vial", 1)]
    assert {k: escript["shipTo"][k] for k in ADDRESS} == ADDRESS
    assert not _log_bodies(prx, "POST /v1/otc/transfer")  # the order's only PerfectRx line is Rx

    shop = stack.sandbox("shopify").state(log="all")
    exo = _one([o for o in shop["orders"] if so in o["tags"]], "Shopify order")
    assert [(li["variant_id"], li["quantity"]) for li in exo["line_items"]] == [("gid://shopify/ProductVariant/1001", 1)]
    assert {"key": "medgrid_sales_order", "value": so} in exo["customAttributes"]
    creates = [b for b in _log_bodies(shop, shop_endpoint(shop)) if "orderCreate" in (b or {}).get("query", "")
               and so in b["variables"]["order"]["tags"]]
    order_input = _one(creates, "orderCreate mutation")["variables"]["order"]
    assert order_input["tags"] == [so]
    assert order_input["shippingAddress"]["provinceCode"] == "TX"

    # --- webhooks (PerfectRx, ShipStation, SINQ, Shopify) and the Centre Research poll bring tracking back
    def all_shipped():
        stack.execute("medgrid.webhooks.reconcile.poll_vendor", "centre_research")  # the 5-minute poll
        rows = stack.shipments(so)
        done = all(r["status"] in SHIPPED_OR_LATER[r["vendor"]] and r["tracking_number"] for r in rows)
        return rows if done and len(rows) == 5 else None

    shipments = wait_until(all_shipped, timeout=45, interval=0.5, what="every vendor shipped")
    tracking = {
        "shipstation": _one([s for s in ss_shipments(stack) if s["orderNumber"] == so], "shipment")["trackingNumber"],
        "sinq": sinq_tracking(stack, so),
        "centre_research": [o for o in stack.sandbox("centre_research").orders() if o["partnerOrderId"] == so][0][
            "trackingNumber"],
        "perfectrx": [o for o in stack.sandbox("perfectrx").orders() if o["externalOrderId"] == so][0]["tracking"][
            "trackingNumber"],
        "exoceuticals": [o for o in stack.sandbox("shopify").orders() if so in o["tags"]][0]["fulfillment_list"][0][
            "tracking"][0]["number"],
    }
    for row in shipments:
        assert row["tracking_number"] == tracking[row["vendor"]], row
        assert row["carrier"], row
        assert row["tracking_url"].startswith("https://") and row["tracking_number"] in row["tracking_url"], row
        assert row["vendor_label"]

    # the vendors' webhooks were all accepted, and each stored once
    for vendor in ("perfectrx", "shipstation", "sinq", "shopify"):
        deliveries = stack.sandbox(vendor).deliveries()
        ours = [d for d in deliveries if so in (d.get("raw") or "") or str(d.get("order") or "").startswith(so)
                or d.get("order") in (rx["referenceId"], exo["id"], f"{so}-shipstation")]
        # (a refused delivery is lost for good: vendors do not retry, guide "Webhook Best Practices")
        assert ours and all(d["status"] == 200 for d in ours), (
            vendor, [(d["event"], d["status"], (d["answer"] or "")[:300]) for d in ours if d["status"] != 200])
    events = stack.webhook_events({"sales_order": so})
    assert events and all(e["status"] in ("Processed", "Ignored") for e in events), events
    assert len({e["dedupe_key"] for e in events}) == len(events)

    # the order document carries the guide's per-vendor fields, for the partner and the admin alike
    doc = stack.resource("GET", "Sales Order", so, user=PARTNER).json()["data"]
    assert doc["shipstation_status"] in SHIPPED_OR_LATER["shipstation"]
    assert doc["shipstation_order_id"] == str(ss_order["orderId"])
    assert doc["sinq_transaction_id"] == sinq_order["transactionId"]
    assert doc["cr_order_id"] == cr_order["orderId"]
    assert doc["perfectrx_reference_id"] == rx["referenceId"]
    assert doc["exoceuticals_order_id"] == exo["id"]
    assert stack.get_doc("Sales Order", so, user=ADMIN)["name"] == so


# ------------------------------------------------------------------------------------------ helpers

def stack_fingerprint(value: str) -> str:
    from tests.e2e.stack import sandbox_fingerprint

    return sandbox_fingerprint(value)


def shop_endpoint(state: dict) -> str:
    return next(e["endpoint"] for e in state["log"] if e["path"].endswith("/graphql.json"))


def ss_shipments(stack) -> list[dict]:
    return stack.sandbox("shipstation").state(log=0)["shipments"]


def sinq_tracking(stack, so: str) -> str:
    order = [o for o in stack.sandbox("sinq").orders() if o["reference"] == so][0]
    return order["tracking"]["trackingNumber"]
