"""Shopify sandbox: OAuth install, Admin GraphQL 2026-04 with the cost bucket, and order webhooks.

One server plays every shop (Exoceuticals and any vendor store). Follows
``shared/vendors/vendor-facts.md`` §2:

* **Shop addressing.** A real shop lives at ``https://<shop>.myshopify.com``; the sandbox cannot, so
  MedGrid's Shopify connection takes an optional *API base URL* and sends
  ``{base}/admin/oauth/authorize``, ``{base}/admin/oauth/access_token`` and
  ``{base}/admin/api/2026-04/graphql.json``. The shop is taken from a ``/shops/<shop>`` path prefix
  (``http://127.0.0.1:9105/shops/acme.myshopify.com`` as base URL), else the ``shop`` query parameter,
  else a ``Host: *.myshopify.com`` header, else ``default_shop``; on the Admin API the access token
  names the shop.
* **OAuth** (authorization-code grant): ``GET /admin/oauth/authorize`` approves at once — or, with
  ``authorize_screen`` on (``SANDBOX_SHOPIFY_AUTHORIZE_SCREEN=1``; the demo sets it), first shows the
  merchant an install screen (app, shop, scopes; "Install app" approves, "Cancel" goes back with
  ``error=access_denied``) — and redirects to ``redirect_uri`` with ``code``, ``hmac``, ``host``, ``shop``, ``state``, ``timestamp``; ``hmac`` is
  hex HMAC-SHA256(app secret, the other parameters sorted and joined as ``k=v`` with ``&``).
  ``POST /admin/oauth/access_token`` (JSON or form) swaps a single-use code for an offline token
  ``{"access_token", "scope"}`` — with ``expiring=1`` (or ``expiring_tokens``) also ``expires_in``,
  ``refresh_token``, ``refresh_token_expires_in``; ``grant_type=refresh_token`` rotates them and
  ``grant_type=client_credentials`` issues a 24 h token.
* **Admin GraphQL** (``X-Shopify-Access-Token``): the schema in ``shopify_schema.graphql`` —
  products, productVariants, inventoryItem(s) with levels and quantities, locations, orders with
  search queries (``updated_at:>…``, ``tag:…``, ``sku:…``), cursor pagination (``first``/``after``,
  ``last``/``before``, at most 250), ``orderCreate`` (``userErrors`` for unknown variants),
  ``orderUpdate``, ``tagsAdd``, ``webhookSubscriptionCreate``/``Delete``. Access scopes are enforced.
* **Cost bucket** per app and shop: ``bucket_size`` (1000) points, ``restore_rate`` (50) per second.
  Every answer carries ``extensions.cost {requestedQueryCost, actualQueryCost, throttleStatus}``; an
  empty bucket answers ``errors[0].extensions.code == "THROTTLED"`` (HTTP ``throttle_status``, 200).
* **Webhooks**: a created order is paid (``orders/updated``) then fulfilled with tracking
  (``orders/fulfilled``, then ``orders/updated``); ``POST /__sandbox/action {"action": "cancel"}``
  sends ``orders/cancelled``. Each delivery carries ``X-Shopify-Topic``, ``X-Shopify-Hmac-Sha256``
  (base64 HMAC-SHA256 of the raw body), ``X-Shopify-Shop-Domain``, ``X-Shopify-API-Version``,
  ``X-Shopify-Webhook-Id``, ``X-Shopify-Event-Id`` and ``X-Shopify-Triggered-At``, to every matching
  subscription (signed with its app's secret) or else to the shop's configured webhook URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import shlex
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from graphql import (GraphQLError, build_schema, execute_sync, get_named_type, get_operation_ast, is_leaf_type,
                     is_list_type, is_non_null_type, parse, validate)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

from sandbox.framework import HTTPError, Request, Response, VendorSandbox, fingerprint, route, utcnow_iso

API_VERSION = "2026-04"
SHOP_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
FULL_SCOPES = "read_products,write_products,read_orders,write_orders,read_inventory,write_inventory,read_locations"
QUANTITY_NAMES = ("available", "on_hand", "committed", "incoming", "reserved", "damaged", "safety_stock",
                  "quality_control")
MUTATION_COST = 10
MAX_PAGE = 250
BASE_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

with open(os.path.join(os.path.dirname(__file__), "shopify_schema.graphql"), encoding="utf-8") as _fh:
    SCHEMA = build_schema(_fh.read())


def shopify_webhook_hmac(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256(secret, raw body)."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def shopify_query_hmac(secret: str, params: dict) -> str:
    """The OAuth callback ``hmac``: hex HMAC-SHA256 over the sorted ``k=v`` pairs other than hmac."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def gid(kind: str, number) -> str:
    """A Shopify global id, e.g. ``gid://shopify/ProductVariant/1001``."""
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: str, kind: str | None = None) -> int | None:
    """The numeric part of a gid (when of ``kind``), else None."""
    match = re.fullmatch(r"gid://shopify/(\w+)/(\d+)(?:\?.*)?", str(value or ""))
    if not match or (kind and match.group(1) != kind):
        return None
    return int(match.group(2))


def iso(dt: datetime) -> str:
    """Shopify's DateTime shape (UTC, seconds, ``Z``)."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_when(value: str) -> datetime | None:
    """Parse a search-query date (``2026-01-01``, ``2026-01-01T00:00:00Z``, with an offset…)."""
    text = str(value).strip().strip("'\"")
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def money(amount: float, currency: str = "USD") -> dict:
    """A MoneyBag with the same shop and presentment amount."""
    value = {"amount": f"{amount:.2f}", "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": dict(value)}


# ----------------------------------------------------------------------------------------------
# search syntax: "updated_at:>2026-01-01 tag:SO-1 -status:cancelled sku:'A B'"

def parse_search(query: str | None) -> list[tuple[bool, str | None, str, str]]:
    """Terms of a Shopify search query as ``(negated, field or None, op, value)``."""
    if not query:
        return []
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    terms = []
    for token in tokens:
        if token.upper() in ("AND", "OR"):
            continue  # OR is treated as AND: the sandbox's connectors never need it
        negated = token.startswith("-") or token.upper().startswith("NOT ")
        token = token.lstrip("-")
        field, sep, value = token.partition(":")
        if not sep:
            terms.append((negated, None, "=", token))
            continue
        op = "="
        for candidate in (">=", "<=", ">", "<"):
            if value.startswith(candidate):
                op, value = candidate, value[len(candidate):]
                break
        terms.append((negated, field.lower(), op, value.strip("'\"")))
    return terms


def _compare(actual, op: str, wanted: str) -> bool:
    if actual is None:
        return False
    if isinstance(actual, datetime):
        when = parse_when(wanted)
        if when is None:
            return False
        if op == "=" and len(wanted.strip("'\"")) == 10:  # a bare date matches the whole day
            return actual.date() == when.date()
        return {"=": actual == when, ">": actual > when, ">=": actual >= when, "<": actual < when,
                "<=": actual <= when}[op]
    if isinstance(actual, (int, float)):
        try:
            number = float(wanted)
        except ValueError:
            return False
        return {"=": actual == number, ">": actual > number, ">=": actual >= number, "<": actual < number,
                "<=": actual <= number}[op]
    if isinstance(actual, (list, tuple)):
        return any(str(a).lower() == wanted.lower() for a in actual)
    text, wanted = str(actual).lower(), wanted.lower()
    if wanted.endswith("*"):
        return text.startswith(wanted[:-1])
    return text == wanted


def search_filter(items: list[dict], query: str | None, fields: dict, text_fields: tuple) -> list[dict]:
    """Keep the items matching every term; ``fields`` maps a search field to a getter."""
    terms = parse_search(query)
    if not terms:
        return items
    out = []
    for item in items:
        ok = True
        for negated, field, op, value in terms:
            if field is None:
                hit = any(value.lower() in str(getter(item) or "").lower() for getter in text_fields)
            elif field in fields:
                hit = _compare(fields[field](item), op, value)
            else:
                continue  # unknown search fields are ignored, as Shopify does (with a warning)
            if hit == negated:
                ok = False
                break
        if ok:
            out.append(item)
    return out


# ----------------------------------------------------------------------------------------------
# connections

def _encode_cursor(number: int) -> str:
    raw = json.dumps({"last_id": number, "last_value": str(number)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded.encode()))["last_id"])
    except (ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}",
                           extensions={"code": "BAD_REQUEST"}) from None


def connection(items: list[dict], first=None, after=None, last=None, before=None, **_ignored) -> dict:
    """A Relay connection over ``items`` (already sorted), paged as Shopify pages."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last", extensions={"code": "BAD_REQUEST"})
    for name, value in (("first", first), ("last", last)):
        if value is not None and (value < 0 or value > MAX_PAGE):
            raise GraphQLError(f"The {name} argument must be between 0 and {MAX_PAGE}",
                               extensions={"code": "BAD_REQUEST"})
    numbers = [parse_gid(it["id"]) for it in items]
    start, end = 0, len(items)
    if after:
        wanted = _decode_cursor(after)
        if wanted not in numbers:
            raise GraphQLError(f"Invalid cursor for current pagination sort: {after}", extensions={"code": "BAD_REQUEST"})
        start = numbers.index(wanted) + 1
    if before:
        wanted = _decode_cursor(before)
        if wanted not in numbers:
            raise GraphQLError(f"Invalid cursor for current pagination sort: {before}", extensions={"code": "BAD_REQUEST"})
        end = numbers.index(wanted)
    window = items[start:end]
    has_next, has_prev = end < len(items), start > 0
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_prev = has_prev or len(window) > last
        window = window[-last:] if last else []
    edges = [{"cursor": _encode_cursor(parse_gid(it["id"])), "node": it} for it in window]
    return {"edges": edges, "nodes": window,
            "pageInfo": {"hasNextPage": has_next, "hasPreviousPage": has_prev,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None}}


