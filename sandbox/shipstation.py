"""ShipStation V1 ("legacy") sandbox: orders, shipments, warehouses, tags, webhooks.

Follows ``shared/vendors/vendor-facts.md`` §1:

* HTTP Basic auth with a configured API key + secret pair; a wrong pair gets
  ``401 {"message": "Invalid API credentials"}``. Each pair is its own account (own orders).
* **40 requests per minute per key pair**; every authenticated answer carries ``X-Rate-Limit-Limit``,
  ``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset`` (seconds until the window resets); over the
  limit → ``429 {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}``.
* ``POST /orders/createorder`` upserts by ``orderKey`` (only while the order is open) and returns the
  whole Order with its ``orderId``; ``GET /orders``, ``GET /orders/{id}``, ``DELETE /orders/{id}``.
* ``GET /shipments`` with the filters MedGrid uses (``shipDateStart``/``End``, ``storeID``,
  ``batchId``, ``orderId``, ``orderNumber``, ``trackingNumber``, ``includeShipmentItems``, paging).
* ``GET /accounts/listtags``, ``GET /warehouses``, ``GET /stores``; ``POST /webhooks/subscribe``,
  ``GET /webhooks``, ``DELETE /webhooks/{id}``.
* Timeline: an ``awaiting_shipment`` order is shipped (a shipment with ``trackingNumber`` and
  ``carrierCode``, in a new batch), then ``{"resource_url": "<sandbox>/shipments?storeID=…&batchId=…
  &includeShipmentItems=False", "resource_type": "SHIP_NOTIFY"}`` is POSTed — unsigned, as V1 does — to
  every matching SHIP_NOTIFY subscription, else to MedGrid's configured webhook URL (``?token=`` added).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import math
import secrets
from datetime import datetime, timezone
from urllib.parse import urlencode

from sandbox.framework import (FixedWindowLimiter, HTTPError, Request, Response, VendorSandbox, fingerprint,
                               route, truthy)

ORDER_STATUSES = ("awaiting_payment", "awaiting_shipment", "pending_fulfillment", "shipped", "on_hold",
                  "cancelled")
OPEN_STATUSES = ("awaiting_payment", "awaiting_shipment", "pending_fulfillment", "on_hold")
WEBHOOK_EVENTS = ("ORDER_NOTIFY", "ITEM_ORDER_NOTIFY", "SHIP_NOTIFY", "ITEM_SHIP_NOTIFY", "FULFILLMENT_SHIPPED",
                  "FULFILLMENT_REJECTED")
INVALID_CREDENTIALS = {"message": "Invalid API credentials"}
THROTTLED = {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}


def ss_datetime(dt: datetime | None = None) -> str:
    """ShipStation's date-time shape: ``2026-06-01T08:46:27.0000000`` (no zone)."""
    dt = dt or datetime.now(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.0000000")


def public(record: dict) -> dict:
    """A record without the sandbox's private ``_`` keys (what the API shows)."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


def parse_ss_date(value: str) -> datetime | None:
    """Parse the date strings ShipStation accepts (``2026-06-01``, ``2026-06-01 00:00:00``, ISO)."""
    if not value:
        return None
    text = str(value).strip().replace(" ", "T").rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = head + "." + frac[:6]
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return None


class ShipStationSandbox(VendorSandbox):
    """In-memory ShipStation V1 API, one account per configured key pair."""

    name = "shipstation"
    default_port = 9102
    webhook_path = "/api/method/medgrid.shipstation.webhook"
    default_config = {
        # each key pair is one account: {"api_key", "api_secret", "webhook_url"?, "webhook_token"?}
        "accounts": [{"api_key": "sandbox-shipstation-key", "api_secret": "sandbox-shipstation-secret"}],
        "webhook_token": "sandbox-shipstation-webhook-token",  # appended as ?token= to the default webhook URL
        "rate_limit": 40,
        "rate_window": 60,
        "auto_ship": True,              # ship awaiting_shipment orders on the timeline
        "auto_void": False,             # …and void the label one step later
        "order_notify": False,          # also send ORDER_NOTIFY right after an order is created
        "carrier_code": "ups",
        "service_code": "ups_ground",
        "require_country": True,        # shipTo.country is required (V1 Address model)
        "require_item_name": True,      # items[].name is required (V1 OrderItem model)
        # "docs": {WebHookID, HookType, Url, Name}; "id": {"id": n} (older client typings)
        "subscribe_response": "docs",
    }

    def medgrid_settings(self) -> dict:
        acct = self.config["accounts"][0]
        return {"ShipStation Connection": {"base_url": self.base_url, "api_key": acct["api_key"],
                                           "api_secret": acct["api_secret"],
                                           "webhook_token": acct.get("webhook_token") or self.config.get("webhook_token"),
                                           "warehouse_id": "2001705", "store_id": "310001"}}

    def reset_state(self) -> None:
        self._ids = {"order": itertools.count(100000001), "item": itertools.count(500000001),
                     "shipment": itertools.count(200000001), "batch": itertools.count(300001),
                     "webhook": itertools.count(40001), "customer": itertools.count(7000001)}
        self.accounts: dict[str, dict] = {}
        for acct in self.config["accounts"]:
            self.accounts[acct["api_key"]] = self._new_account(acct)
        self.limiter = FixedWindowLimiter(self.config["rate_limit"], self.config["rate_window"])

    def on_config_change(self) -> None:
        self.limiter = FixedWindowLimiter(self.config["rate_limit"], self.config["rate_window"])
        for acct in self.config["accounts"]:
            if acct["api_key"] not in self.accounts:
                self.accounts[acct["api_key"]] = self._new_account(acct)
            else:
                self.accounts[acct["api_key"]]["config"] = acct

    def _new_account(self, acct: dict) -> dict:
        created = ss_datetime()
        origin = {"name": "Skydell Main", "company": "Skydell", "street1": "500 Congress Ave", "street2": None,
                  "street3": None, "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US",
                  "phone": "5125550199", "residential": False, "addressVerified": None}
        return {
            "config": acct, "fingerprint": fingerprint(acct["api_key"]), "orders": {}, "by_key": {},
            "shipments": [], "webhooks": [],
            "stores": [{"storeId": 310001, "storeName": "Manual Orders", "marketplaceId": 0,
                        "marketplaceName": "ShipStation", "accountName": None, "email": None,
                        "integrationUrl": None, "active": True, "companyName": "", "phone": "",
                        "publicEmail": "", "website": "", "refreshDate": created, "lastRefreshAttempt": created,
                        "createDate": created, "modifyDate": created, "autoRefresh": False}],
            "warehouses": [
                {"warehouseId": 2001705, "warehouseName": "Skydell Main", "originAddress": origin,
                 "returnAddress": origin, "createDate": created, "isDefault": True},
                {"warehouseId": 2001706, "warehouseName": "Skydell East",
                 "originAddress": {**origin, "name": "Skydell East", "street1": "1 Harbor Way", "city": "Boston",
                                   "state": "MA", "postalCode": "02110"},
                 "returnAddress": origin, "createDate": created, "isDefault": False},
            ],
            "tags": [{"tagId": 11001, "name": "MedGrid", "color": "#1E90FF"},
                     {"tagId": 11002, "name": "Rx", "color": "#FF4500"},
                     {"tagId": 11003, "name": "Expedite", "color": "#32CD32"}],
        }

    def snapshot(self) -> dict:
        return {"accounts": {a["fingerprint"]: {"orders": list(a["orders"].values()), "shipments": a["shipments"],
                                                "webhooks": a["webhooks"]} for a in self.accounts.values()},
                "orders": [o for a in self.accounts.values() for o in a["orders"].values()],
                "shipments": [s for a in self.accounts.values() for s in a["shipments"]]}

    # ---- auth, rate limit, errors
    def _auth(self, request: Request) -> dict:
        header = request.header("Authorization") or ""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise HTTPError(401, INVALID_CREDENTIALS)
        try:
            key, _, secret = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise HTTPError(401, INVALID_CREDENTIALS) from None
        with self.lock:
            account = self.accounts.get(key)
        if not account or not hmac.compare_digest(secret, str(account["config"]["api_secret"])):
            raise HTTPError(401, INVALID_CREDENTIALS)
        request.client = account["fingerprint"]
        allowed, limit, remaining, reset = self.limiter.check(account["fingerprint"])
        request.rate_headers = {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
                                "X-Rate-Limit-Reset": str(reset)}
        if not allowed:
            raise HTTPError(429, THROTTLED, request.rate_headers)
        return account

    def finalize_response(self, request: Request, response: Response) -> None:
        for name, value in (getattr(request, "rate_headers", None) or {}).items():
            response.headers[name] = value

    def rate_limit_response(self, request: Request) -> Response:
        return Response.json(THROTTLED, 429, {"X-Rate-Limit-Limit": str(self.config["rate_limit"]),
                                              "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "5"})

    def not_found(self, request: Request) -> Response:
        return Response.json({"Message": f"No HTTP resource was found that matches the request URI "
                                         f"'{self.base_url}{request.path}'."}, 404)

    @staticmethod
    def _invalid(errors: dict[str, str]) -> HTTPError:
        return HTTPError(400, {"Message": "The request is invalid.",
                               "ModelState": {k: [v] for k, v in errors.items()}})

    # ---- orders
    @route("POST", r"/orders/createorder")
    def create_order(self, request: Request) -> Response:
        """Create or update (by ``orderKey``) one order; answers the whole Order."""
        account = self._auth(request)
        body = request.json()
        if not isinstance(body, dict):
            raise self._invalid({"apiOrder": "An order object is required."})
        with self.lock:
            order, created = self._upsert(account, body)
        if created and order["orderStatus"] == "awaiting_shipment":
            self._schedule_order(account, order["orderId"])
        return Response.json(public(order))

    def _validate(self, account: dict, body: dict, existing: dict | None) -> None:
        errors = {}
        for field in ("orderNumber", "orderDate", "orderStatus"):
            if body.get(field) in (None, ""):
                errors[f"apiOrder.{field}"] = f"The {field} field is required."
        if body.get("orderNumber") and len(str(body["orderNumber"])) > 50:
            errors["apiOrder.orderNumber"] = "The orderNumber field may be at most 50 characters."
        if body.get("orderDate") and not parse_ss_date(body["orderDate"]):
            errors["apiOrder.orderDate"] = f"Could not convert '{body['orderDate']}' to a date."
        if body.get("orderStatus") and body["orderStatus"] not in ORDER_STATUSES:
            errors["apiOrder.orderStatus"] = f"'{body['orderStatus']}' is not a valid order status."
        ship_to = body.get("shipTo")
        if not isinstance(ship_to, dict):
            errors["apiOrder.shipTo"] = "The shipTo field is required."
        elif self.config.get("require_country") and not ship_to.get("country"):
            errors["apiOrder.shipTo.country"] = "The country field is required."
        elif ship_to.get("country") and len(str(ship_to["country"])) != 2:
            errors["apiOrder.shipTo.country"] = "country must be a 2-letter ISO code."
        items = body.get("items") or []
        if not isinstance(items, list):
            errors["apiOrder.items"] = "items must be a list."
            items = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                errors[f"apiOrder.items[{i}]"] = "An item object is required."
                continue
            if self.config.get("require_item_name") and not item.get("name"):
                errors[f"apiOrder.items[{i}].name"] = "The name field is required."
            if item.get("quantity") is not None and not isinstance(item["quantity"], int):
                errors[f"apiOrder.items[{i}].quantity"] = "quantity must be an integer."
        advanced = body.get("advancedOptions") or {}
        warehouse = advanced.get("warehouseId")
        if warehouse is not None and int(warehouse) not in [w["warehouseId"] for w in account["warehouses"]]:
            errors["apiOrder.advancedOptions.warehouseId"] = f"Warehouse {warehouse} was not found."
        store = advanced.get("storeId")
        if store is not None and not existing and int(store) not in [s["storeId"] for s in account["stores"]]:
            errors["apiOrder.advancedOptions.storeId"] = f"Store {store} was not found."
        if errors:
            raise self._invalid(errors)

    def _upsert(self, account: dict, body: dict) -> tuple[dict, bool]:
        key = body.get("orderKey")
        existing = account["orders"].get(account["by_key"].get(key)) if key else None
        self._validate(account, body, existing)
        if existing and existing["orderStatus"] not in OPEN_STATUSES:
            raise HTTPError(400, {"Message": f"Order {existing['orderId']} is {existing['orderStatus']} "
                                             f"and can no longer be updated."})
        now = ss_datetime()
        order_id = existing["orderId"] if existing else next(self._ids["order"])
        key = key or secrets.token_hex(16)
        items = []
        for item in body.get("items") or []:
            items.append({"orderItemId": next(self._ids["item"]), "lineItemKey": item.get("lineItemKey"),
                          "sku": item.get("sku"), "name": item.get("name"), "imageUrl": item.get("imageUrl"),
                          "weight": item.get("weight"), "quantity": item.get("quantity", 1),
                          "unitPrice": item.get("unitPrice", 0), "taxAmount": item.get("taxAmount"),
                          "shippingAmount": item.get("shippingAmount"),
                          "warehouseLocation": item.get("warehouseLocation"), "options": item.get("options") or [],
                          "productId": item.get("productId"), "fulfillmentSku": item.get("fulfillmentSku"),
                          "adjustment": bool(item.get("adjustment")), "upc": item.get("upc"),
                          "createDate": existing["createDate"] if existing else now, "modifyDate": now})
        goods = sum((i["quantity"] or 0) * float(i["unitPrice"] or 0) for i in items)
        advanced = {"warehouseId": account["warehouses"][0]["warehouseId"], "nonMachinable": False,
                    "saturdayDelivery": False, "containsAlcohol": False, "mergedOrSplit": False, "mergedIds": [],
                    "parentId": None, "storeId": account["stores"][0]["storeId"], "customField1": None,
                    "customField2": None, "customField3": None, "source": None, "billToParty": None,
                    "billToAccount": None, "billToPostalCode": None, "billToCountryCode": None,
                    "billToMyOtherAccount": None, **(body.get("advancedOptions") or {})}
        if existing:  # storeId is fixed at creation
            advanced["storeId"] = existing["advancedOptions"]["storeId"]
        order = {
            "orderId": order_id, "orderNumber": body["orderNumber"], "orderKey": key,
            "orderDate": body["orderDate"], "createDate": existing["createDate"] if existing else now,
            "modifyDate": now, "paymentDate": body.get("paymentDate"), "shipByDate": body.get("shipByDate"),
            "orderStatus": body["orderStatus"],
            "customerId": existing["customerId"] if existing else next(self._ids["customer"]),
            "customerUsername": body.get("customerUsername"), "customerEmail": body.get("customerEmail"),
            "billTo": body.get("billTo") or {}, "shipTo": body["shipTo"], "items": items,
            "orderTotal": round(goods + float(body.get("taxAmount") or 0) + float(body.get("shippingAmount") or 0), 2),
            "amountPaid": body.get("amountPaid", 0), "taxAmount": body.get("taxAmount", 0),
            "shippingAmount": body.get("shippingAmount", 0), "customerNotes": body.get("customerNotes"),
            "internalNotes": body.get("internalNotes"), "gift": bool(body.get("gift")),
            "giftMessage": body.get("giftMessage"), "paymentMethod": body.get("paymentMethod"),
            "requestedShippingService": body.get("requestedShippingService"),
            "carrierCode": body.get("carrierCode"), "serviceCode": body.get("serviceCode"),
            "packageCode": body.get("packageCode"), "confirmation": body.get("confirmation"),
            "shipDate": body.get("shipDate"), "holdUntilDate": None, "weight": body.get("weight"),
            "dimensions": body.get("dimensions"), "insuranceOptions": body.get("insuranceOptions"),
            "internationalOptions": body.get("internationalOptions"), "advancedOptions": advanced,
            "tagIds": body.get("tagIds"), "userId": None, "externallyFulfilled": False,
            "externallyFulfilledBy": None, "labelMessages": None,
            "_updates": existing["_updates"] + 1 if existing else 0,
        }
        account["orders"][order_id] = order
        account["by_key"][key] = order_id
        return order, existing is None

    @route("GET", r"/orders/(?P<order_id>\d+)")
    def get_order(self, request: Request) -> Response:
        account = self._auth(request)
        with self.lock:
            order = account["orders"].get(int(request.params["order_id"]))
        if not order:
            raise HTTPError(404, {"Message": f"Order {request.params['order_id']} was not found."})
        return Response.json(public(order))

    @route("DELETE", r"/orders/(?P<order_id>\d+)")
    def delete_order(self, request: Request) -> Response:
        account = self._auth(request)
        with self.lock:
            order = account["orders"].pop(int(request.params["order_id"]), None)
            if order:
                account["by_key"].pop(order["orderKey"], None)
        self.timeline.clear_key(request.params["order_id"])
        if not order:
            raise HTTPError(404, {"Message": f"Order {request.params['order_id']} was not found."})
        return Response.json({"success": True, "message": "The requested order has been deleted."})

    @route("GET", r"/orders")
    def list_orders(self, request: Request) -> Response:
        account = self._auth(request)
        with self.lock:
            orders = list(account["orders"].values())
        number = request.arg("orderNumber")
        status = request.arg("orderStatus")
        store = request.arg("storeId")
        start, end = parse_ss_date(request.arg("modifyDateStart")), parse_ss_date(request.arg("modifyDateEnd"))
        created_start = parse_ss_date(request.arg("createDateStart"))
        result = []
        for order in orders:
            if number and not str(order["orderNumber"]).startswith(number):  # "starts with", as documented
                continue
            if status and order["orderStatus"] != status:
                continue
            if store and str(order["advancedOptions"]["storeId"]) != str(store):
                continue
            modified = parse_ss_date(order["modifyDate"])
            if (start and modified < start) or (end and modified > end):
                continue
            if created_start and parse_ss_date(order["createDate"]) < created_start:
                continue
            result.append(public(order))
        sort_key = {"OrderDate": "orderDate", "ModifyDate": "modifyDate", "CreateDate": "createDate"}.get(
            request.arg("sortBy") or "", "orderId")
        result.sort(key=lambda o: str(o[sort_key]) if sort_key != "orderId" else o["orderId"],
                    reverse=(request.arg("sortDir") or "ASC").upper() == "DESC")
        return Response.json(self._page(request, result, "orders"))

    @staticmethod
    def _page(request: Request, rows: list, name: str) -> dict:
        try:
            page = max(1, int(request.arg("page") or 1))
            size = min(500, max(1, int(request.arg("pageSize") or 100)))
        except ValueError:
            raise HTTPError(400, {"Message": "page and pageSize must be integers."}) from None
        pages = max(1, math.ceil(len(rows) / size)) if rows else 0
        return {name: rows[(page - 1) * size: page * size], "total": len(rows), "page": page, "pages": pages}

    # ---- shipments
    @route("GET", r"/shipments")
    def list_shipments(self, request: Request) -> Response:
        """List shipments; ``shipmentItems`` stay null unless ``includeShipmentItems=true``."""
        account = self._auth(request)
        with self.lock:
            shipments = [dict(s) for s in account["shipments"]]
        filters = {k: request.arg(k) for k in ("orderId", "orderNumber", "trackingNumber", "carrierCode",
                                               "serviceCode", "batchId", "recipientName", "recipientCountryCode")}
        store = request.arg("storeId")  # matched case-insensitively: storeID / storeId
        ranges = {field: (parse_ss_date(request.arg(f"{field}Start")), parse_ss_date(request.arg(f"{field}End")))
                  for field in ("shipDate", "createDate", "voidDate")}
        include_items = truthy(request.arg("includeShipmentItems", "false"))
        result = []
        for shipment in shipments:
            if filters["orderId"] and str(shipment["orderId"]) != filters["orderId"]:
                continue
            if filters["orderNumber"] and shipment["orderNumber"] != filters["orderNumber"]:
                continue
            if filters["trackingNumber"] and shipment["trackingNumber"] != filters["trackingNumber"]:
                continue
            if filters["carrierCode"] and shipment["carrierCode"] != filters["carrierCode"]:
                continue
            if filters["serviceCode"] and shipment["serviceCode"] != filters["serviceCode"]:
                continue
            if filters["batchId"] and str(shipment["_batchId"]) != filters["batchId"]:
                continue
            if filters["recipientName"] and (shipment["shipTo"] or {}).get("name") != filters["recipientName"]:
                continue
            if filters["recipientCountryCode"] and \
                    (shipment["shipTo"] or {}).get("country") != filters["recipientCountryCode"]:
                continue
            if store and str(shipment["_storeId"]) != str(store):
                continue
            skip = False
            for field, (start, end) in ranges.items():
                if start or end:
                    value = parse_ss_date(shipment.get(field))
                    if value is None or (start and value < start) or (end and value > end):
                        skip = True
            if skip:
                continue
            if not include_items:
                shipment["shipmentItems"] = None
            result.append({k: v for k, v in shipment.items() if not k.startswith("_")})
        sort_key = {"ShipDate": "shipDate", "CreateDate": "createDate"}.get(request.arg("sortBy") or "", "shipmentId")
        result.sort(key=lambda s: str(s[sort_key]) if sort_key != "shipmentId" else s["shipmentId"],
                    reverse=(request.arg("sortDir") or "ASC").upper() == "DESC")
        return Response.json(self._page(request, result, "shipments"))

    # ---- account lookups
    @route("GET", r"/accounts/listtags")
    def list_tags(self, request: Request) -> Response:
        return Response.json(self._auth(request)["tags"])

    @route("GET", r"/warehouses")
    def list_warehouses(self, request: Request) -> Response:
        return Response.json(self._auth(request)["warehouses"])

    @route("GET", r"/stores")
    def list_stores(self, request: Request) -> Response:
        return Response.json(self._auth(request)["stores"])

    # ---- webhooks
    @route("POST", r"/webhooks/subscribe")
    def subscribe(self, request: Request) -> Response:
        """Register a webhook target for one event (optionally limited to one store)."""
        account = self._auth(request)
        body = request.json()
        if not isinstance(body, dict) or not body.get("target_url") or body.get("event") not in WEBHOOK_EVENTS:
            raise HTTPError(400, {"message": f"target_url and event (one of {', '.join(WEBHOOK_EVENTS)}) "
                                             f"are required"})
        with self.lock:
            hook = {"WebHookID": next(self._ids["webhook"]), "HookType": body["event"], "Url": body["target_url"],
                    "Name": body.get("friendly_name"), "StoreID": body.get("store_id"), "SellerID": 0,
                    "IsLabelAPIHook": False, "BulkCopyBatchID": None, "BulkCopyRecordID": None,
                    "Active": True, "WebhookLogs": [], "Seller": None, "Store": None}
            account["webhooks"].append(hook)
        if self.config.get("subscribe_response") == "id":
            return Response.json({"id": hook["WebHookID"]})
        return Response.json({k: hook[k] for k in ("WebHookID", "HookType", "Url", "Name")})

    @route("GET", r"/webhooks")
    def list_webhooks(self, request: Request) -> Response:
        account = self._auth(request)
        with self.lock:
            return Response.json({"webhooks": list(account["webhooks"])})

    @route("DELETE", r"/webhooks/(?P<hook_id>\d+)")
    def unsubscribe(self, request: Request) -> Response:
        account = self._auth(request)
        with self.lock:
            before = len(account["webhooks"])
            account["webhooks"] = [h for h in account["webhooks"] if h["WebHookID"] != int(request.params["hook_id"])]
            removed = before != len(account["webhooks"])
        if not removed:
            raise HTTPError(404, {"message": "Webhook not found"})
        return Response(200, b"", content_type=None)

    # ---- timeline
    def _schedule_order(self, account: dict, order_id: int) -> None:
        steps = []
        if self.config.get("order_notify"):
            steps.append(("ORDER_NOTIFY", lambda: self._notify_order(account, order_id)))
        if self.config.get("auto_ship"):
            steps.append(("SHIP_NOTIFY", lambda: self._ship(account, order_id)))
            if self.config.get("auto_void"):
                steps.append(("void", lambda: self._void(account, order_id)))
        self.schedule(str(order_id), steps)

    def _targets(self, account: dict, event: str, store_id) -> list[str]:
        hooks = [h["Url"] for h in account["webhooks"]
                 if h["HookType"] == event and (h["StoreID"] in (None, "") or str(h["StoreID"]) == str(store_id))]
        if hooks:
            return hooks
        url = account["config"].get("webhook_url") or self.webhook_url
        token = account["config"].get("webhook_token") or self.config.get("webhook_token")
        if url and token:
            url += ("&" if "?" in url else "?") + urlencode({"token": token})
        return [url] if url else [None]

    def _notify(self, account: dict, event: str, resource_url: str, store_id, order_key: str) -> None:
        body = json.dumps({"resource_url": resource_url, "resource_type": event}).encode("utf-8")
        with self.lock:
            targets = self._targets(account, event, store_id)
        for url in targets:
            self.webhooks.send(event, url, body, lambda _b, _t: {}, order=order_key)

    def _notify_order(self, account: dict, order_id: int) -> None:
        with self.lock:
            order = account["orders"].get(order_id)
            if not order:
                return
            store = order["advancedOptions"]["storeId"]
            batch = next(self._ids["batch"])
            order["_importBatch"] = batch
        url = f"{self.public_base_url}/orders?" + urlencode({"storeID": store, "importBatch": batch})
        self._notify(account, "ORDER_NOTIFY", url, store, order["orderKey"])

    def _ship(self, account: dict, order_id: int) -> dict | None:
        """Buy a label for the order: a shipment in a new batch, order → shipped, then SHIP_NOTIFY."""
        with self.lock:
            order = account["orders"].get(order_id)
            if not order or order["orderStatus"] not in OPEN_STATUSES:
                return None
            carrier = order.get("carrierCode") or self.config["carrier_code"]
            tracking = ("1Z" + secrets.token_hex(8).upper()) if carrier.startswith("ups") else \
                "9400" + "".join(str(secrets.randbelow(10)) for _ in range(18))
            batch = next(self._ids["batch"])
            now = datetime.now(timezone.utc)
            shipment = {
                "shipmentId": next(self._ids["shipment"]), "orderId": order_id, "orderKey": order["orderKey"],
                "userId": None, "customerEmail": order["customerEmail"], "orderNumber": order["orderNumber"],
                "createDate": ss_datetime(now), "shipDate": now.strftime("%Y-%m-%d"), "shipmentCost": 7.85,
                "insuranceCost": 0.0, "trackingNumber": tracking, "isReturnLabel": False,
                "batchNumber": str(batch), "carrierCode": carrier,
                "serviceCode": order.get("serviceCode") or self.config["service_code"],
                "packageCode": order.get("packageCode") or "package", "confirmation": order.get("confirmation")
                or "none", "warehouseId": order["advancedOptions"]["warehouseId"], "voided": False,
                "voidDate": None, "marketplaceNotified": False, "notifyErrorMessage": None,
                "shipTo": order["shipTo"], "weight": order.get("weight"), "dimensions": order.get("dimensions"),
                "insuranceOptions": order.get("insuranceOptions"),
                "advancedOptions": {"billToParty": None, "billToAccount": None, "billToPostalCode": None,
                                    "billToCountryCode": None, "storeId": order["advancedOptions"]["storeId"]},
                "shipmentItems": [{k: i[k] for k in ("orderItemId", "lineItemKey", "sku", "name", "imageUrl",
                                                     "weight", "quantity", "unitPrice", "taxAmount",
                                                     "shippingAmount", "warehouseLocation", "options",
                                                     "productId", "fulfillmentSku", "adjustment", "upc")}
                                  for i in order["items"]],
                "labelData": None, "formData": None,
                "_batchId": batch, "_storeId": order["advancedOptions"]["storeId"],
            }
            account["shipments"].append(shipment)
            order["orderStatus"] = "shipped"
            order["shipDate"] = shipment["shipDate"]
            order["modifyDate"] = ss_datetime(now)
            store = shipment["_storeId"]
        url = f"{self.public_base_url}/shipments?" + urlencode(
            {"storeID": store, "batchId": batch, "includeShipmentItems": "False"})
        self._notify(account, "SHIP_NOTIFY", url, store, order["orderKey"])
        return shipment

    def _void(self, account: dict, order_id: int) -> dict | None:
        with self.lock:
            shipment = next((s for s in reversed(account["shipments"]) if s["orderId"] == order_id
                             and not s["voided"]), None)
            if shipment:
                shipment["voided"] = True
                shipment["voidDate"] = ss_datetime()
            return shipment

    # ---- control actions
    def _find(self, payload: dict) -> tuple[dict, dict]:
        ref = str(payload.get("order") or "")
        with self.lock:
            for account in self.accounts.values():
                for order in account["orders"].values():
                    if ref in (str(order["orderId"]), order["orderKey"], order["orderNumber"]):
                        return account, order
        raise HTTPError(404, {"error": f"no order {ref}"})

    def _action_ship(self, payload: dict) -> dict:
        """Ship an order now (order: orderId, orderKey or orderNumber)."""
        account, order = self._find(payload)
        self.timeline.clear_key(str(order["orderId"]))
        return {"shipment": self._ship(account, order["orderId"])}

    def _action_void(self, payload: dict) -> dict:
        """Void the order's latest label (shipment ``voided: true``); no webhook, as in V1."""
        account, order = self._find(payload)
        return {"shipment": self._void(account, order["orderId"])}

    def _action_cancel(self, payload: dict) -> dict:
        """Mark an open order cancelled (its label is never bought)."""
        account, order = self._find(payload)
        self.timeline.clear_key(str(order["orderId"]))
        with self.lock:
            order["orderStatus"] = "cancelled"
            order["modifyDate"] = ss_datetime()
        return {"order": order}

    actions = {"ship": _action_ship, "void": _action_void, "cancel": _action_cancel}
