"""/medgrid-admin/products: the approval queue of vendor products."""

from medgrid.pages.backoffice import products_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    products_context(context)
