"""The outbox row of one Sales Order's lines for one vendor: what to send, attempts and the outcome."""

from frappe.model.document import Document


class FulfillmentDispatch(Document):
    pass
