"""/vendor-signup: the public "Request a Vendor Profile" form (onboarding step 1)."""

from medgrid.pages.backoffice import vendor_signup_context

no_cache = 1


def get_context(context):
    """Anyone may open it; the form posts to medgrid.onboarding.requests.submit_request."""
    vendor_signup_context(context)
