"""Vendor-owned Shopify stores connected through OAuth (``Shopify Connection``, several per vendor).

Mapping decision (there is no per-store field on Item): the line's store is the dispatch's connection —
the router resolves it from the Item's ``vendor_profile`` (:meth:`ShopifyConnector.resolve_connection`:
that vendor's most recently connected store). The variant is, in order:

1. the Item's ``exoceuticals_variant_id`` when it holds a ProductVariant GID (or bare numeric id) — the
   guide names that field "Shopify ProductVariant GID" for every Shopify store;
2. otherwise the store's variant whose SKU is that value, or the Item's ``item_code`` (a
   ``productVariants(query: "sku:…")`` lookup).

The Shopify order GID and name stay on the dispatch (``vendor_order_id`` / ``vendor_reference``): the
Sales Order has no per-store fields. Expiring offline tokens are refreshed before use with the MedGrid
app's key and secret (MedGrid System Settings).
"""

from __future__ import annotations

import frappe

from medgrid.connectors import shopify_tokens
from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.order_data import get_shipping_address
from medgrid.connectors.shopify_graphql import DEFAULT_API_VERSION, ShopifyGraphQL, line_item, variant_gid
from medgrid.constants import SALES_ORDER, SYSTEM_SETTINGS

VENDOR = "shopify"
LABEL = "Shopify"
CONNECTION_DOCTYPE = "Shopify Connection"
CONNECTED = "Connected"
CANCEL_NOTE = "Cancelled in MedGrid (Sales Order {name})"


def _api_version(connection) -> str:
    return (connection.get("api_version")
            or frappe.db.get_single_value(SYSTEM_SETTINGS, "shopify_api_version") or DEFAULT_API_VERSION)


def refresh_access_token(connection) -> str:
    """Exchange the connection's refresh token for a new token pair and store both (rotated).

    The refresh lives with the OAuth install (:mod:`medgrid.connectors.shopify_tokens`), which also
    serves the Exoceuticals store.
    """
    return shopify_tokens.refresh_access_token(connection, shopify_tokens.vendor_app())


def access_token(connection) -> str | None:
    """The connection's access token, refreshed first when it expires within five minutes."""
    return shopify_tokens.access_token(connection)


def get_client(connection, reference=(None, None)) -> ShopifyGraphQL:
    """GraphQL client for a connected vendor store."""
    return ShopifyGraphQL(VENDOR, connection.shop_domain, access_token(connection), _api_version(connection),
                          reference=reference, api_base_url=connection.get("api_base_url"))


class ShopifyConnector(Connector):
    """Creates orders in a vendor's own Shopify store."""

    key = VENDOR

    def is_configured(self) -> bool:
        return bool(frappe.db.exists(CONNECTION_DOCTYPE, {"status": CONNECTED}))

    def resolve_connection(self, vendor_profile: str | None):
        if not vendor_profile:
            return None, None
        name = frappe.db.get_value(CONNECTION_DOCTYPE, {"vendor_profile": vendor_profile, "status": CONNECTED},
                                   "name", order_by="connected_on desc, modified desc")
        return (CONNECTION_DOCTYPE, name) if name else (None, None)

    def _connection(self, dispatch):
        name = dispatch.get("connection_name") if dispatch.get("connection_doctype") == CONNECTION_DOCTYPE else None
        if not name:
            _doctype, name = self.resolve_connection(dispatch.get("vendor_profile"))
        if not name or not frappe.db.exists(CONNECTION_DOCTYPE, name):
            raise VendorError(f"No connected Shopify store for {dispatch.get('vendor_profile')}", retryable=False)
        connection = frappe.get_doc(CONNECTION_DOCTYPE, name)
        if connection.status != CONNECTED:
            raise VendorError(f"Shopify store {name} is {connection.status}", retryable=False)
        return connection

    def _line_items(self, client: ShopifyGraphQL, dispatch) -> list[dict]:
        items, unmapped = [], []
        for line in dispatch.lines:
            gid = variant_gid(line.vendor_sku) or client.variant_by_sku(line.vendor_sku or line.item_code)
            if gid:
                items.append(line_item(gid, line.qty))
            else:
                unmapped.append(line.item_code)
        if unmapped:
            raise VendorError(f"The Shopify store has no variant for item(s): {', '.join(unmapped)}",
                              retryable=False)
        return items

    def send(self, dispatch, order) -> SendResult:
        connection = self._connection(dispatch)
        client = get_client(connection, (SALES_ORDER, order.name))
        address = get_shipping_address(order)
        node, already_placed = client.place_order(order, address, self._line_items(client, dispatch))
        return SendResult(vendor_order_id=node["id"], vendor_reference=node.get("name"), order_fields={},
                          already_placed=already_placed)

    def cancel(self, dispatch, order) -> bool:
        if not dispatch.get("vendor_order_id"):
            return False
        connection = self._connection(dispatch)
        get_client(connection, (SALES_ORDER, order.name)).cancel_order(dispatch.vendor_order_id,
                                                                         CANCEL_NOTE.format(name=order.name))
        return True
