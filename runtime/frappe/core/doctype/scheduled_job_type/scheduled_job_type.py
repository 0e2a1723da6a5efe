"""Controller of Scheduled Job Type: one row per scheduled method (from the scheduler_events hook)."""

from frappe.model.document import Document


class ScheduledJobType(Document):
	def autoname(self):
		"""Name the job after the last two segments of its dotted method path."""
		self.name = ".".join(self.method.split(".")[-2:])
