"""/medgrid-admin/webhook-events: inbound vendor webhooks with filters and (bulk) Retry."""

from medgrid.pages.admin import webhook_events_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    webhook_events_context(context)
