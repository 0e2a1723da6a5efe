"""Vendor onboarding: the public "Request a Vendor Profile" form and its admin review (``requests.py``),
and the self-ticking checklist of ``/portal/integrations`` (``checklist.py``)."""
