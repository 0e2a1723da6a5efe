"""Fake connectors for router tests: they record what they were asked and answer as told.

``BEHAVIOUR[key]`` is a list of outcomes consumed one per send: "ok", "retry" (retryable VendorError),
"fail" (permanent VendorError), "crash" (an unexpected exception), "wait" (the vendor's rate limit
has no slot for 30 s: RateLimitWait), or a callable run with
(dispatch, order) before the send succeeds (a slow vendor). When empty, sends succeed.
"""

from __future__ import annotations

from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.rate_limit import RateLimitWait

SENT: list[tuple] = []       # (vendor, sales order, [(item_code, qty, vendor_sku)])
CANCELLED: list[tuple] = []
BEHAVIOUR: dict[str, list] = {}


def reset():
    SENT.clear()
    CANCELLED.clear()
    BEHAVIOUR.clear()


class _Fake(Connector):
    sent_status = ""

    def send(self, dispatch, order):
        outcome = BEHAVIOUR.get(self.key, []).pop(0) if BEHAVIOUR.get(self.key) else "ok"
        if callable(outcome):
            outcome = outcome(dispatch, order) or "ok"
        if outcome == "retry":
            raise VendorError(f"{self.label} is down (503)", retryable=True, status_code=503)
        if outcome == "fail":
            raise VendorError(f"{self.label} refused the order", retryable=False, status_code=400)
        if outcome == "wait":
            raise RateLimitWait(f"{self.label}: local rate limit is spent; this call's slot in 30 s", retry_after=30)
        if outcome == "crash":
            raise KeyError("unexpected answer")
        SENT.append((self.key, order.name, [(d.item_code, d.qty, d.vendor_sku) for d in dispatch.lines]))
        fields = {self.status_field: self.sent_status} if self.status_field and self.sent_status else {}
        return SendResult(vendor_order_id=f"{self.key}-{order.name}", order_fields=fields)

    def cancel(self, dispatch, order):
        CANCELLED.append((self.key, order.name))
        return True


class FakePerfectRx(_Fake):
    key, label, item_mapping_field = "perfectrx", "PerfectRx", "perfectrx_drug_description"
    status_field, sent_status = "perfectrx_status", "Received"
    tracking_fields = ("perfectrx_tracking_number", "perfectrx_carrier", "perfectrx_tracking_url")


class FakeShipStation(_Fake):
    key, label, item_mapping_field = "shipstation", "ShipStation", "shipstation_product_id"
    status_field, sent_status, initial_status = "shipstation_status", "Awaiting Shipment", "Submitted"
    tracking_fields = ("shipstation_tracking_number", "shipstation_carrier", "shipstation_tracking_url")


class FakeSinq(_Fake):
    key, label, item_mapping_field = "sinq", "SINQ Ops", "sinq_sku"
    status_field, sent_status = "sinq_status", "Synced"
    tracking_fields = ("sinq_tracking_number", "sinq_carrier", "sinq_tracking_url")


class FakeCentreResearch(_Fake):
    key, label, item_mapping_field = "centre_research", "Centre Research Peptides", "centre_research_product_id"
    status_field, sent_status = "cr_status", "Pending"
    tracking_fields = ("cr_tracking_number", "cr_carrier", "cr_tracking_url")


class FakeExoceuticals(_Fake):
    key, label, item_mapping_field = "exoceuticals", "Exoceuticals", "exoceuticals_variant_id"
    status_field, sent_status, initial_status = "exoceuticals_status", "Open", "Pending"
    tracking_fields = ("exoceuticals_tracking_number", "exoceuticals_carrier", "exoceuticals_tracking_url")


class FakeShopify(_Fake):
    key, label, item_mapping_field = "shopify", "Shopify", ""


# hook value that puts every fake in place of the real connector (``patch_hooks`` in app tests, the
# ``medgrid_connectors`` hook of the medgrid_fake_vendors test app)
CONNECTOR_OVERRIDES = {
    fake.key: [f"{__name__}.{fake.__name__}"]
    for fake in (FakePerfectRx, FakeShipStation, FakeSinq, FakeCentreResearch, FakeExoceuticals, FakeShopify)
}
