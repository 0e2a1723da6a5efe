"""``VendorUpdate``: what a vendor reported about one order, in MedGrid's words rather than field names.

Webhooks and polls produce it; :func:`medgrid.fulfillment_router.tracking.record_vendor_update` alone writes
it — to the vendor's Sales Order fields (its descriptor says which) and to the order's Fulfillment Dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from medgrid.connectors.carriers import tracking_url


class _Keep:
    """Marks a tracking value the update does not touch (None clears it: a voided label, a cancelled fulfilment)."""

    def __repr__(self) -> str:
        return "KEEP"

    def __bool__(self) -> bool:
        return False


KEEP = _Keep()
# The Fulfillment Dispatch columns an update mirrors, by VendorUpdate attribute
DISPATCH_COLUMNS = {"status": "vendor_status", "tracking_number": "tracking_number", "carrier": "carrier",
                    "tracking_url": "tracking_url", "vendor_order_id": "vendor_order_id"}


@dataclass
class VendorUpdate:
    status: str | None = None                 # None: the status does not change
    tracking_number: object = KEEP
    carrier: object = KEEP
    tracking_url: object = KEEP
    vendor_order_id: str | None = None
    occurred_at: datetime | None = None       # the vendor's time of the change, when it says
    explicit: bool = False                    # a reship / voided label / withdrawn fulfilment may go back a stage
    # vendor-specific Sales Order fields (a patient id, a label URL, a shipping tier)
    extra: dict = field(default_factory=dict)

    def set_tracking(self, number, carrier=None, url=None) -> VendorUpdate:
        """A shipment's tracking (its URL built from the carrier when the vendor sends none); a blank number
        changes nothing."""
        number = str(number or "").strip()
        if number:
            self.carrier = str(carrier or "").strip() or None
            self.tracking_number = number
            self.tracking_url = url or tracking_url(self.carrier, number)
        return self

    def clear_tracking(self) -> VendorUpdate:
        """Withdraw the tracking recorded so far (a voided label, a cancelled fulfilment)."""
        self.tracking_number = self.carrier = self.tracking_url = None
        return self

    def changes(self) -> dict:
        """attribute → value of everything this update sets (KEEP and an unchanged status left out)."""
        out = {}
        for name in DISPATCH_COLUMNS:
            value = getattr(self, name)
            if value is KEEP or (name in ("status", "vendor_order_id") and value is None):
                continue
            out[name] = value
        return out

    def order_fields(self, owned, synced_at) -> dict:
        """Sales Order field values, for a vendor whose fields are ``owned`` (an ``OrderFields``)."""
        values = {}
        for name, value in self.changes().items():
            fieldname = getattr(owned, name, None)
            if fieldname:
                values[fieldname] = value
        values.update(self.extra)
        if owned.sync_date and synced_at is not None:
            values[owned.sync_date] = synced_at
        return values

    def dispatch_fields(self) -> dict:
        return {DISPATCH_COLUMNS[name]: value for name, value in self.changes().items()}

    @classmethod
    def from_order_fields(cls, owned, values: dict, **kwargs) -> VendorUpdate:
        """An update from Sales Order field values (``owned`` names them) or dispatch column names."""
        by_field = {getattr(owned, f.name): f.name for f in fields(owned) if getattr(owned, f.name)}
        by_column = {column: name for name, column in DISPATCH_COLUMNS.items()}
        update = cls(**kwargs)
        for key, value in (values or {}).items():
            name = by_field.get(key) or by_column.get(key)
            if key == owned.sync_date:
                continue  # the writer stamps the sync time itself
            if name in DISPATCH_COLUMNS:
                setattr(update, name, value)
            else:
                update.extra[key] = value
        return update
