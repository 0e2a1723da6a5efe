"""A vendor's own Shopify store connected through OAuth (several per vendor)."""

from frappe.model.document import Document


class ShopifyConnection(Document):
    pass
