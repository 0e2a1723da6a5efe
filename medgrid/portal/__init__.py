"""Portal back-office for signed-in users: API Access, the Vendor Dashboard and what they share.

The pages live in ``medgrid/www/portal/``; the whitelisted methods they call live here, one module per
concern (``api_access``, ``vendor_dashboard``); ``vendor_scope`` says which dispatches are a vendor's.
"""
