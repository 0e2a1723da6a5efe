"""/medgrid-admin/dispatches: the Fulfillment Dispatch outbox with filters, status colours and (bulk) Retry."""

from medgrid.pages.admin import dispatches_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    dispatches_context(context)
