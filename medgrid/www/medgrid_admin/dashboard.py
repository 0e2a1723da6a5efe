"""/medgrid-admin/dashboard: the order-flow dashboard."""

from medgrid.pages.backoffice import dashboard_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    dashboard_context(context)
