"""The verbs every fulfilment connector implements, and the connectors of the vendor registry.

Which connector serves a vendor is its descriptor's (``medgrid.vendors``, the ``medgrid_vendors`` hook); what
a vendor's Sales Order fields mean is the descriptor's too, so a connector only talks to its vendor. The
router never names a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import frappe

from medgrid.vendors import CONNECTOR_OVERRIDE_HOOK, VendorDescriptor, get_vendor, get_vendors
from medgrid.vendors.update import VendorUpdate


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
    """Base class of one vendor's connector. Subclasses set ``key`` and implement send.

    Label, Item mapping field and the Sales Order fields come from the vendor's descriptor.
    """

    key: str = ""  # the vendor key used everywhere: "perfectrx", "shipstation", …

    @property
    def descriptor(self) -> VendorDescriptor | None:
        return get_vendor(self.key)

    @property
    def label(self) -> str:
        return self.descriptor.label if self.descriptor else self.key

    @property
    def item_mapping_field(self) -> str:
        return (self.descriptor.item_mapping_field if self.descriptor else None) or ""

    @property
    def status_field(self) -> str:
        return (self.descriptor.order_fields.status if self.descriptor else None) or ""

    @property
    def tracking_fields(self) -> tuple:
        fields = self.descriptor.order_fields.tracking if self.descriptor else ()
        return fields if any(fields) else ()

    @property
    def initial_status(self) -> str | None:
        return self.descriptor.statuses.initial if self.descriptor else None

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

    def fetch_status(self, dispatch, order) -> VendorUpdate | None:
        """The vendor's current status of a sent dispatch, or None when the vendor has no status API."""
        return None


def get_connectors() -> dict[str, Connector]:
    """vendor key → connector instance for every registered vendor (``medgrid_connectors`` may replace one)."""
    overrides = frappe.get_hooks(CONNECTOR_OVERRIDE_HOOK) or {}
    out = {}
    for key, descriptor in get_vendors().items():
        paths = overrides.get(key) or [descriptor.connector]
        path = paths[-1] if isinstance(paths, list) else paths
        out[key] = frappe.get_attr(path)()
    return out


def get_connector(key: str) -> Connector:
    connectors = get_connectors()
    if key not in connectors:
        frappe.throw(frappe._("No connector is registered for vendor {0}").format(key))
    return connectors[key]
