"""Controller of System Settings, the site-wide settings single (Frappe v15 behaviour).

Saving copies every changed value into the global defaults (``tabDefaultValue``,
parent ``__default``), which is where session expiry, date and number formats
are read from at run time.
"""

import frappe
from frappe.model.document import Document
from frappe.utils import cint

# fieldtypes that hold no value
_NO_VALUE_TYPES = {"Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect", "Button", "Image", "Fold", "Heading"}


def _cache():
	cache = getattr(frappe, "cache", None)
	if cache is not None and not hasattr(cache, "delete_value") and callable(cache):
		cache = cache()
	return cache


class SystemSettings(Document):
	def validate(self):
		if cint(self.enable_password_policy) and cint(self.minimum_password_score) <= 0:
			frappe.throw(frappe._("Please select Minimum Password Score"))
		elif not cint(self.enable_password_policy):
			self.minimum_password_score = ""

		if self.session_expiry:
			parts = self.session_expiry.split(":")
			if len(parts) != 2 or not (cint(parts[0]) or cint(parts[1])):
				frappe.throw(frappe._("Session Expiry must be in format {0}").format("hh:mm"))

	def on_update(self):
		self.set_defaults()
		cache = _cache()
		if cache is not None:
			cache.delete_value("system_settings")
			cache.delete_value("time_zone")
		# per-request copies of the settings (frappe.get_system_settings, frappe.utils) are stale now
		for attr in ("system_settings", "system_settings_values"):
			if getattr(frappe.local, attr, None) is not None:
				setattr(frappe.local, attr, None)

	def set_defaults(self):
		"""Write each changed setting to the global defaults (language also as ``lang``)."""
		for df in self.meta.get("fields"):
			if df.fieldtype in _NO_VALUE_TYPES or not self.has_value_changed(df.fieldname):
				continue
			frappe.db.set_default(df.fieldname, self.get(df.fieldname))
		if self.language and self.has_value_changed("language"):
			frappe.db.set_default("lang", self.language)


@frappe.whitelist()
def load():
	"""System Settings and the list of time zones, for the settings form."""
	frappe.only_for("System Manager")
	import zoneinfo

	settings = frappe.get_doc("System Settings")
	return {"timezones": sorted(zoneinfo.available_timezones()), "defaults": settings.as_dict()}
