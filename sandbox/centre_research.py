"""Centre Research Peptides sandbox: the Sales Channel Integration API ("pepapi").

Follows ``shared/vendors/vendor-facts.md`` §5.3 and the MedGrid guide:

* ``X-API-Key`` per sales channel: missing/unknown → 401, inactive channel → 403
  ``Sales Channel is not active``. Envelope ``{"success", "data"}`` / ``{"success": false, "error"}``.
* ``POST /sales-channels/integration/orders`` → ``201 {"success": true, "data": {orderId, orderNumber,
  status: "PENDING", subtotal, shippingAmount, totalAmount, shippingTierApplied, items}}``. Prices sent
  are ignored (the channel price list is used). ``partnerOrderId`` is the per-channel idempotency key:
  a repeat answers success with the existing order (``duplicate_mode: "existing"``) or ``400`` naming
  the existing ``orderId`` (``duplicate_mode: "error"``). An invalid payload (unknown ``variantId``,
  unpriced variant, missing fields) answers ``{"success": false, "error"}`` inside a **200** as the
  guide warns (``invalid_status`` switches to the partner doc's 400).
* ``GET /sales-channels/integration/orders/{orderId or partnerOrderId}`` shows the order moving
  ``PENDING → PROCESSING → LABEL_CREATED → SHIPPED (tracking, carrier, shippingTier) → DELIVERED``
  one step per ``step_delay``. No status webhook exists: MedGrid polls.
* ``DELETE /sales-channels/integration/orders/{partnerOrderId}`` cancels (idempotent).
* ``GET …/products``, ``…/inventory``, ``…/shipping-tiers`` from a seeded catalog.
* Rate limit per key (default 100/min) with ``X-RateLimit-Limit/Remaining/Reset`` (epoch seconds);
  over it → ``429`` with ``Retry-After`` and ``{"success": false, "error": "Rate limit exceeded",
  "retryAfter": n}``.
"""

from __future__ import annotations

import hmac
import itertools
import secrets
import string
import time

from sandbox.framework import (FixedWindowLimiter, HTTPError, Request, Response, VendorSandbox, fingerprint,
                               route, utcnow_iso)

PREFIX = "/sales-channels/integration"
STATUS_FLOW = ("PENDING", "PROCESSING", "LABEL_CREATED", "SHIPPED", "DELIVERED")
DUPLICATE_ERROR = "An order with this partnerOrderId already exists for this channel."

DEFAULT_PRODUCTS = [
    {"id": "cr-prod-bpc157", "name": "BPC-157", "variants": [
        {"id": "cr-variant-id-001", "sku": "CR-BPC157-5MG", "name": "BPC-157 5mg", "price": 45.00, "inventory": 500},
        {"id": "cr-variant-id-004", "sku": "CR-BPC157-10MG", "name": "BPC-157 10mg", "price": 80.00, "inventory": 200},
    ]},
    {"id": "cr-prod-tb500", "name": "TB-500", "variants": [
        {"id": "cr-variant-id-002", "sku": "CR-TB500-5MG", "name": "TB-500 5mg", "price": 52.00, "inventory": 300},
    ]},
    {"id": "cr-prod-ghkcu", "name": "GHK-Cu", "variants": [
        # no channel price: ordering it fails with "Price not configured"
        {"id": "cr-variant-id-003", "sku": "CR-GHKCU-50MG", "name": "GHK-Cu 50mg", "price": None, "inventory": 100},
    ]},
]
DEFAULT_TIERS = [
    {"id": "tier-standard", "uniqueTierId": "STD", "name": "Standard", "minSubtotal": 0, "maxSubtotal": 199.99,
     "shippingRate": 9.95, "serviceName": "UPS Ground"},
    {"id": "tier-free", "uniqueTierId": "FREE", "name": "Free Shipping", "minSubtotal": 200, "maxSubtotal": None,
     "shippingRate": 0.0, "serviceName": "UPS Ground"},
    {"id": "tier-express", "uniqueTierId": "EXP2", "name": "Express", "minSubtotal": 0, "maxSubtotal": None,
     "shippingRate": 29.95, "serviceName": "UPS 2nd Day Air", "autoMatch": False},
]


def cuid() -> str:
    """A CUID-looking id (``c`` + 24 lowercase letters/digits), like the vendor's order ids."""
    return "c" + "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(24))


