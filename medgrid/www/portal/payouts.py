"""/portal/payouts: a vendor's payouts (admins: any vendor's, and a button to create them)."""

from medgrid.pages.payouts import get_context as _payouts_context

no_cache = 1


def get_context(context):
    """Login required; vendors and admins only (Frappe's 403 page otherwise)."""
    _payouts_context(context)
