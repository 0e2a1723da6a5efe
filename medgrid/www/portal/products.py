"""/portal/products: a vendor's own products with their approval status and the reviewer's reason."""

from medgrid.pages.backoffice import vendor_products_context

no_cache = 1


def get_context(context):
    """Vendors (their own profiles) and admins (any profile); everyone else gets Frappe's 403 page."""
    vendor_products_context(context)