# ----------------------------------------------------------------------------------------------
# query cost

def requested_cost(document, operation, variables) -> int:
    """Shopify-style requested cost: objects 1, scalars 0, connections 2 + size × node, mutations 10."""
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    root = SCHEMA.mutation_type if operation.operation.value == "mutation" else SCHEMA.query_type

    def selections(selection_set, parent_type):
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                yield sel, parent_type
            elif isinstance(sel, InlineFragmentNode):
                inner = SCHEMA.get_type(sel.type_condition.name.value) if sel.type_condition else parent_type
                yield from selections(sel.selection_set, inner)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value in fragments:
                frag = fragments[sel.name.value]
                yield from selections(frag.selection_set, SCHEMA.get_type(frag.type_condition.name.value))

    def cost(selection_set, parent_type) -> int:
        total = 0
        for node, owner in selections(selection_set, parent_type):
            name = node.name.value
            fields = getattr(owner, "fields", None) or {}
            if name.startswith("__") or name not in fields:
                continue
            field = fields[name]
            named = get_named_type(field.type)
            if is_leaf_type(named):
                continue
            args = get_argument_values(field, node, variables)
            if named.name.endswith("Connection"):
                size = args.get("first") or args.get("last") or 0
                per_item = 0
                for sub, sub_owner in selections(node.selection_set, named):
                    sub_name = sub.name.value
                    sub_type = get_named_type(sub_owner.fields[sub_name].type) if sub_name in sub_owner.fields else None
                    if sub_name == "nodes" and sub_type:
                        per_item = max(per_item, 1 + cost(sub.selection_set, sub_type))
                    elif sub_name == "edges" and sub_type:
                        per_item = max(per_item, cost(sub.selection_set, sub_type))
                total += 2 + size * per_item
            else:
                inner = field.type.of_type if is_non_null_type(field.type) else field.type
                times = (args.get("first") or 1) if is_list_type(inner) else 1
                total += times * (1 + cost(node.selection_set, named))
        return total

    if operation.operation.value == "mutation":
        return MUTATION_COST * sum(1 for _ in selections(operation.selection_set, root))
    return cost(operation.selection_set, root)


def actual_cost(data, is_mutation: bool, root_fields: int) -> int:
    """Cost of what was really returned (the unused part of the requested cost is refunded)."""
    if is_mutation:
        return MUTATION_COST * root_fields

    def walk(value, key=None) -> int:
        if isinstance(value, list):
            return sum(walk(v) for v in value)
        if not isinstance(value, dict) or key == "pageInfo":
            return 0
        if "edges" in value or "nodes" in value:
            items = value.get("nodes")
            if items is None:
                items = [e.get("node") for e in value.get("edges") or [] if isinstance(e, dict)]
            return 2 + sum(walk(i) for i in items if i is not None)
        return 1 + sum(walk(v, k) for k, v in value.items())

    return sum(walk(v, k) for k, v in (data or {}).items())


class CostBucket:
    """Leaky bucket of query-cost points: ``size`` max, refilled at ``rate`` points per second."""

    def __init__(self, size: float, rate: float):
        self.size, self.rate = float(size), float(rate)
        self.available = float(size)
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.size, self.available + (now - self.updated) * self.rate)
        self.updated = now

    def take(self, cost: int) -> bool:
        """Spend ``cost`` points when the bucket holds them."""
        with self.lock:
            self._refill()
            if self.available < cost:
                return False
            self.available -= cost
            return True

    def refund(self, points: float) -> None:
        with self.lock:
            self._refill()
            self.available = min(self.size, self.available + max(0.0, points))

    def status(self) -> dict:
        with self.lock:
            self._refill()
            return {"maximumAvailable": self.size, "currentlyAvailable": int(self.available),
                    "restoreRate": self.rate}


# ----------------------------------------------------------------------------------------------
# resolvers (attached to the schema once; they find the shop in info.context)

def _ctx(info) -> "ShopifySandbox":
    return info.context["sandbox"]


def _shop(info) -> dict:
    return info.context["shop"]


