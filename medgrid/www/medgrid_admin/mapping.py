"""/medgrid-admin/mapping: vendor mapping fields per vendor and the route check."""

from medgrid.pages.backoffice import mapping_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    mapping_context(context)
