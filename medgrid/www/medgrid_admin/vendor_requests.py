"""/medgrid-admin/vendor-requests: onboarding requests to approve or reject."""

from medgrid.pages.backoffice import vendor_requests_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    vendor_requests_context(context)
