"""An accepted inbound webhook, stored before it is applied (dedupe by a unique key)."""

from frappe.model.document import Document


class MedGridWebhookEvent(Document):
    pass
