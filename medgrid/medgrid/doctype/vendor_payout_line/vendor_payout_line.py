"""One delivered Fulfillment Dispatch a Vendor Payout pays."""

from frappe.model.document import Document


class VendorPayoutLine(Document):
    pass
