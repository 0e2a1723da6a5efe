"""Exoceuticals: the admin-managed Shopify store (Admin GraphQL API, version pinned to ``2026-04``).

The store, its token, API version and cost budget are the ``Exoceuticals Settings`` single. Each dispatch
becomes one ``orderCreate`` whose line items are the Items' ``exoceuticals_variant_id`` (ProductVariant
GIDs), tagged with the Sales Order name (and carrying it in ``note`` and a ``medgrid_sales_order`` custom
attribute) so webhooks match back and a re-send finds the order instead of creating a second one. The
order's GID and name go to ``exoceuticals_order_id`` / ``exoceuticals_order_name``.
"""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

from medgrid.connectors import carriers, shopify_tokens
from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.order_data import get_shipping_address
from medgrid.connectors.shopify_graphql import DEFAULT_API_VERSION, ShopifyGraphQL, line_item, variant_gid
from medgrid.constants import SALES_ORDER
from medgrid.vendors.builtin import EXOCEUTICALS, EXOCEUTICALS_ORDER_NAME
from medgrid.vendors.update import VendorUpdate

VENDOR = "exoceuticals"
LABEL = "Exoceuticals"
SETTINGS_DOCTYPE = "Exoceuticals Settings"
API_VERSION = DEFAULT_API_VERSION  # the guide pins Exoceuticals to Admin API 2026-04

# the Sales Order fields it owns, by meaning (its descriptor)
FIELDS = EXOCEUTICALS.order_fields
FIELD_ORDER_NAME = EXOCEUTICALS_ORDER_NAME

STATUS_OPEN = "Open"
STATUS_CANCELLED = "Cancelled"
STATUS_FULFILLED = "Fulfilled"
CANCEL_NOTE = "Cancelled in MedGrid (Sales Order {name})"
FULFILLED = "FULFILLED"

ORDER_STATUS_QUERY = """
query MedGridOrderStatus($id: ID!) {
  order(id: $id) {
    id name cancelledAt displayFulfillmentStatus
    fulfillments(first: 10) { trackingInfo(first: 1) { number company url } }
  }
}
""".strip()


def _settings():
    return frappe.get_single(SETTINGS_DOCTYPE)


def get_client(settings=None, reference=(None, None)) -> ShopifyGraphQL:
    """The Exoceuticals store's GraphQL client (also used by the catalog and inventory syncs)."""
    settings = settings or _settings()
    if not settings.shop_domain:
        raise VendorError("Exoceuticals Settings have no shop_domain", retryable=False)
    return ShopifyGraphQL(VENDOR, settings.shop_domain, shopify_tokens.access_token(settings),
                          settings.api_version or API_VERSION,
                          cost_units_per_second=settings.cost_units_per_second, reference=reference,
                          api_base_url=settings.get("api_base_url"))


def line_items(dispatch) -> list[dict]:
    """``[{variantId, quantity}]``; a line without a variant GID is a mapping error, not a retry."""
    items, unmapped = [], []
    for line in dispatch.lines:
        gid = variant_gid(line.vendor_sku)
        if gid:
            items.append(line_item(gid, line.qty))
        else:
            unmapped.append(line.item_code)
    if unmapped:
        raise VendorError(f"No Exoceuticals variant (exoceuticals_variant_id) on item(s): {', '.join(unmapped)}",
                          retryable=False)
    return items


class ExoceuticalsConnector(Connector):
    """Creates the Exoceuticals Shopify order for a dispatch."""

    key = VENDOR

    def is_configured(self) -> bool:
        settings = _settings()
        return bool(settings.enabled and settings.shop_domain
                    and settings.get_password("access_token", raise_exception=False))

    def resolve_connection(self, vendor_profile: str | None):
        return SETTINGS_DOCTYPE, SETTINGS_DOCTYPE

    def send(self, dispatch, order) -> SendResult:
        """Find the order tagged with the Sales Order name, else ``orderCreate`` it."""
        items = line_items(dispatch)
        address = get_shipping_address(order)
        client = get_client(reference=(SALES_ORDER, order.name))
        node, already_placed = client.place_order(order, address, items)
        return SendResult(
            vendor_order_id=node["id"],
            vendor_reference=node.get("name"),
            order_fields={FIELDS.vendor_order_id: node["id"], FIELD_ORDER_NAME: node.get("name"),
                          FIELDS.status: STATUS_OPEN, FIELDS.sync_date: now_datetime()},
            already_placed=already_placed,
        )

    def cancel(self, dispatch, order) -> bool:
        order_gid = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
        if not order_gid:
            return False
        get_client(reference=(SALES_ORDER, order.name)).cancel_order(order_gid, CANCEL_NOTE.format(name=order.name))
        return True

    def fetch_status(self, dispatch, order) -> VendorUpdate | None:
        """The Shopify order's state as a vendor update (a fallback for lost webhooks)."""
        order_gid = dispatch.get("vendor_order_id") or order.get(FIELDS.vendor_order_id)
        if not order_gid:
            return None
        data = get_client(reference=(SALES_ORDER, order.name)).execute(ORDER_STATUS_QUERY, {"id": order_gid})
        node = data.get("order")
        if not node:
            return None
        return VendorUpdate.from_order_fields(self.descriptor.order_fields, status_fields(node),
                                              vendor_order_id=order_gid)


def status_fields(node: dict) -> dict:
    """Sales Order fields from a GraphQL Order node (status, and tracking of the latest fulfillment)."""
    if node.get("cancelledAt"):
        status = STATUS_CANCELLED
    elif node.get("displayFulfillmentStatus") == FULFILLED:
        status = STATUS_FULFILLED
    else:
        status = STATUS_OPEN
    fields = {FIELDS.status: status, FIELDS.sync_date: now_datetime()}
    tracking = [info for fulfillment in node.get("fulfillments") or []
                for info in fulfillment.get("trackingInfo") or []]
    if tracking and tracking[-1].get("number"):
        latest = tracking[-1]
        fields.update({FIELDS.tracking_number: latest["number"], FIELDS.carrier: latest.get("company"),
                       FIELDS.tracking_url: latest.get("url") or carriers.tracking_url(latest.get("company"),
                                                                                      latest["number"])})
    return fields