def _need(info, scope: str) -> None:
    granted = set(info.context["scopes"])
    kind = scope.split("_", 1)[1]
    if scope in granted or (scope.startswith("read_") and f"write_{kind}" in granted):
        return
    field = info.field_name
    raise GraphQLError(f"Access denied for {field} field. Required access: `{scope}` access scope.",
                       extensions={"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                                   "requiredAccess": f"`{scope}` access scope."})


def _sorted(items: list[dict], sort_key: str | None, reverse: bool, keys: dict) -> list[dict]:
    getter = keys.get(sort_key or "ID") or keys["ID"]
    return sorted(items, key=lambda it: (getter(it), parse_gid(it["id"])), reverse=bool(reverse))


def _available(shop: dict, item_id: str) -> int:
    return sum(level["quantities"]["available"] for (iid, _), level in shop["levels"].items() if iid == item_id)


def _product_fields(shop):
    return {"title": lambda p: p["title"], "sku": lambda p: [shop["variants"][v]["sku"] for v in p["variant_ids"]],
            "status": lambda p: p["status"], "vendor": lambda p: p["vendor"],
            "product_type": lambda p: p["productType"], "tag": lambda p: p["tags"],
            "handle": lambda p: p["handle"], "id": lambda p: parse_gid(p["id"]),
            "updated_at": lambda p: parse_when(p["updatedAt"]), "created_at": lambda p: parse_when(p["createdAt"])}


def _variant_fields(shop):
    return {"sku": lambda v: v["sku"], "title": lambda v: v["title"], "barcode": lambda v: v["barcode"],
            "product_id": lambda v: parse_gid(v["product_id"]), "id": lambda v: parse_gid(v["id"]),
            "updated_at": lambda v: parse_when(v["updatedAt"]), "created_at": lambda v: parse_when(v["createdAt"]),
            "inventory_quantity": lambda v: _available(shop, v["inventory_item_id"])}


def _order_fields(shop):
    return {"name": lambda o: o["name"].lstrip("#"), "tag": lambda o: o["tags"], "email": lambda o: o["email"],
            "id": lambda o: parse_gid(o["id"]), "updated_at": lambda o: parse_when(o["updatedAt"]),
            "created_at": lambda o: parse_when(o["createdAt"]), "processed_at": lambda o: parse_when(o["processedAt"]),
            "financial_status": lambda o: (o["displayFinancialStatus"] or "").lower(),
            "fulfillment_status": lambda o: {"FULFILLED": "shipped", "UNFULFILLED": "unshipped"}.get(
                o["displayFulfillmentStatus"], o["displayFulfillmentStatus"].lower()),
            "status": lambda o: ["any", "cancelled" if o["cancelledAt"] else ("closed" if o["closed"] else "open")]}


def _q_products(obj, info, query=None, sortKey="ID", reverse=False, **page):
    _need(info, "read_products")
    shop = _shop(info)
    items = search_filter(list(shop["products"].values()), query, _product_fields(shop), (lambda p: p["title"],))
    items = _sorted(items, sortKey, reverse, {
        "ID": lambda p: 0, "TITLE": lambda p: p["title"], "UPDATED_AT": lambda p: p["updatedAt"],
        "CREATED_AT": lambda p: p["createdAt"], "VENDOR": lambda p: p["vendor"],
        "PRODUCT_TYPE": lambda p: p["productType"], "RELEVANCE": lambda p: 0,
        "INVENTORY_TOTAL": lambda p: sum(_available(shop, shop["variants"][v]["inventory_item_id"])
                                         for v in p["variant_ids"])})
    return connection(items, **page)


def _q_products_count(obj, info, query=None, limit=10000):
    """``productsCount``: EXACT up to ``limit``, else ``limit`` AT_LEAST (as Shopify caps counts)."""
    _need(info, "read_products")
    shop = _shop(info)
    count = len(search_filter(list(shop["products"].values()), query, _product_fields(shop), (lambda p: p["title"],)))
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


def _q_variants(obj, info, query=None, sortKey="ID", reverse=False, **page):
    _need(info, "read_products")
    shop = _shop(info)
    items = search_filter(list(shop["variants"].values()), query, _variant_fields(shop),
                          (lambda v: v["sku"], lambda v: v["title"]))
    items = _sorted(items, sortKey, reverse, {
        "ID": lambda v: 0, "SKU": lambda v: v["sku"] or "", "TITLE": lambda v: v["title"],
        "POSITION": lambda v: v["position"], "NAME": lambda v: v["title"], "RELEVANCE": lambda v: 0,
        "INVENTORY_QUANTITY": lambda v: _available(shop, v["inventory_item_id"])})
    return connection(items, **page)


def _q_inventory_items(obj, info, query=None, reverse=False, **page):
    _need(info, "read_inventory")
    shop = _shop(info)
    items = search_filter(list(shop["items"].values()), query,
                          {"sku": lambda i: i["sku"], "id": lambda i: parse_gid(i["id"]),
                           "updated_at": lambda i: parse_when(i["updatedAt"])}, (lambda i: i["sku"],))
    return connection(_sorted(items, "ID", reverse, {"ID": lambda i: 0}), **page)


def _q_locations(obj, info, query=None, sortKey="NAME", reverse=False, includeInactive=False, **page):
    shop = _shop(info)
    items = [loc for loc in shop["locations"].values() if includeInactive or loc["isActive"]]
    items = search_filter(items, query, {"name": lambda loc: loc["name"]}, (lambda loc: loc["name"],))
    items = _sorted(items, sortKey, reverse, {"ID": lambda loc: 0, "NAME": lambda loc: loc["name"],
                                              "RELEVANCE": lambda loc: 0})
    return connection(items, **page)


def _q_orders(obj, info, query=None, sortKey="PROCESSED_AT", reverse=False, **page):
    _need(info, "read_orders")
    shop = _shop(info)
    items = search_filter(list(shop["orders"].values()), query, _order_fields(shop),
                          (lambda o: o["name"], lambda o: o["email"], lambda o: " ".join(o["tags"])))
    items = _sorted(items, sortKey, reverse, {
        "ID": lambda o: 0, "CREATED_AT": lambda o: o["createdAt"], "UPDATED_AT": lambda o: o["updatedAt"],
        "PROCESSED_AT": lambda o: o["processedAt"], "ORDER_NUMBER": lambda o: o["order_number"],
        "TOTAL_PRICE": lambda o: float(o["totalPriceSet"]["shopMoney"]["amount"]), "RELEVANCE": lambda o: 0})
    return connection(items, **page)


def _q_webhooks(obj, info, topics=None, reverse=False, **page):
    shop = _shop(info)
    items = [w for w in shop["webhooks"].values() if w["app"] == info.context["app"]
             and (not topics or w["topic"] in topics)]
    return connection(_sorted(items, "ID", reverse, {"ID": lambda w: 0}), **page)


def _lookup(info, value: str):
    """Any node of the current shop by gid (None when unknown or of another shop)."""
    shop = _shop(info)
    match = re.fullmatch(r"gid://shopify/(\w+)/(\d+)(?:\?inventory_item_id=(\d+))?", str(value or ""))
    if not match:
        return None
    kind = match.group(1)
    if kind == "InventoryLevel":
        if not match.group(3):
            return None
        _need(info, "read_inventory")
        item = gid("InventoryItem", match.group(3))
        return shop["levels"].get((item, gid("Location", match.group(2))))
    table = {"Product": ("products", "read_products"), "ProductVariant": ("variants", "read_products"),
             "InventoryItem": ("items", "read_inventory"), "Location": ("locations", None),
             "Order": ("orders", "read_orders"), "WebhookSubscription": ("webhooks", None)}.get(kind)
    if kind == "Shop":
        return shop["shop"] if value == shop["shop"]["id"] else None
    if not table:
        return None
    if table[1]:
        _need(info, table[1])
    return shop[table[0]].get(value)


def _node_type(obj, info, _abstract):
    if "quantities" in obj and "item_id" in obj:
        return "InventoryLevel"
    return re.match(r"gid://shopify/(\w+)/", obj["id"]).group(1)


def _quantities(level, info, names):
    unknown = [n for n in names if n not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"The quantity names {unknown} are not valid. Valid names: {', '.join(QUANTITY_NAMES)}",
                           extensions={"code": "BAD_REQUEST"})
    return [{"id": f"gid://shopify/InventoryQuantity/{parse_gid(level['item_id'])}?name={n}&location="
                   f"{parse_gid(level['location_id'])}",
             "name": n, "quantity": level["quantities"][n], "updatedAt": level["updatedAt"]} for n in names]


def _m_order_create(obj, info, order, options=None):
    _need(info, "write_orders")
    return _ctx(info).create_order(_shop(info), order, options or {}, info.context["app"])


def _m_order_update(obj, info, input):
    _need(info, "write_orders")
    sandbox, shop = _ctx(info), _shop(info)
    found = shop["orders"].get(input["id"])
    if not found:
        return {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist"}]}
    for key in ("email", "note", "poNumber", "tags"):
        if key in input:
            found[key] = input[key]
    if "customAttributes" in input:
        found["customAttributes"] = [{"key": a["key"], "value": a["value"]} for a in input["customAttributes"]]
    if input.get("shippingAddress"):
        found["shippingAddress"] = sandbox.address(input["shippingAddress"])
    sandbox.touch(shop, found, api_update=True)
    return {"order": found, "userErrors": []}


def _m_tags_add(obj, info, id, tags):
    sandbox, shop = _ctx(info), _shop(info)
    kind = re.match(r"gid://shopify/(\w+)/", id or "")
    target = _lookup(info, id)
    if not target or not kind or kind.group(1) not in ("Order", "Product"):
        return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource does not exist"}]}
    _need(info, "write_orders" if kind.group(1) == "Order" else "write_products")
    for tag in tags:
        if tag not in target["tags"]:
            target["tags"].append(tag)
    if kind.group(1) == "Order":
        sandbox.touch(shop, target, api_update=True)
    return {"node": target, "userErrors": []}


def _m_webhook_create(obj, info, topic, webhookSubscription):
    sandbox, shop = _ctx(info), _shop(info)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if not uri:
        return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "uri"],
                                                              "message": "Address can't be blank"}]}
    if any(w["topic"] == topic and w["uri"] == uri and w["app"] == info.context["app"]
           for w in shop["webhooks"].values()):
        return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "callbackUrl"],
                                                              "message": "Address for this topic has already been taken"}]}
    now = utcnow_iso()
    sub = {"id": gid("WebhookSubscription", next(sandbox.ids)), "topic": topic, "uri": uri,
           "format": webhookSubscription.get("format") or "JSON",
           "includeFields": webhookSubscription.get("includeFields") or [], "filter": webhookSubscription.get("filter"),
           "createdAt": now, "updatedAt": now, "app": info.context["app"]}
    shop["webhooks"][sub["id"]] = sub
    return {"webhookSubscription": sub, "userErrors": []}


