"""/portal/integrations: a vendor's ShipStation and Shopify connections and its managed integrations."""

from medgrid.pages.integrations import get_context as _integrations_context

no_cache = 1


def get_context(context):
    """Login required (Frappe's 403 page for guests); vendors see their profile, admins any vendor."""
    _integrations_context(context)
