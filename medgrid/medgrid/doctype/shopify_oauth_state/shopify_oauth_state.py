"""A single-use, short-lived OAuth state bound to the user who started the install."""

from frappe.model.document import Document


class ShopifyOAuthState(Document):
    pass
