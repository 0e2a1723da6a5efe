"""The verbs every fulfilment connector implements, and the registry the router reads from hooks.

A new vendor is one module under ``medgrid/connectors/`` plus one line in ``hooks.medgrid_connectors``;
the router never names a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import frappe


class VendorError(Exception):
    """A vendor refused or failed a request.

    ``retryable`` says whether trying again later can succeed (5xx, timeouts, 429 after the client's
    own retries); a permanent refusal (4xx, ``success: false``, ``userErrors``) is not retried.
    """

    def __init__(self, message: str, *, retryable: bool = False, status_code: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass
class SendResult:
    """What a vendor answered to a dispatch; the router writes it to the dispatch and the order."""

    vendor_order_id: str | None = None
    vendor_reference: str | None = None
    # Sales Order fields to set (the connector's own ``<vendor>_*`` fields)
    order_fields: dict = field(default_factory=dict)
    already_placed: bool = False


class Connector:
    """Base class of one vendor's connector. Subclasses set the class attributes and implement send."""

    key: str = ""                 # the vendor key used everywhere: "perfectrx", "shipstation", …
    label: str = ""               # human label shown in aggregate_shipments
    item_mapping_field: str = ""  # Item field holding the vendor's product id / SKU
    status_field: str = ""        # Sales Order field with this vendor's status
    tracking_fields: tuple = ()   # (tracking_number, carrier, tracking_url) Sales Order fields
    initial_status: str | None = None  # status written to the order when the dispatch is created

    def is_configured(self) -> bool:
        """Whether the managed settings / connection needed to send exist."""
        return True

    def resolve_connection(self, vendor_profile: str | None):
        """(doctype, name) of the connection this vendor's lines go through, or (None, None)."""
        return None, None

    def send(self, dispatch, order) -> SendResult:
        """Place the dispatch's lines with the vendor (idempotent: a re-send never duplicates)."""
        raise NotImplementedError

    def cancel(self, dispatch, order) -> bool:
        """Ask the vendor to cancel; False when the vendor offers no cancel."""
        return False

    def fetch_status(self, dispatch, order) -> dict | None:
        """Current vendor status as Sales Order field values, or None when the vendor has no poll API."""
        return None


def get_connectors() -> dict[str, Connector]:
    """vendor key → connector instance, from every installed app's ``medgrid_connectors`` hook."""
    registry = frappe.get_hooks("medgrid_connectors") or {}
    out = {}
    for key, paths in registry.items():
        path = paths[-1] if isinstance(paths, list) else paths
        out[key] = frappe.get_attr(path)()
    return out


def get_connector(key: str) -> Connector:
    connectors = get_connectors()
    if key not in connectors:
        frappe.throw(frappe._("No connector is registered for vendor {0}").format(key))
    return connectors[key]
