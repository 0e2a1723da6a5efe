"""Shopify Admin GraphQL client shared by the Exoceuticals and the vendor-store connectors.

Why a thin client on ``requests`` rather than Shopify's packages (vendor-facts §2d):

* ``ShopifyAPI`` keeps the active shop and token in class attributes shared by the whole process — unsafe
  in a multi-site bench or threaded worker — and its ``GraphQL().execute`` neither throttles nor retries;
* ``shopifyapp`` (Shopify's newer package) sends through ``httpx`` with its own retry loop and treats a
  ``THROTTLED`` error inside a 200 as final.

Either would bypass MedGrid's HTTP client (timeouts, redacted integration log, shared limits). The API
surface MedGrid needs is one POST, so it goes through :class:`~medgrid.connectors.http.VendorClient`:

* ``POST https://{shop}/admin/api/{version}/graphql.json`` with ``X-Shopify-Access-Token``; the version is
  pinned per connection/settings (Exoceuticals ``2026-04``);
* cost-bucket throttling: the bucket's state from ``extensions.cost.throttleStatus`` (``currentlyAvailable``,
  ``maximumAvailable``, ``restoreRate``) is kept in ``frappe.cache()`` per shop, so every worker waits
  for refill before a query that would not fit (default restore rate 50 units/s until Shopify says);
* ``THROTTLED`` errors are retried after ``(requestedQueryCost − currentlyAvailable) / restoreRate`` s;
* ``userErrors`` inside a 200 raise a permanent :class:`VendorError`;
* :meth:`ShopifyGraphQL.paginate` walks a connection by cursor.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt

from medgrid.connectors.base import VendorError
from medgrid.connectors.clock import get_clock
from medgrid.connectors.environment import vendor_base_url
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.redaction import fingerprint
from medgrid.connectors.retry import RetryPolicy
from medgrid.connectors.order_data import (
    contact_email,
    contact_phone,
    country_code,
    quantity,
    recipient_names,
    state_code,
)

GRAPHQL_PATH = "/admin/api/{version}/graphql.json"
ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
DEFAULT_API_VERSION = "2026-04"
DEFAULT_COST_UNITS_PER_SECOND = 50
DEFAULT_BUCKET_SIZE = 1000
DEFAULT_QUERY_COST = 10          # pre-flight estimate until Shopify reports a query's real cost
MAX_THROTTLE_RETRIES = 5
MAX_BUCKET_WAIT_SECONDS = 60.0   # a longer wait is handed to the router instead of blocking a worker
BUCKET_CACHE_PREFIX = "medgrid:shopify:bucket:"
THROTTLED = "THROTTLED"
RETRYABLE_ERROR_CODES = ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE")

# Queries are safe to repeat; a mutation is retried only when Shopify says it never ran (429)
QUERY_POLICY = RetryPolicy(max_retries=3)
MUTATION_POLICY = RetryPolicy(max_retries=3, retry_statuses=frozenset({429}), retry_network_errors=False)

ORDER_GID_PREFIX = "gid://shopify/Order/"
VARIANT_GID_PREFIX = "gid://shopify/ProductVariant/"
SALES_ORDER_ATTRIBUTE = "medgrid_sales_order"
ORDER_NOTE = "MedGrid Sales Order {name}"

ORDER_CREATE_MUTATION = """
mutation MedGridOrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {
  orderCreate(order: $order, options: $options) {
    order { id name }
    userErrors { field message code }
  }
}
""".strip()

ORDER_BY_TAG_QUERY = """
query MedGridOrderByTag($query: String!) {
  orders(first: 1, query: $query) { nodes { id name tags } }
}
""".strip()

ORDER_CANCEL_MUTATION = """
mutation MedGridOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!,
    $notifyCustomer: Boolean, $staffNote: String, $refundMethod: OrderCancelRefundMethodInput) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock, notifyCustomer: $notifyCustomer,
      staffNote: $staffNote, refundMethod: $refundMethod) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
