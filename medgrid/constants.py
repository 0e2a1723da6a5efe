"""Names every module shares: the doctypes MedGrid reads and writes, and a dispatch's statuses."""

from __future__ import annotations

SALES_ORDER = "Sales Order"
ITEM = "Item"
DISPATCH = "Fulfillment Dispatch"
WEBHOOK_EVENT = "MedGrid Webhook Event"
INTEGRATION_LOG = "MedGrid Integration Log"
VENDOR_PROFILE = "Vendor Profile"
SYSTEM_SETTINGS = "MedGrid System Settings"
EXOCEUTICALS_SETTINGS = "Exoceuticals Settings"

# Fulfillment Dispatch.status (the doctype's Select options)
QUEUED = "Queued"
SENDING = "Sending"
RETRYING = "Retrying"
SENT = "Sent"
FAILED = "Failed"
CANCELLED = "Cancelled"
OPEN_DISPATCH_STATUSES = (QUEUED, RETRYING, SENDING)
