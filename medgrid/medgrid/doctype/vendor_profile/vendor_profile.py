"""A fulfilment vendor of the marketplace and the user who manages its integrations."""

from frappe.model.document import Document


class VendorProfile(Document):
    pass