""".strip()

TAGS_ADD_MUTATION = """
mutation MedGridTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
""".strip()

VARIANT_BY_SKU_QUERY = """
query MedGridVariantBySku($query: String!) {
  productVariants(first: 1, query: $query) { nodes { id sku } }
}
""".strip()

# Claim stock the way the store's policy says; the marketplace, not the store, notifies the customer
ORDER_CREATE_OPTIONS = {"inventoryBehaviour": "DECREMENT_OBEYING_POLICY", "sendReceipt": False,
                        "sendFulfillmentReceipt": False}


def shop_base_url(shop_domain: str) -> str:
    """``https://{shop}`` for a bare domain; a full URL (a local sandbox) is kept as given."""
    domain = (shop_domain or "").strip().rstrip("/")
    if not domain:
        raise VendorError("No Shopify shop domain is configured", retryable=False)
    return domain if "://" in domain else f"https://{domain}"


def shop_api_base(vendor: str, shop_domain: str, api_base_url: str | None = None) -> str:
    """Where a shop's OAuth and Admin API live in the site's environment: on the sandbox host in Sandbox,
    else ``api_base_url`` (an admin-set proxy) or ``https://{shop}``."""
    bare_domain = shop_domain if "://" not in (shop_domain or "") else None
    return vendor_base_url(vendor, api_base_url, shop_base_url(shop_domain), shop_domain=bare_domain)


def variant_gid(value: str | None) -> str | None:
    """A ProductVariant GID from a GID or a bare numeric id; None for anything else (e.g. a SKU)."""
    text = str(value or "").strip()
    if text.startswith(VARIANT_GID_PREFIX):
        return text
    return f"{VARIANT_GID_PREFIX}{text}" if text.isdigit() else None


def user_errors_message(errors) -> str:
    parts = []
    for error in errors or ():
        field = ".".join(str(f) for f in error.get("field") or ())
        parts.append(f"{field}: {error.get('message')}" if field else str(error.get("message")))
    return "; ".join(parts)


