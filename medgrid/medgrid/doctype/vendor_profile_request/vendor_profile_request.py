"""A company's request for a Vendor Profile (guide, onboarding step 1); see ``medgrid.onboarding.requests``."""

from frappe.model.document import Document


class VendorProfileRequest(Document):
    pass