def _m_webhook_delete(obj, info, id):
    shop = _shop(info)
    sub = shop["webhooks"].get(id)
    if not sub or sub["app"] != info.context["app"]:
        return {"deletedWebhookSubscriptionId": None,
                "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
    del shop["webhooks"][id]
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def _install_resolvers() -> None:
    def set_resolver(type_name, field, fn):
        SCHEMA.get_type(type_name).fields[field].resolve = fn

    q = "QueryRoot"
    set_resolver(q, "shop", lambda o, i: _shop(i)["shop"])
    set_resolver(q, "node", lambda o, i, id: _lookup(i, id))
    set_resolver(q, "nodes", lambda o, i, ids: [_lookup(i, x) for x in ids])
    for field, kind, scope in (("product", "products", "read_products"), ("productVariant", "variants", "read_products"),
                               ("inventoryItem", "items", "read_inventory"), ("order", "orders", "read_orders")):
        set_resolver(q, field, lambda o, i, id, _k=kind, _s=scope: (_need(i, _s), _shop(i)[_k].get(id))[1])
    set_resolver(q, "location", lambda o, i, id=None: _shop(i)["locations"].get(id) if id
                 else next(iter(_shop(i)["locations"].values())))
    set_resolver(q, "products", _q_products)
    set_resolver(q, "productsCount", _q_products_count)
    set_resolver(q, "productVariants", _q_variants)
    set_resolver(q, "inventoryItems", _q_inventory_items)
    set_resolver(q, "locations", _q_locations)
    set_resolver(q, "orders", _q_orders)
    set_resolver(q, "webhookSubscriptions", _q_webhooks)

    set_resolver("Product", "variants", lambda p, i, reverse=False, **page: connection(
        _sorted([_shop(i)["variants"][v] for v in p["variant_ids"]], "POSITION", reverse,
                {"ID": lambda v: 0, "POSITION": lambda v: v["position"]}), **page))
    set_resolver("Product", "variantsCount", lambda p, i: {"count": len(p["variant_ids"]), "precision": "EXACT"})
    set_resolver("Product", "totalInventory", lambda p, i: sum(
        _available(_shop(i), _shop(i)["variants"][v]["inventory_item_id"]) for v in p["variant_ids"]))
    set_resolver("Product", "tracksInventory", lambda p, i: True)
    set_resolver("ProductVariant", "product", lambda v, i: _shop(i)["products"][v["product_id"]])
    set_resolver("ProductVariant", "inventoryItem", lambda v, i: _shop(i)["items"][v["inventory_item_id"]])
    set_resolver("ProductVariant", "displayName", lambda v, i: f"{_shop(i)['products'][v['product_id']]['title']}"
                                                                f" - {v['title']}")
    set_resolver("ProductVariant", "inventoryQuantity", lambda v, i: _available(_shop(i), v["inventory_item_id"]))
    set_resolver("ProductVariant", "availableForSale",
                 lambda v, i: _available(_shop(i), v["inventory_item_id"]) > 0)
    set_resolver("InventoryItem", "variant", lambda it, i: _shop(i)["variants"][it["variant_id"]])
    set_resolver("InventoryItem", "inventoryLevel", lambda it, i, locationId: (
        _need(i, "read_inventory"), _shop(i)["levels"].get((it["id"], locationId)))[1])
    set_resolver("InventoryItem", "inventoryLevels", lambda it, i, reverse=False, **page: (
        _need(i, "read_inventory"), connection(_sorted(
            [lv for (iid, _), lv in _shop(i)["levels"].items() if iid == it["id"]], "ID", reverse,
            {"ID": lambda lv: parse_gid(lv["location_id"])}), **page))[1])
    set_resolver("InventoryLevel", "item", lambda lv, i: _shop(i)["items"][lv["item_id"]])
    set_resolver("InventoryLevel", "location", lambda lv, i: _shop(i)["locations"][lv["location_id"]])
    set_resolver("InventoryLevel", "quantities", _quantities)
    set_resolver("Order", "lineItems", lambda o, i, reverse=False, **page: connection(
        list(reversed(o["line_items"])) if reverse else o["line_items"], **page))
    set_resolver("Order", "fulfillments", lambda o, i, first=None: o["fulfillment_list"][:first]
                 if first is not None else o["fulfillment_list"])
    set_resolver("LineItem", "variant", lambda li, i: _shop(i)["variants"].get(li["variant_id"])
                 if li["variant_id"] else None)
    set_resolver("Fulfillment", "trackingInfo", lambda f, i, first=None: f["tracking"][:first]
                 if first is not None else f["tracking"])

    m = "Mutation"
    set_resolver(m, "orderCreate", _m_order_create)
    set_resolver(m, "orderUpdate", _m_order_update)
    set_resolver(m, "tagsAdd", _m_tags_add)
    set_resolver(m, "webhookSubscriptionCreate", _m_webhook_create)
    set_resolver(m, "webhookSubscriptionDelete", _m_webhook_delete)
    SCHEMA.get_type("Node").resolve_type = _node_type


_install_resolvers()


# LevelConnection cursors need a gid-like id per level; InventoryLevel ids carry the item as a query
def _level_id(item_number: int, location_number: int) -> str:
    return f"gid://shopify/InventoryLevel/{location_number}?inventory_item_id={item_number}"


# ----------------------------------------------------------------------------------------------

class ShopifySandbox(VendorSandbox):
    """In-memory Shopify: every configured or installed shop, the apps, tokens and cost buckets."""

    name = "shopify"
    default_port = 9105
    webhook_path = "/api/method/medgrid.exoceuticals.webhook"
    default_config = {
        # client_id → {"secret": …, "redirect_uris": [allowed, or empty for any]}
        "apps": {
            "sandbox-medgrid-shopify-key": {"secret": "sandbox-medgrid-shopify-secret", "redirect_uris": []},
            "sandbox-exoceuticals-client": {"secret": "sandbox-exoceuticals-client-secret", "redirect_uris": []},
        },
        # shop domain → {"name", "catalog_size", "webhook_url" | "webhook_path", "webhook_secret",
        #                "access_tokens": {token: client_id}}
        "shops": {
            "exoceuticals.myshopify.com": {
                "name": "Exoceuticals", "catalog_size": 40,
                "webhook_path": "/api/method/medgrid.exoceuticals.webhook",
                "webhook_secret": "sandbox-exoceuticals-webhook-secret",
                "access_tokens": {"shpat_sandbox_exoceuticals_token": "sandbox-exoceuticals-client"},
            },
        },
        "default_shop": "exoceuticals.myshopify.com",
        "new_shop_catalog_size": 12,     # catalog seeded for a shop first seen at install time
        "api_versions": [API_VERSION],
        "bucket_size": 1000,
        "restore_rate": 50,
        "throttle_status": 200,          # HTTP status of a THROTTLED answer (Shopify: 200, sometimes 429)
        "expiring_tokens": False,        # issue expiring offline tokens even without expiring=1
        "token_ttl": 3600,
        "refresh_token_ttl": 7776000,
        "code_ttl": 600,
        "auto_fulfil": True,             # timeline: paid → fulfilled with tracking
        "fulfilled_also_updates": True,  # orders/fulfilled is followed by orders/updated, as on Shopify
        "api_updates_fire_webhooks": True,  # orderUpdate / tagsAdd fire orders/updated
        "tracking_company": "UPS",
        "authorize_screen": False,       # show the merchant an install screen before approving (browsers)
    }

    # ---- state
    def medgrid_settings(self) -> dict:
        shop_domain = self.config["default_shop"]
        shop = self.config["shops"].get(shop_domain, {})
        token, app = next(iter((shop.get("access_tokens") or {}).items()), (None, None))
        medgrid_app, medgrid_conf = next(iter(self.config["apps"].items()))
        return {
            "Exoceuticals Settings": {"shop_domain": shop_domain, "api_version": "2026-04",
                                      "api_base_url": self.base_url, "client_id": app,
                                      "client_secret": (self.config["apps"].get(app) or {}).get("secret"),
                                      "access_token": token, "webhook_secret": shop.get("webhook_secret")},
            "MedGrid System Settings": {"medgrid_shopify_api_key": medgrid_app,
                                        "medgrid_shopify_api_secret": medgrid_conf["secret"]},
            "Shopify Connection": {"api_base_url": f"{self.base_url}/shops/<shop>.myshopify.com (or {self.base_url})"},
        }

    def reset_state(self) -> None:
        self.ids = itertools.count(9000001)
        self._order_numbers: dict[str, itertools.count] = {}
        self.shops: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.buckets: dict[tuple, CostBucket] = {}
        for index, (domain, conf) in enumerate(self.config["shops"].items()):
            self._add_shop(domain, conf, index)
        for domain, conf in self.config["shops"].items():
            for token, app in (conf.get("access_tokens") or {}).items():
                self.tokens[token] = {"shop": domain, "app": app, "scope": FULL_SCOPES, "expires_at": None,
                                      "kind": "configured"}

    def _add_shop(self, domain: str, conf: dict, index: int) -> dict:
        """Create a shop with a seeded catalog; ids are offset per shop so gids stay unique."""
        offset = index * 1_000_000
        handle = domain.split(".")[0]
        shop = {"domain": domain, "conf": conf, "products": {}, "variants": {}, "items": {}, "levels": {},
                "locations": {}, "orders": {}, "webhooks": {}, "index": index,
                "shop": {"id": gid("Shop", 1000 + index), "name": conf.get("name") or handle.title(),
                         "myshopifyDomain": domain, "email": f"owner@{handle}.example", "currencyCode": "USD",
                         "ianaTimezone": "America/Chicago"}}
        self._order_numbers[domain] = itertools.count(1001)
        for n, name in ((71, f"{shop['shop']['name']} Warehouse"), (72, "Overflow Storage")):
            loc = {"id": gid("Location", offset + n), "legacyResourceId": offset + n, "name": name, "isActive": True,
                   "fulfillsOnlineOrders": True,
                   "address": {"address1": "100 Congress Ave", "address2": None, "city": "Austin", "provinceCode": "TX",
                               "zip": "78701", "countryCode": "US"}}
            shop["locations"][loc["id"]] = loc
        size = int(conf.get("catalog_size") or self.config["new_shop_catalog_size"])
        variant_no = offset + 1001
        for p in range(1, size + 1):
            product_no = offset + p
            title = "Exo Recovery Serum" if p == 1 else f"{shop['shop']['name']} Product {p:03d}"
            stamp = BASE_TIME + timedelta(hours=p)
            product = {"id": gid("Product", product_no), "legacyResourceId": product_no, "title": title,
                       "handle": re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
                       "status": "ACTIVE" if p % 11 else "DRAFT", "vendor": shop["shop"]["name"],
                       "productType": "Serum" if p % 2 else "Supplement", "description": f"{title} (sandbox)",
                       "descriptionHtml": f"<p>{title} (sandbox)</p>", "tags": ["sandbox"],
                       "createdAt": iso(stamp), "updatedAt": iso(stamp), "variant_ids": []}
            shop["products"][product["id"]] = product
            for position in range(1, 2 + (p % 3)):
                size_label = ("30ml", "60ml", "120ml")[position - 1]
                sku = ("EXO-SERUM-" if p == 1 else f"{handle[:6].upper()}-{p:03d}-") + size_label.upper()
                variant = {"id": gid("ProductVariant", variant_no), "legacyResourceId": variant_no,
                           "title": size_label, "sku": sku, "barcode": f"0{variant_no:011d}",
                           "price": f"{(149.0 if p == 1 else 20.0 + p) * position:.2f}", "compareAtPrice": None,
                           "position": position, "taxable": True,
                           "selectedOptions": [{"name": "Size", "value": size_label}],
                           "createdAt": product["createdAt"], "updatedAt": product["updatedAt"],
                           "product_id": product["id"], "inventory_item_id": gid("InventoryItem", variant_no + 40000)}
                item = {"id": variant["inventory_item_id"], "legacyResourceId": variant_no + 40000, "sku": sku,
                        "tracked": True, "requiresShipping": True, "createdAt": product["createdAt"],
                        "updatedAt": product["updatedAt"], "unitCost": {"amount": "5.0", "currencyCode": "USD"},
                        "variant_id": variant["id"]}
                shop["variants"][variant["id"]] = variant
                shop["items"][item["id"]] = item
                product["variant_ids"].append(variant["id"])
                for k, loc_id in enumerate(shop["locations"]):
                    available = (variant_no * 7) % 150 + 10 if k == 0 else (variant_no * 3) % 20
                    shop["levels"][(item["id"], loc_id)] = {
                        "id": _level_id(variant_no + 40000, parse_gid(loc_id)), "item_id": item["id"],
                        "location_id": loc_id, "createdAt": product["createdAt"], "updatedAt": product["updatedAt"],
                        "quantities": {"available": available, "on_hand": available, "committed": 0, "incoming": 0,
                                       "reserved": 0, "damaged": 0, "safety_stock": 0, "quality_control": 0}}
                variant_no += 1
        self.shops[domain] = shop
        return shop

    def snapshot(self) -> dict:
        return {"shops": {d: {"orders": list(s["orders"].values()), "webhook_subscriptions": list(s["webhooks"].values()),
                              "products": len(s["products"]), "variants": len(s["variants"])}
                          for d, s in self.shops.items()},
                "orders": [o for s in self.shops.values() for o in s["orders"].values()],
                "tokens": [{"token_fp": fingerprint(t), **{k: v for k, v in info.items()}}
                           for t, info in self.tokens.items()],
                "buckets": {f"{app}@{shop}": b.status() for (app, shop), b in self.buckets.items()}}

    # ---- shop resolution
    def _shop_domain(self, request: Request) -> str | None:
        domain = request.params.get("shop") or request.arg("shop")
        if not domain:
            host = (request.header("Host") or "").split(":")[0].lower()
            if host.endswith(".myshopify.com"):
                domain = host
        return domain

    def _get_or_add_shop(self, domain: str) -> dict:
        if not SHOP_RE.match(domain or ""):
            raise HTTPError(400, {"errors": f"Invalid shop domain: {domain!r}"})
        with self.lock:
            shop = self.shops.get(domain)
            if not shop:
                shop = self._add_shop(domain, {}, len(self.shops))
            return shop

    def _app(self, client_id: str | None) -> dict | None:
        return self.config["apps"].get(client_id or "")

    # ---- OAuth
    @route("GET", r"(?:/shops/(?P<shop>[^/]+))?/admin/oauth/authorize")
    def authorize(self, request: Request) -> Response:
        """Approve the install at once and redirect back with a signed code."""
        client_id = request.arg("client_id")
        app = self._app(client_id)
        if not app:
            raise HTTPError(400, {"errors": "Oauth error invalid_request: The client_id is invalid"})
        redirect_uri = request.arg("redirect_uri")
        if not redirect_uri:
            raise HTTPError(400, {"errors": "Oauth error invalid_request: The redirect_uri is missing"})
        allowed = app.get("redirect_uris") or []
        if allowed and redirect_uri not in allowed:
            raise HTTPError(400, {"errors": "Oauth error invalid_request: The redirect_uri is not whitelisted"})
        domain = self._shop_domain(request) or self.config["default_shop"]
        shop = self._get_or_add_shop(domain)
        request.client = fingerprint(client_id)
        if self.config.get("authorize_screen") and request.arg("approve") != "1":
            return self._install_screen(request, shop["domain"], redirect_uri)
        code = secrets.token_hex(16)
        scope = request.arg("scope") or FULL_SCOPES
        per_user = any(v == "per-user" for k, vs in request.query.items() if k.startswith("grant_options")
                       for v in vs)
        with self.lock:
            self.codes[code] = {"client_id": client_id, "shop": shop["domain"], "scope": scope,
                                "expires": time.time() + float(self.config["code_ttl"]), "used": False,
                                "online": per_user}
        handle = shop["domain"].split(".")[0]
        params = {"code": code, "host": base64.b64encode(f"admin.shopify.com/store/{handle}".encode()).decode()
                  .rstrip("="), "shop": shop["domain"], "timestamp": str(int(time.time()))}
        if request.arg("state") is not None:
            params["state"] = request.arg("state")
        params["hmac"] = shopify_query_hmac(app["secret"], params)
        parts = urlsplit(redirect_uri)
        query = parse_qsl(parts.query, keep_blank_values=True) + sorted(params.items())
        return Response.redirect(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")))

    def _install_screen(self, request: Request, domain: str, redirect_uri: str) -> Response:
        """Shopify's "Install app" page: what the app asks for, Install (same URL + approve=1) or Cancel."""
        from html import escape

        scopes = [s for s in (request.arg("scope") or FULL_SCOPES).split(",") if s.strip()]
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, values in request.query.items() if k != "approve" for v in values)
        parts = urlsplit(redirect_uri)
        cancel_query = parse_qsl(parts.query, keep_blank_values=True) + [
            ("error", "access_denied"), ("shop", domain)] + ([("state", request.arg("state"))]
                                                            if request.arg("state") is not None else [])
        cancel = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(cancel_query), ""))
        shop_name = self.shops[domain]["shop"]["name"]
        items = "".join(f"<li>{escape(s.strip())}</li>" for s in scopes)
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Install app · {escape(shop_name)}</title>
<style>body{{font-family:system-ui,sans-serif;background:#f1f2f4;margin:0;padding:16px;color:#202223}}
main{{max-width:520px;margin:24px auto;background:#fff;border-radius:12px;padding:20px 24px;box-shadow:0 1px 3px #0002}}
.tag{{display:inline-block;background:#fff4d6;border:1px solid #e0b04a;border-radius:4px;padding:0 6px;font-size:.8rem}}
ul{{padding-left:20px;max-height:220px;overflow:auto;word-break:break-word}}
.actions{{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}}
button,a.cancel{{font-size:1rem;padding:8px 16px;border-radius:8px}}
button{{background:#008060;color:#fff;border:0;cursor:pointer}}a.cancel{{color:#202223;border:1px solid #babfc3;text-decoration:none}}
</style></head><body><main>
<p><span class="tag">Shopify sandbox</span></p>
<h1>Install app on {escape(shop_name)}</h1>
<p>Store: <strong>{escape(domain)}</strong></p>
<p>The app will be able to:</p><ul>{items}</ul>
<form method="get" action="{escape(request.path)}">{hidden}<input type="hidden" name="approve" value="1">
<div class="actions"><button type="submit">Install app</button><a class="cancel" href="{escape(cancel)}">Cancel</a></div>
</form></main></body></html>"""
        return Response(200, page, content_type="text/html; charset=utf-8")

    @route("POST", r"(?:/shops/(?P<shop>[^/]+))?/admin/oauth/access_token")
    def access_token(self, request: Request) -> Response:
        """Exchange a code (or a refresh token, or client credentials) for an access token."""
        body = request.json() if request.content_type == "application/json" else request.form()
        body = body if isinstance(body, dict) else {}
        body = {**{k: v[0] for k, v in request.query.items()}, **body}
        client_id, client_secret = str(body.get("client_id") or ""), str(body.get("client_secret") or "")
        app = self._app(client_id)
        if not app or not hmac.compare_digest(client_secret, str(app["secret"])):
            raise HTTPError(400, {"error": "invalid_client", "error_description": "Client credentials are invalid"})
        request.client = fingerprint(client_id)
        grant = body.get("grant_type") or "authorization_code"
        path_shop = self._shop_domain(request)
        expiring = str(body.get("expiring", "")) in ("1", "true", "True") or bool(self.config.get("expiring_tokens"))
        with self.lock:
            if grant == "refresh_token":
                return Response.json(self._refresh(client_id, str(body.get("refresh_token") or ""), path_shop))
            if grant == "client_credentials":
                domain = path_shop or self.config["default_shop"]
                self._get_or_add_shop(domain)
                token = "shpat_" + secrets.token_hex(16)
                ttl = 86399
                self.tokens[token] = {"shop": domain, "app": client_id, "scope": FULL_SCOPES,
                                      "expires_at": time.time() + ttl, "kind": "client_credentials"}
                return Response.json({"access_token": token, "scope": FULL_SCOPES, "expires_in": ttl})
            code = self.codes.get(str(body.get("code") or ""))
            problem = None
            if not code:
                problem = "The authorization code was not found or was already used"
            elif code["used"]:
                problem = "The authorization code was not found or was already used"
            elif code["expires"] < time.time():
                problem = "The authorization code has expired"
            elif code["client_id"] != client_id:
                problem = "The authorization code was issued to another client"
            elif path_shop and path_shop != code["shop"]:
                problem = "The authorization code was issued for another shop"
            if problem:
                raise HTTPError(400, {"error": "invalid_request", "error_description": problem})
            code["used"] = True
            return Response.json(self._issue(code["shop"], client_id, code["scope"], expiring, code["online"]))

    def _issue(self, shop: str, app: str, scope: str, expiring: bool, online: bool = False) -> dict:
        token = ("shpua_" if online else "shpat_") + secrets.token_hex(16)
        answer = {"access_token": token, "scope": scope}
        info = {"shop": shop, "app": app, "scope": scope, "expires_at": None, "kind": "online" if online else "offline"}
        if online:
            info["expires_at"] = time.time() + 86399
            answer.update(expires_in=86399, associated_user_scope=scope,
                          associated_user={"id": 902541635, "first_name": "Sandbox", "last_name": "Owner",
                                           "email": f"owner@{shop.split('.')[0]}.example", "email_verified": True,
                                           "account_owner": True, "locale": "en", "collaborator": False})
        elif expiring:
            ttl, rttl = int(self.config["token_ttl"]), int(self.config["refresh_token_ttl"])
            refresh = "shprt_" + secrets.token_hex(16)
            info["expires_at"] = time.time() + ttl
            self.refresh_tokens[refresh] = {"shop": shop, "app": app, "scope": scope,
                                            "expires_at": time.time() + rttl, "successor": None, "used": False}
            answer.update(expires_in=ttl, refresh_token=refresh, refresh_token_expires_in=rttl)
        self.tokens[token] = info
        return answer

    def _refresh(self, client_id: str, refresh: str, path_shop: str | None) -> dict:
        info = self.refresh_tokens.get(refresh)
        if not info or info["app"] != client_id or info["expires_at"] < time.time() \
                or (path_shop and path_shop != info["shop"]):
            raise HTTPError(400, {"error": "invalid_request", "error_description": "The refresh token is invalid"})
        # the old refresh token stays usable until its successor is first used
        if info["used"]:
            raise HTTPError(400, {"error": "invalid_request", "error_description": "The refresh token was rotated"})
        for other in self.refresh_tokens.values():
            if other["successor"] == refresh:
                other["used"] = True
        answer = self._issue(info["shop"], client_id, info["scope"], expiring=True)
        info["successor"] = answer["refresh_token"]
        return answer

    # ---- Admin GraphQL
    @route("POST", r"(?:/shops/(?P<shop>[^/]+))?/admin/api/(?P<version>[^/]+)/graphql\.json")
    def graphql(self, request: Request) -> Response:
        """Run one Admin GraphQL request against the token's shop, charging the cost bucket."""
        if request.params["version"] not in self.config["api_versions"]:
            raise HTTPError(404, {"errors": "Not Found"})
        token = request.header("X-Shopify-Access-Token") or ""
        with self.lock:
            info = self.tokens.get(token)
        if not info or (info["expires_at"] is not None and info["expires_at"] < time.time()):
            raise HTTPError(401, INVALID_TOKEN)
        path_shop = self._shop_domain(request)
        if path_shop and path_shop != info["shop"]:
            raise HTTPError(401, INVALID_TOKEN)
        request.client = fingerprint(token)
        if request.content_type == "application/graphql":
            payload = {"query": request.body.decode("utf-8", "replace")}
        else:
            payload = request.json()
        if not isinstance(payload, dict) or not payload.get("query"):
            raise HTTPError(400, {"errors": {"query": "Required parameter missing or invalid"}})
        variables = payload.get("variables") or {}
        try:
            document = parse(payload["query"])
        except GraphQLError as exc:
            return Response.json({"errors": [exc.formatted]})
        problems = validate(SCHEMA, document)
        if problems:
            return Response.json({"errors": [p.formatted for p in problems]})
        operation = get_operation_ast(document, payload.get("operationName"))
        if operation is None:
            return Response.json({"errors": [{"message": "Could not determine which operation to run"}]})
        coerced = get_variable_values(SCHEMA, operation.variable_definitions or [], variables)
        # graphql-core 3.2 returns a dict, 3.3 a VariableValues; both return a list of errors on failure
        requested = 0 if isinstance(coerced, list) else requested_cost(document, operation, coerced)
        bucket = self._bucket(info["app"], info["shop"])
        if requested > bucket.size:
            return Response.json({"errors": [{
                "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                           f"({int(bucket.size)}).",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": int(bucket.size)}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                        "throttleStatus": bucket.status()}}})
        if not bucket.take(requested):
            return Response.json({"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                        "throttleStatus": bucket.status()}}},
                int(self.config.get("throttle_status") or 200))
        with self.lock:
            shop = self.shops[info["shop"]]
            context = {"sandbox": self, "shop": shop, "app": info["app"],
                       "scopes": [s.strip() for s in info["scope"].split(",") if s.strip()]}
            result = execute_sync(SCHEMA, document, context_value=context, variable_values=variables,
                                  operation_name=payload.get("operationName"))
            body = {"data": result.data}
            if result.errors:
                body["errors"] = [e.formatted for e in result.errors]
            body = json.loads(json.dumps(body, default=str))  # detach from live state before unlocking
        is_mutation = operation.operation.value == "mutation"
        actual = min(requested, actual_cost(result.data, is_mutation, len(operation.selection_set.selections)))
        bucket.refund(requested - actual)
        body["extensions"] = {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                                       "throttleStatus": bucket.status()}}
        return Response.json(body, headers={"X-Request-Id": str(uuid.uuid4())})

    def _bucket(self, app: str, shop: str) -> CostBucket:
        with self.lock:
            key = (app, shop)
            if key not in self.buckets:
                self.buckets[key] = CostBucket(self.config["bucket_size"], self.config["restore_rate"])
            return self.buckets[key]

    def rate_limit_response(self, request: Request) -> Response:
        return Response.json({"errors": "Exceeded API rate limit. Retry later."}, 429, {"Retry-After": "2.0"})

    def not_found(self, request: Request) -> Response:
        return Response.json({"errors": "Not Found"}, 404)

    # ---- orders (called from the orderCreate resolver, under self.lock)
    def address(self, data: dict | None) -> dict | None:
        """A MailingAddress from a MailingAddressInput."""
        if not data:
            return None
        name = " ".join(x for x in (data.get("firstName"), data.get("lastName")) if x) or None
        return {"id": gid("MailingAddress", next(self.ids)), "address1": data.get("address1"),
                "address2": data.get("address2"), "city": data.get("city"), "company": data.get("company"),
                "country": "United States" if data.get("countryCode") == "US" else data.get("countryCode"),
                "countryCodeV2": data.get("countryCode"), "firstName": data.get("firstName"),
                "lastName": data.get("lastName"), "name": name, "phone": data.get("phone"),
                "provinceCode": data.get("provinceCode"), "zip": data.get("zip")}

    def create_order(self, shop: dict, data: dict, options: dict, app: str) -> dict:
        """orderCreate: validate the lines, claim inventory if asked, store the order, start its timeline."""
        errors = []
        lines_in = data.get("lineItems") or []
        if not lines_in:
            errors.append({"field": ["order", "lineItems"], "message": "Line items must have at least one item",
                           "code": "INVALID"})
        resolved = []
        for i, line in enumerate(lines_in):
            path = ["order", "lineItems", str(i)]
            variant = None
            if line.get("variantId"):
                variant = shop["variants"].get(line["variantId"])
                if not variant:
                    errors.append({"field": path + ["variantId"], "code": "INVALID",
                                   "message": f"Product variant {line['variantId']} does not exist"})
                    continue
            elif not (line.get("title") and line.get("priceSet")):
                errors.append({"field": path, "code": "INVALID",
                               "message": "A line item needs a variantId, or a title and a priceSet"})
                continue
            if line["quantity"] < 1:
                errors.append({"field": path + ["quantity"], "code": "INVALID",
                               "message": "Quantity must be greater than or equal to 1"})
                continue
            resolved.append((line, variant))
        behaviour = options.get("inventoryBehaviour") or "BYPASS"
        if not errors and behaviour == "DECREMENT_OBEYING_POLICY":
            for i, (line, variant) in enumerate(resolved):
                if variant and _available(shop, variant["inventory_item_id"]) < line["quantity"]:
                    errors.append({"field": ["order", "lineItems", str(i), "quantity"], "code": "INVENTORY_CLAIM_FAILED",
                                   "message": f"Not enough inventory available for {variant['sku']}"})
        if errors:
            return {"order": None, "userErrors": errors}
        if behaviour != "BYPASS":
            for line, variant in resolved:
                if variant:
                    self._claim(shop, variant, line["quantity"])
        number = next(self._order_numbers[shop["domain"]])
        order_no = 5_000_000_000 + next(self.ids)
        now = utcnow_iso()
        currency = data.get("currency") or "USD"
        line_items, subtotal = [], 0.0
        for line, variant in resolved:
            if variant:
                product = shop["products"][variant["product_id"]]
                price = float(variant["price"])
                title, sku, name = product["title"], variant["sku"], f"{product['title']} - {variant['title']}"
            else:
                price = float(line["priceSet"]["shopMoney"]["amount"])
                title, sku, name = line["title"], line.get("sku"), line["title"]
            subtotal += price * line["quantity"]
            line_items.append({"id": gid("LineItem", next(self.ids)), "name": name, "title": title, "sku": sku,
                               "quantity": line["quantity"], "currentQuantity": line["quantity"],
                               "unfulfilledQuantity": line["quantity"],
                               "variant_id": variant["id"] if variant else None,
                               "originalUnitPriceSet": money(price, currency),
                               "customAttributes": [{"key": p["name"], "value": p["value"]}
                                                    for p in line.get("properties") or []]})
        shipping = sum(float(s["priceSet"]["shopMoney"]["amount"]) for s in data.get("shippingLines") or [])
        order = {
            "id": gid("Order", order_no), "legacyResourceId": order_no, "name": data.get("name") or f"#{number}",
            "order_number": number, "email": data.get("email"), "phone": data.get("phone"), "note": data.get("note"),
            "poNumber": data.get("poNumber"), "sourceName": data.get("sourceName") or "sandbox",
            "tags": list(data.get("tags") or []), "test": bool(data.get("test")), "closed": False, "closedAt": None,
            "cancelledAt": None, "cancelReason": None, "createdAt": now, "updatedAt": now,
            "processedAt": data.get("processedAt") or now, "currencyCode": currency,
            "displayFinancialStatus": data.get("financialStatus") or "PENDING",
            "displayFulfillmentStatus": "UNFULFILLED", "subtotalPriceSet": money(subtotal, currency),
            "totalPriceSet": money(subtotal + shipping, currency),
            "customAttributes": [{"key": a["key"], "value": a["value"]} for a in data.get("customAttributes") or []],
            "shippingAddress": self.address(data.get("shippingAddress")),
            "billingAddress": self.address(data.get("billingAddress") or data.get("shippingAddress")),
            "line_items": line_items, "fulfillment_list": [], "shop_domain": shop["domain"], "app": app,
        }
        shop["orders"][order["id"]] = order
        steps = [("orders/updated", lambda: self._pay(shop["domain"], order["id"]))]
        if self.config.get("auto_fulfil"):
            steps.append(("orders/fulfilled", lambda: self._fulfil(shop["domain"], order["id"])))
        self.schedule(order["id"], steps)
        return {"order": order, "userErrors": []}

    def _claim(self, shop: dict, variant: dict, quantity: int) -> None:
        """Move ``quantity`` from available to committed, location by location; any shortfall (only
        possible under DECREMENT_IGNORING_POLICY) drives the first location negative."""
        levels = [lv for (iid, _loc), lv in shop["levels"].items() if iid == variant["inventory_item_id"]]
        now = utcnow_iso()
        for level in levels:
            take = min(quantity, max(0, level["quantities"]["available"]))
            if take:
                level["quantities"]["available"] -= take
                level["quantities"]["committed"] += take
                level["updatedAt"] = now
                quantity -= take
        if quantity and levels:
            levels[0]["quantities"]["available"] -= quantity
            levels[0]["quantities"]["committed"] += quantity
            levels[0]["updatedAt"] = now

    def touch(self, shop: dict, order: dict, api_update: bool = False) -> None:
        """Mark an order updated; an API-made change also fires orders/updated (outside the lock)."""
        order["updatedAt"] = utcnow_iso()
        if api_update and self.config.get("api_updates_fire_webhooks"):
            # run after the resolver returns (we are inside self.lock); a zero-delay one-off chain
            threading.Thread(target=self._emit, args=(shop["domain"], order["id"], ["orders/updated"]),
                             daemon=True).start()

    # ---- timeline
    def _pay(self, domain: str, order_id: str) -> None:
        with self.lock:
            order = self.shops[domain]["orders"].get(order_id)
            if not order or order["cancelledAt"]:
                return
            if order["displayFinancialStatus"] in ("PENDING", "AUTHORIZED"):
                order["displayFinancialStatus"] = "PAID"
            order["updatedAt"] = utcnow_iso()
        self._emit(domain, order_id, ["orders/updated"])

    def _fulfil(self, domain: str, order_id: str) -> None:
        with self.lock:
            order = self.shops[domain]["orders"].get(order_id)
            if not order or order["cancelledAt"] or order["displayFulfillmentStatus"] == "FULFILLED":
                return
            number = "1Z" + secrets.token_hex(8).upper()
            now = utcnow_iso()
            order["fulfillment_list"].append({
                "id": gid("Fulfillment", next(self.ids)), "name": f"{order['name']}-F{len(order['fulfillment_list']) + 1}",
                "status": "SUCCESS", "createdAt": now, "updatedAt": now,
                "tracking": [{"company": self.config["tracking_company"], "number": number,
                              "url": f"https://www.ups.com/track?tracknum={number}"}]})
            for line in order["line_items"]:
                line["unfulfilledQuantity"] = 0
            order["displayFulfillmentStatus"] = "FULFILLED"
            order["updatedAt"] = now
        topics = ["orders/fulfilled"] + (["orders/updated"] if self.config.get("fulfilled_also_updates") else [])
        self._emit(domain, order_id, topics)

    def _cancel(self, domain: str, order_id: str, reason: str = "OTHER") -> None:
        with self.lock:
            order = self.shops[domain]["orders"].get(order_id)
            if not order or order["cancelledAt"]:
                return
            order["cancelledAt"] = utcnow_iso()
            order["cancelReason"] = reason
            order["closed"] = True
            order["closedAt"] = order["cancelledAt"]
            order["updatedAt"] = order["cancelledAt"]
        self.timeline.clear_key(order_id)
        self._emit(domain, order_id, ["orders/cancelled", "orders/updated"])

    # ---- webhooks
    def rest_order(self, order: dict) -> dict:
        """The REST-shaped order JSON Shopify puts in order webhooks."""
        number = order["legacyResourceId"]

        def addr(a):
            if not a:
                return None
            return {"first_name": a["firstName"], "last_name": a["lastName"], "name": a["name"],
                    "address1": a["address1"], "address2": a["address2"], "city": a["city"], "company": a["company"],
                    "province_code": a["provinceCode"], "zip": a["zip"], "country": a["country"],
                    "country_code": a["countryCodeV2"], "phone": a["phone"]}

        lines = [{"id": parse_gid(li["id"]), "admin_graphql_api_id": li["id"],
                  "variant_id": parse_gid(li["variant_id"]) if li["variant_id"] else None, "sku": li["sku"],
                  "title": li["title"], "name": li["name"], "quantity": li["quantity"],
                  "fulfillable_quantity": li["unfulfilledQuantity"],
                  "fulfillment_status": "fulfilled" if li["unfulfilledQuantity"] == 0 else None,
                  "price": li["originalUnitPriceSet"]["shopMoney"]["amount"]} for li in order["line_items"]]
        fulfillments = [{"id": parse_gid(f["id"]), "admin_graphql_api_id": f["id"], "order_id": number,
                         "name": f["name"], "status": f["status"].lower(),
                         "tracking_company": f["tracking"][0]["company"] if f["tracking"] else None,
                         "tracking_number": f["tracking"][0]["number"] if f["tracking"] else None,
                         "tracking_numbers": [t["number"] for t in f["tracking"]],
                         "tracking_url": f["tracking"][0]["url"] if f["tracking"] else None,
                         "tracking_urls": [t["url"] for t in f["tracking"]], "shipment_status": None,
                         "created_at": f["createdAt"], "updated_at": f["updatedAt"], "line_items": lines}
                        for f in order["fulfillment_list"]]
        fulfilment = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(order["displayFulfillmentStatus"])
        return {"id": number, "admin_graphql_api_id": order["id"], "name": order["name"],
                "order_number": order["order_number"], "email": order["email"], "phone": order["phone"],
                "note": order["note"], "tags": ", ".join(order["tags"]), "test": order["test"],
                "created_at": order["createdAt"], "updated_at": order["updatedAt"], "processed_at": order["processedAt"],
                "cancelled_at": order["cancelledAt"],
                "cancel_reason": order["cancelReason"].lower() if order["cancelReason"] else None,
                "closed_at": order["closedAt"], "currency": order["currencyCode"],
                "financial_status": (order["displayFinancialStatus"] or "").lower() or None,
                "fulfillment_status": fulfilment,
                "subtotal_price": order["subtotalPriceSet"]["shopMoney"]["amount"],
                "total_price": order["totalPriceSet"]["shopMoney"]["amount"],
                "shipping_address": addr(order["shippingAddress"]), "billing_address": addr(order["billingAddress"]),
                "note_attributes": [{"name": a["key"], "value": a["value"]} for a in order["customAttributes"]],
                "line_items": lines, "fulfillments": fulfillments}

    def _targets(self, shop: dict, topic: str) -> list[tuple[str | None, str | None]]:
        """(url, signing secret) pairs for a topic: subscriptions first, else the configured URL."""
        enum = topic.upper().replace("/", "_")
        subs = [(w["uri"], (self._app(w["app"]) or {}).get("secret")) for w in shop["webhooks"].values()
                if w["topic"] == enum]
        if subs:
            return subs
        conf = shop["conf"]
        url = conf.get("webhook_url")
        if not url and conf.get("webhook_path") and self.config.get("medgrid_url"):
            url = self.config["medgrid_url"].rstrip("/") + conf["webhook_path"]
        secret = conf.get("webhook_secret")
        if not secret:
            app = next((t["app"] for t in self.tokens.values() if t["shop"] == shop["domain"]), None)
            secret = (self._app(app) or {}).get("secret") or next(iter(self.config["apps"].values()))["secret"]
        return [(url, secret)] if url else []

    def _emit(self, domain: str, order_id: str, topics: list[str]) -> None:
        for topic in topics:
            with self.lock:
                shop = self.shops[domain]
                order = shop["orders"].get(order_id)
                if not order:
                    return
                raw = json.dumps(self.rest_order(order), separators=(",", ":")).encode("utf-8")
                targets = self._targets(shop, topic)
            event_id = str(uuid.uuid4())
            triggered = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            if not targets:
                targets = [(None, None)]
            for url, secret in targets:
                headers = {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": domain,
                           "X-Shopify-API-Version": API_VERSION, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                           "X-Shopify-Event-Id": event_id, "X-Shopify-Triggered-At": triggered}

                def sign(body, tamper, _secret=secret):
                    key = (_secret or "") + ("-wrong" if tamper else "")
                    return {"X-Shopify-Hmac-Sha256": shopify_webhook_hmac(key, body)}

                self.webhooks.send(topic, url, raw, sign, headers, order=order_id)

    # ---- control actions
    def _find_order(self, payload: dict) -> tuple[str, dict]:
        ref = str(payload.get("order") or "")
        with self.lock:
            for domain, shop in self.shops.items():
                for order in shop["orders"].values():
                    if ref in (order["id"], str(order["legacyResourceId"]), order["name"]) or ref in order["tags"]:
                        return domain, order
        raise HTTPError(404, {"error": f"no order {ref}"})

    def _action_cancel(self, payload: dict) -> dict:
        """Cancel an order (by gid, number, name or tag) → orders/cancelled + orders/updated."""
        domain, order = self._find_order(payload)
        self._cancel(domain, order["id"], str(payload.get("reason") or "OTHER").upper())
        return {"order": self.rest_order(order)}

    def _action_fulfil(self, payload: dict) -> dict:
        """Fulfil an order now → orders/fulfilled (+ orders/updated)."""
        domain, order = self._find_order(payload)
        self.timeline.clear_key(order["id"])
        self._fulfil(domain, order["id"])
        return {"order": self.rest_order(order)}

    def _action_set_inventory(self, payload: dict) -> dict:
        """Set a quantity: ``{"shop", "sku" | "variant", "location"?, "available"}`` (bumps updatedAt)."""
        domain = payload.get("shop") or self.config["default_shop"]
        with self.lock:
            shop = self.shops.get(domain)
            if not shop:
                raise HTTPError(404, {"error": f"no shop {domain}"})
            variant = shop["variants"].get(payload.get("variant")) or next(
                (v for v in shop["variants"].values() if v["sku"] == payload.get("sku")), None)
            if not variant:
                raise HTTPError(404, {"error": "no such variant"})
            location = payload.get("location") or next(iter(shop["locations"]))
            level = shop["levels"][(variant["inventory_item_id"], location)]
            level["quantities"]["available"] = int(payload["available"])
            level["quantities"]["on_hand"] = int(payload["available"]) + level["quantities"]["committed"]
            now = utcnow_iso()
            level["updatedAt"] = now
            shop["items"][variant["inventory_item_id"]]["updatedAt"] = now
            return {"variant": variant["id"], "location": location, "quantities": level["quantities"]}

    def _action_update_product(self, payload: dict) -> dict:
        """Change a product's title/status/price and bump its updatedAt: ``{"shop", "product", …}``."""
        domain = payload.get("shop") or self.config["default_shop"]
        with self.lock:
            shop = self.shops.get(domain)
            product = shop and shop["products"].get(payload.get("product"))
            if not product:
                raise HTTPError(404, {"error": "no such product"})
            for key in ("title", "status"):
                if key in payload:
                    product[key] = payload[key]
            now = utcnow_iso()
            product["updatedAt"] = now
            for vid in product["variant_ids"]:
                if "price" in payload:
                    shop["variants"][vid]["price"] = f"{float(payload['price']):.2f}"
                shop["variants"][vid]["updatedAt"] = now
            return {"product": {k: v for k, v in product.items()}}

    actions = {"cancel": _action_cancel, "fulfil": _action_fulfil, "fulfill": _action_fulfil,
               "set_inventory": _action_set_inventory, "update_product": _action_update_product}
