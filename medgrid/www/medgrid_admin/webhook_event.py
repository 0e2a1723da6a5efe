"""/medgrid-admin/webhook-events/<name>: one webhook event, its redacted headers and payload."""

from medgrid.pages.admin import webhook_event_context

no_cache = 1


def get_context(context):
    """Admins only (Frappe's 403 page for everyone else, with a Login button for guests)."""
    webhook_event_context(context)