class CentreResearchSandbox(VendorSandbox):
    """In-memory Centre Research sales-channel API."""

    name = "centre_research"
    default_port = 9104
    default_config = {
        # X-API-Key → {"channel": name, "active": bool}
        "api_keys": {"sandbox-centre-research-key": {"channel": "MedGrid", "active": True}},
        "duplicate_mode": "existing",   # or "error" (400 naming the existing orderId)
        "invalid_status": 200,          # status of {"success": false} answers for invalid payloads
        "rate_limit": 100,
        "rate_window": 60,
        "carrier": "UPS",
        "products": DEFAULT_PRODUCTS,
        "shipping_tiers": DEFAULT_TIERS,
    }

    def medgrid_settings(self) -> dict:
        return {"Centre Research Settings": {"centre_research_api_url": self.base_url,
                                             "centre_research_api_key": next(iter(self.config["api_keys"]))}}

    def reset_state(self) -> None:
        self.orders: dict[str, dict] = {}
        self.by_partner: dict[tuple[str, str], str] = {}
        self._seq = itertools.count(1)
        self.variants = {}
        for product in self.config["products"]:
            for variant in product["variants"]:
                self.variants[variant["id"]] = {**variant, "productId": product["id"], "productName": product["name"],
                                                "reserved": 0}
        self.limiter = FixedWindowLimiter(self.config["rate_limit"], self.config["rate_window"])

    def on_config_change(self) -> None:
        self.limiter = FixedWindowLimiter(self.config["rate_limit"], self.config["rate_window"])

    def snapshot(self) -> dict:
        return {"orders": list(self.orders.values()),
                "inventory": {v["id"]: v["inventory"] - v["reserved"] for v in self.variants.values()}}

    # ---- auth, limits, envelope
    def _auth(self, request: Request) -> str:
        key = request.header("X-API-Key") or ""
        if not key:
            raise HTTPError(401, {"success": False, "error": "API key required"})
        channel = None
        for known, info in self.config["api_keys"].items():
            if hmac.compare_digest(key, known):
                channel = info
        if channel is None:
            raise HTTPError(401, {"success": False, "error": "Invalid API key"})
        request.client = fingerprint(key)
        if not channel.get("active", True):
            raise HTTPError(403, {"success": False, "error": "Sales Channel is not active"})
        allowed, limit, remaining, reset = self.limiter.check(request.client)
        request.rate_headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                                "X-RateLimit-Reset": str(int(time.time()) + reset)}
        if not allowed:
            raise HTTPError(429, {"success": False, "error": "Rate limit exceeded", "retryAfter": max(1, reset)},
                            {**request.rate_headers, "Retry-After": str(max(1, reset))})
        return channel.get("channel", "default")

    def finalize_response(self, request: Request, response: Response) -> None:
        for name, value in (getattr(request, "rate_headers", None) or {}).items():
            response.headers.setdefault(name, value)

    def rate_limit_response(self, request: Request) -> Response:
        return Response.json({"success": False, "error": "Rate limit exceeded", "retryAfter": 2}, 429,
                             {"Retry-After": "2", "X-RateLimit-Limit": str(self.config["rate_limit"]),
                              "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 2)})

    def not_found(self, request: Request) -> Response:
        return Response.json({"success": False, "error": "Not found"}, 404)

    def _invalid(self, error: str, details=None) -> HTTPError:
        body = {"success": False, "error": error}
        if details:
            body["details"] = details
        return HTTPError(int(self.config.get("invalid_status") or 200), body)

    # ---- orders
    @route("POST", PREFIX + r"/orders")
    def create_order(self, request: Request) -> Response:
        """Place an order for the channel (idempotent by ``partnerOrderId``)."""
        channel = self._auth(request)
        body = request.json()
        if not isinstance(body, dict):
            raise self._invalid("Request body must be a JSON object")
        partner_id = str(body.get("partnerOrderId") or "")
        with self.lock:
            existing_id = self.by_partner.get((channel, partner_id)) if partner_id else None
            if existing_id:
                existing = self.orders[existing_id]
                existing["repeats"] += 1
                if self.config.get("duplicate_mode") == "error":
                    raise HTTPError(400, {"success": False, "error": DUPLICATE_ERROR, "orderId": existing_id,
                                          "orderNumber": existing["orderNumber"],
                                          "data": {"orderId": existing_id, "orderNumber": existing["orderNumber"]}})
                return Response.json({"success": True, "data": self._summary(existing)}, 200)
            lines, subtotal, tier = self._validate(body)
            order_id = cuid()
            customer = body["customer"]
            address = {"country": "US", **body["shippingAddress"]}
            order = {
                "orderId": order_id, "orderNumber": f"ORD-{int(time.time() * 1000)}-{next(self._seq)}",
                "partnerOrderId": partner_id, "channel": channel, "status": "PENDING",
                "shipmentRequestStatus": None, "trackingNumber": None, "carrier": None, "trackingUrl": None,
                "subtotal": round(subtotal, 2), "shippingAmount": tier["shippingRate"] if tier else 0.0,
                "totalAmount": round(subtotal + (tier["shippingRate"] if tier else 0.0), 2),
                "shippingTierApplied": self._tier_ref(tier), "customer": customer, "shippingAddress": address,
                "billingAddress": body.get("billingAddress") or address, "items": lines, "shipments": [],
                "trackingEvents": [], "createdAt": utcnow_iso(), "updatedAt": utcnow_iso(), "repeats": 0,
                "request": body,
            }
            for line in lines:
                self.variants[line["variantId"]]["reserved"] += line["quantity"]
            self.orders[order_id] = order
            self.by_partner[(channel, partner_id)] = order_id
        self.schedule(order_id, [(status, lambda s=status: self._progress(order_id, s)) for status in STATUS_FLOW[1:]])
        return Response.json({"success": True, "data": self._summary(order)}, 201)

    def _validate(self, body: dict):
        if not body.get("partnerOrderId"):
            raise self._invalid("partnerOrderId is required")
        customer = body.get("customer")
        if not isinstance(customer, dict) or not customer.get("email"):
            raise self._invalid("customer.email is required")
        address = body.get("shippingAddress")
        if not isinstance(address, dict):
            raise self._invalid("shippingAddress is required")
        missing = [f for f in ("firstName", "lastName", "address1", "city", "state", "zip") if not address.get(f)]
        if missing:
            raise self._invalid("Invalid shipping address", [f"shippingAddress.{f} is required" for f in missing])
        if len(str(address["state"])) != 2:
            raise self._invalid("Invalid shipping address", ["shippingAddress.state must be a 2-letter code"])
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise self._invalid("items must contain at least one item")
        lines, subtotal = [], 0.0
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("variantId"):
                raise self._invalid(f"items[{i}].variantId is required")
            qty = item.get("quantity")
            if not isinstance(qty, int) or qty < 1:
                raise self._invalid(f"items[{i}].quantity must be an integer >= 1")
            ref = str(item["variantId"])
            variant = self.variants.get(ref) or next((v for v in self.variants.values() if v["sku"] == ref), None)
            if variant is None:
                raise self._invalid(f"Variant not found: {ref}")
            if variant["price"] is None:
                raise self._invalid(f"Price not configured for variant {ref}. Tried both ID and SKU lookup.")
            if variant["inventory"] - variant["reserved"] < qty:
                raise self._invalid(f"Insufficient inventory for variant {ref}")
            total = round(variant["price"] * qty, 2)
            subtotal += total
            lines.append({"variantId": variant["id"], "sku": variant["sku"], "quantity": qty,
                          "unitPrice": variant["price"], "totalPrice": total})
        tier = self._pick_tier(body, subtotal)
        return lines, subtotal, tier

    def _pick_tier(self, body: dict, subtotal: float) -> dict | None:
        tiers = self.config["shipping_tiers"]
        wanted = body.get("shippingTierId") or body.get("uniqueTierId")
        if wanted:
            tier = next((t for t in tiers if wanted in (t["id"], t["uniqueTierId"])), None)
            if not tier:
                raise self._invalid(f"Shipping tier not found: {wanted}")
            return tier
        for tier in tiers:
            if tier.get("autoMatch", True) and subtotal >= tier["minSubtotal"] and \
                    (tier["maxSubtotal"] is None or subtotal <= tier["maxSubtotal"]):
                return tier
        return None

    @staticmethod
    def _tier_ref(tier: dict | None) -> dict | None:
        return {k: tier[k] for k in ("id", "uniqueTierId", "name", "serviceName")} if tier else None

    @staticmethod
    def _summary(order: dict) -> dict:
        return {k: order[k] for k in ("orderId", "orderNumber", "status", "subtotal", "shippingAmount",
                                      "totalAmount", "shippingTierApplied", "items")}

    def _find(self, ref: str, channel: str) -> dict | None:
        order = self.orders.get(ref)
        if order and order["channel"] == channel:
            return order
        order_id = self.by_partner.get((channel, ref))
        return self.orders.get(order_id) if order_id else None

    @route("GET", PREFIX + r"/orders/(?P<ref>[^/]+)")
    def get_order(self, request: Request) -> Response:
        """Current status and tracking of one order (by orderId or partnerOrderId)."""
        channel = self._auth(request)
        with self.lock:
            order = self._find(request.params["ref"], channel)
            if not order:
                raise HTTPError(404, {"success": False, "error": "Order not found"})
            data = {k: v for k, v in order.items() if k not in ("request", "repeats", "channel")}
            data["shippingTier"] = order["shippingTierApplied"]
        return Response.json({"success": True, "data": data})

    @route("DELETE", PREFIX + r"/orders/(?P<ref>[^/]+)")
    def cancel_order(self, request: Request) -> Response:
        """Cancel by partnerOrderId (idempotent); an order already shipped cannot be cancelled."""
        channel = self._auth(request)
        with self.lock:
            order = self._find(request.params["ref"], channel)
            if not order:
                raise HTTPError(404, {"success": False, "error": "Order not found"})
            if order["status"] == "CANCELLED":
                return Response.json({"success": True, "data": {"orderId": order["orderId"], "status": "CANCELLED"},
                                      "message": "Order already cancelled"})
            if order["status"] in ("SHIPPED", "DELIVERED", "REFUNDED"):
                raise HTTPError(400, {"success": False, "error": f"Order is {order['status']} and cannot be cancelled"})
            self._set_status(order, "CANCELLED")
            for line in order["items"]:
                self.variants[line["variantId"]]["reserved"] -= line["quantity"]
        self.timeline.clear_key(order["orderId"])
        return Response.json({"success": True, "data": {"orderId": order["orderId"], "status": "CANCELLED"}})

    # ---- catalog
    @route("GET", PREFIX + r"/products")
    def products(self, request: Request) -> Response:
        self._auth(request)
        out = []
        with self.lock:
            for product in self.config["products"]:
                out.append({"id": product["id"], "name": product["name"], "status": "ACTIVE", "variants": [
                    {"id": v["id"], "sku": v["sku"], "name": v["name"], "regularPrice": v["price"],
                     "salePrice": None, "weight": 0.1, "inventory": self.variants[v["id"]]["inventory"]
                     - self.variants[v["id"]]["reserved"], "options": [], "images": []}
                    for v in product["variants"]]})
        return Response.json({"success": True, "data": out})

    @route("GET", PREFIX + r"/inventory")
    def inventory(self, request: Request) -> Response:
        self._auth(request)
        with self.lock:
            rows = [{"variantId": v["id"], "sku": v["sku"], "productId": v["productId"],
                     "productName": v["productName"], "quantity": v["inventory"] - v["reserved"]}
                    for v in self.variants.values()]
        return Response.json({"success": True, "data": rows})

    @route("GET", PREFIX + r"/shipping-tiers")
    def shipping_tiers(self, request: Request) -> Response:
        self._auth(request)
        return Response.json({"success": True, "data": [{k: v for k, v in t.items() if k != "autoMatch"}
                                                        for t in self.config["shipping_tiers"]]})

    # ---- timeline
    def _set_status(self, order: dict, status: str) -> None:
        order["status"] = status
        order["updatedAt"] = utcnow_iso()
        order["trackingEvents"].append({"eventType": status, "description": f"Order {status.lower()}",
                                        "location": None, "city": None, "state": None, "country": None,
                                        "postalCode": None, "occurredAt": utcnow_iso()})

    def _progress(self, order_id: str, status: str) -> None:
        with self.lock:
            order = self.orders.get(order_id)
            if not order or order["status"] in ("CANCELLED", "REFUNDED", "ON_HOLD"):
                return
            if status == "LABEL_CREATED":
                number = "1Z" + secrets.token_hex(8).upper()
                order.update(trackingNumber=number, carrier=self.config["carrier"],
                             trackingUrl=f"https://www.ups.com/track?tracknum={number}",
                             shipmentRequestStatus="LABEL_CREATED")
                order["shipments"].append({"id": cuid(), "carrier": order["carrier"], "trackingNumber": number,
                                           "trackingUrl": order["trackingUrl"], "status": "LABEL_CREATED",
                                           "shippedAt": None, "deliveredAt": None})
            elif status in ("SHIPPED", "DELIVERED") and order["shipments"]:
                shipment = order["shipments"][-1]
                shipment["status"] = status
                shipment["shippedAt" if status == "SHIPPED" else "deliveredAt"] = utcnow_iso()
                order["shipmentRequestStatus"] = status
            self._set_status(order, status)

    # ---- control actions
    def _action_status(self, payload: dict) -> dict:
        """Set a status now: ``{"action": "hold"|"refund"|"status", "order": id, "status": …}``."""
        status = {"hold": "ON_HOLD", "refund": "REFUNDED"}.get(payload.get("action")) or payload.get("status")
        with self.lock:
            ref = str(payload.get("order") or "")
            order = self.orders.get(ref) or next((o for o in self.orders.values() if o["partnerOrderId"] == ref), None)
            if not order:
                raise HTTPError(404, {"error": f"no order {ref}"})
            if status in STATUS_FLOW:
                self._progress(order["orderId"], status)
            else:
                self._set_status(order, status)
        if status not in STATUS_FLOW:
            self.timeline.clear_key(order["orderId"])
        return {"order": order}

    actions = {"hold": _action_status, "refund": _action_status, "status": _action_status}
