"""When a user's API key pair was created, last rotated and last used (the secret itself stays on the User).

Written only by ``medgrid.portal.api_access`` (generate/rotate and the auth hook); admins read it.
"""

from frappe.model.document import Document


class MedGridAPIKey(Document):
    pass
