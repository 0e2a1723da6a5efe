"""Inbound vendor webhooks (guide "Webhook Reference") and the status-poll fallback.

Every vendor follows the same three layers (the frappe/payments pattern):

1. a **pure verify function** that decides on the raw request bytes and the signature headers alone
   (no database, no network) — ``verify_signature`` / ``verify_request`` in each vendor module;
2. a **thin guest endpoint** (``webhook``) that reads the raw body first, verifies, stores one
   ``MedGrid Webhook Event`` under its unique dedupe key, commits and enqueues — it never calls a vendor;
3. a **background apply** (``apply``, named by the vendor's descriptor in ``medgrid.vendors``) that matches
   the event to a Sales Order routed to that vendor and hands a :class:`medgrid.vendors.update.VendorUpdate`
   to :func:`medgrid.webhooks.status_order.write_update` (which keeps each vendor's statuses in order), and
   so to :func:`medgrid.fulfillment_router.tracking.record_vendor_update`, the one writer of vendor status
   to the order and its dispatch. An event about an order never routed to the vendor is left Unmatched;
   one that would move a status backwards, Ignored.

The guide's endpoint paths are mapped to these functions with ``override_whitelisted_methods`` in
``medgrid/hooks.py``:

=====================================  ==========================================
``medgrid.perfectrx.webhook``          :func:`medgrid.webhooks.perfectrx.webhook`
``medgrid.shipstation.webhook``        :func:`medgrid.webhooks.shipstation.webhook`
``medgrid.sinq.webhook``               :func:`medgrid.webhooks.sinq.webhook`
``medgrid.exoceuticals.webhook``       :func:`medgrid.webhooks.shopify.webhook` (Exoceuticals and every
                                       connected vendor store)
=====================================  ==========================================

:mod:`medgrid.webhooks.reconcile` holds the one poll loop (every registered vendor's poll) that catches what
a lost webhook missed, and the sweep of stored events whose apply was lost.
"""
