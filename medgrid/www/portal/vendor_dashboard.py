"""/portal/vendor-dashboard: the orders routed to a vendor, what it must act on, its integrations' health."""

from medgrid.pages.vendor_dashboard import get_context as _vendor_dashboard_context

no_cache = 1


def get_context(context):
    """Login required; vendors and admins only (Frappe's 403 page otherwise)."""
    _vendor_dashboard_context(context)
