"""/sales-order: browse the catalog, place and submit a Sales Order, and follow its shipments."""

from medgrid.pages.orders import get_context as _orders_context

no_cache = 1


def get_context(context):
    """Login required (Frappe's 403 page for guests); sales reps, partners and admins."""
    _orders_context(context)
