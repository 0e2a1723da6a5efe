"""Platform-wide MedGrid settings: the Shopify app keys and the dispatch retry policy."""

from frappe.model.document import Document


class MedGridSystemSettings(Document):
    pass