class ShopifyGraphQL:
    """One shop's Admin GraphQL endpoint, throttled by its cost bucket."""

    def __init__(self, vendor: str, shop_domain: str, access_token: str, api_version: str | None = None, *,
                 cost_units_per_second: float | None = None, reference=(None, None),
                 api_base_url: str | None = None):
        if not access_token:
            raise VendorError(f"{vendor}: the Shopify store {shop_domain} has no access token", retryable=False)
        self.vendor = vendor
        self.shop_domain = shop_domain
        self.api_version = api_version or DEFAULT_API_VERSION
        self.restore_rate = flt(cost_units_per_second) or DEFAULT_COST_UNITS_PER_SECOND
        self.secrets = (access_token,)
        # ``api_base_url`` (a sandbox or proxy) replaces https://{shop}; the shop stays the bucket's key
        self.client = VendorClient(vendor, base_url=shop_api_base(vendor, shop_domain, api_base_url),
                                   headers={ACCESS_TOKEN_HEADER: access_token, "Content-Type": "application/json"},
                                   policy=QUERY_POLICY, secrets=self.secrets, reference=reference)

    @property
    def endpoint(self) -> str:
        return GRAPHQL_PATH.format(version=self.api_version)

    # ------------------------------------------------------------------------------- cost bucket

    def _bucket_key(self) -> str:
        return BUCKET_CACHE_PREFIX + fingerprint(shop_base_url(self.shop_domain))

    def _wait_for_bucket(self, cost: float) -> None:
        """Sleep until the shared bucket has refilled enough for ``cost`` units."""
        state = frappe.cache().get_value(self._bucket_key(), expires=True)
        if not state:
            return
        clock = get_clock()
        rate = flt(state.get("rate")) or self.restore_rate
        available = min(flt(state.get("maximum")) or DEFAULT_BUCKET_SIZE,
                        flt(state.get("available")) + rate * max(0.0, clock.time() - flt(state.get("at"))))
        if available >= cost:
            return
        wait = (cost - available) / rate
        if wait > MAX_BUCKET_WAIT_SECONDS:
            raise VendorError(f"{self.vendor}: Shopify cost bucket is empty for {wait:.0f} s", retryable=True,
                              status_code=429, retry_after=wait)
        clock.sleep(wait)

    def _remember_bucket(self, cost: dict | None) -> dict:
        throttle = (cost or {}).get("throttleStatus") or {}
        if "currentlyAvailable" not in throttle:
            return throttle
        rate = flt(throttle.get("restoreRate")) or self.restore_rate
        state = {"available": flt(throttle.get("currentlyAvailable")),
                 "maximum": flt(throttle.get("maximumAvailable")) or DEFAULT_BUCKET_SIZE,
                 "rate": rate, "at": get_clock().time()}
        # A full bucket refills in maximum/rate seconds; after that the state says nothing
        ttl = max(1, int(state["maximum"] / rate) + 1)
        frappe.cache().set_value(self._bucket_key(), state, expires_in_sec=ttl)
        return throttle

    # ----------------------------------------------------------------------------------- execute

    def execute(self, query: str, variables: dict | None = None, *, mutation: bool = False,
                estimated_cost: float = DEFAULT_QUERY_COST) -> dict:
        """Run ``query`` and return its ``data``; throttling is waited out, other errors raise VendorError."""
        body = {"query": query, "variables": variables or {}}
        clock = get_clock()
        for attempt in range(MAX_THROTTLE_RETRIES + 1):
            self._wait_for_bucket(estimated_cost)
            response = self.client.request(
                "POST", self.endpoint, json_body=body, policy=MUTATION_POLICY if mutation else QUERY_POLICY,
                error_messages={401: f"Shopify rejected the access token of {self.shop_domain} (HTTP 401)",
                                402: f"The Shopify store {self.shop_domain} is frozen (HTTP 402)",
                                403: f"The access token of {self.shop_domain} lacks a scope (HTTP 403)",
                                404: f"Shopify store {self.shop_domain} or API version {self.api_version} "
                                     f"not found (HTTP 404)"})
            payload = response_json(response, self.vendor) or {}
            cost = (payload.get("extensions") or {}).get("cost") or {}
            throttle = self._remember_bucket(cost)
            errors = payload.get("errors") or []
            if isinstance(errors, str):
                errors = [{"message": errors}]
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if THROTTLED in codes:
                requested = flt(cost.get("requestedQueryCost")) or estimated_cost
                rate = flt(throttle.get("restoreRate")) or self.restore_rate
                wait = max(1.0 / rate, (requested - flt(throttle.get("currentlyAvailable"))) / rate)
                estimated_cost = requested
                if attempt == MAX_THROTTLE_RETRIES or wait > MAX_BUCKET_WAIT_SECONDS:
                    raise VendorError(f"{self.vendor}: Shopify throttled the request", retryable=True,
                                      status_code=429, retry_after=wait)
                clock.sleep(wait)
                continue
            if errors:
                message = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
                raise VendorError(f"{self.vendor}: Shopify GraphQL error: {message}",
                                  retryable=bool(codes & set(RETRYABLE_ERROR_CODES)), status_code=response.status_code)
            return payload.get("data") or {}
        raise VendorError(f"{self.vendor}: Shopify throttled the request", retryable=True, status_code=429)

    def mutate(self, mutation: str, variables: dict, payload_key: str) -> dict:
        """Run a mutation and return its payload; non-empty ``userErrors`` raise a permanent VendorError."""
        data = self.execute(mutation, variables, mutation=True)
        payload = data.get(payload_key) or {}
        # some payloads name their list after the mutation (orderCancelUserErrors)
        errors = [e for key, value in payload.items() if key.endswith(("userErrors", "UserErrors"))
                  for e in value or ()]
        if errors:
            raise VendorError(f"{self.vendor}: Shopify refused {payload_key}: {user_errors_message(errors)}",
                              retryable=False)
        return payload

    def paginate(self, query: str, variables: dict | None, path, *, cursor_variable: str = "cursor"):
        """Yield every node of the connection at ``path`` (keys into ``data``), page by page.

        The query must take ``$cursor: String`` (or ``cursor_variable``) as ``after:`` and select
        ``pageInfo { hasNextPage endCursor }`` with ``nodes`` or ``edges { node }``.
        """
        cursor = None
        while True:
            data = self.execute(query, {**(variables or {}), cursor_variable: cursor})
            connection = data
            for key in path:
                connection = (connection or {}).get(key) or {}
            nodes = connection.get("nodes")
            if nodes is None:
                nodes = [edge.get("node") for edge in connection.get("edges") or []]
            yield from nodes
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            cursor = page["endCursor"]

    # ------------------------------------------------------------------------------------ orders

    def find_order_by_tag(self, tag: str) -> dict | None:
        """The store's order tagged ``tag`` (MedGrid tags each order with its Sales Order name)."""
        data = self.execute(ORDER_BY_TAG_QUERY, {"query": f'tag:"{tag}"'})
        nodes = ((data.get("orders") or {}).get("nodes")) or []
        return nodes[0] if nodes else None

    def variant_by_sku(self, sku: str) -> str | None:
        data = self.execute(VARIANT_BY_SKU_QUERY, {"query": f'sku:"{sku}"'})
        nodes = ((data.get("productVariants") or {}).get("nodes")) or []
        return nodes[0]["id"] if nodes else None

    def place_order(self, order, address: dict, line_items: list[dict]) -> tuple[dict, bool]:
        """Create the Shopify order for ``order`` unless one tagged with its name exists.

        Returns (order node ``{id, name}``, already_placed). Shopify has no idempotency key, so the tag
        lookup is what makes a re-send safe (and why ``orderCreate`` is never blindly retried).
        """
        existing = self.find_order_by_tag(order.name)
        if existing:
            return existing, True
        variables = {"order": build_order_input(order, address, line_items), "options": ORDER_CREATE_OPTIONS}
        payload = self.mutate(ORDER_CREATE_MUTATION, variables, "orderCreate")
        created = payload.get("order") or {}
        if not created.get("id"):
            raise VendorError(f"{self.vendor}: orderCreate returned no order", retryable=True)
        return created, False


    def cancel_order(self, order_gid: str, staff_note: str) -> dict:
        """Cancel a Shopify order without refunding (MedGrid, not the store, took the payment)."""
        return self.mutate(ORDER_CANCEL_MUTATION, {"orderId": order_gid, "reason": "OTHER", "restock": True,
                                                   "notifyCustomer": False, "staffNote": staff_note,
                                                   "refundMethod": {"originalPaymentMethodsRefund": False}},
                           "orderCancel")

    def add_tags(self, gid: str, tags: list[str]) -> dict:
        """Add ``tags`` to an order (or product); Shopify keeps tags it already has, so a repeat is harmless."""
        return self.mutate(TAGS_ADD_MUTATION, {"id": gid, "tags": list(tags)}, "tagsAdd")


def build_order_input(order, address: dict, line_items: list[dict]) -> dict:
    """``OrderCreateOrderInput`` carrying the Sales Order name as tag, note and custom attribute."""
    first_name, last_name = recipient_names(order, address)
    country = country_code(address.get("country"))
    return {
        "lineItems": line_items,
        "email": contact_email(order, address),
        "tags": [order.name],
        "note": ORDER_NOTE.format(name=order.name),
        "customAttributes": [{"key": SALES_ORDER_ATTRIBUTE, "value": order.name}],
        "shippingAddress": {
            "firstName": first_name,
            "lastName": last_name,
            "address1": address.get("address_line1"),
            "address2": address.get("address_line2") or None,
            "city": address.get("city"),
            "provinceCode": state_code(address.get("state"), country),
            "zip": address.get("pincode"),
            "countryCode": country,
            "phone": contact_phone(order, address) or None,
        },
    }


def line_item(variant: str, qty) -> dict:
    return {"variantId": variant, "quantity": quantity(qty)}
