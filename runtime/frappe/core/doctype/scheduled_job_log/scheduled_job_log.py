"""Controller of Scheduled Job Log: one row per run of a scheduled job."""

from frappe.model.document import Document


class ScheduledJobLog(Document):
	pass
