"""/portal/support: a signed-in user's help requests, the form to send one, and MedGrid's replies."""

from medgrid.pages.support import get_context as _support_context

no_cache = 1


def get_context(context):
    """Login required (Frappe's 403 page for guests)."""
    _support_context(context)
