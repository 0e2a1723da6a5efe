"""/portal/api-access: generate and rotate one's API key pair (admins: any user's)."""

from medgrid.pages.api_access import get_context as _api_access_context

no_cache = 1


def get_context(context):
    """Login required (Frappe's 403 page for guests)."""
    _api_access_context(context)
