"""The admin-managed Exoceuticals Shopify store."""

from frappe.model.document import Document


class ExoceuticalsSettings(Document):
    pass
