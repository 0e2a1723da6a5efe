"""A Sales Order line as routed to one vendor."""

from frappe.model.document import Document


class FulfillmentDispatchLine(Document):
    pass
