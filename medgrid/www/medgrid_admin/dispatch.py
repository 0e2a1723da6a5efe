"""/medgrid-admin/dispatches/<name>: one dispatch, its lines, attempts, last error, logs and webhooks."""

from medgrid.pages.admin import dispatch_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    dispatch_context(context)
