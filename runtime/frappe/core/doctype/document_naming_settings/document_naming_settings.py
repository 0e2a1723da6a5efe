"""Document Naming Settings: the naming series options of transactions, series counters and the
amendment naming rule (Frappe's Single of the same name).

``update_series`` (called by the Desk through ``run_doc_method``) writes the options and the
default of a doctype's ``naming_series`` field as Property Setters (property type Text); the doctype's
meta picks them up, so the next document named by series uses the new default.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.naming import NamingSeries


class NamingSeriesNotSetError(frappe.ValidationError):
	pass


class DocumentNamingSettings(Document):
	@frappe.whitelist()
	def get_transactions_and_prefixes(self):
		transactions = self._get_transactions()
		return {"transactions": transactions, "prefixes": self._get_prefixes(transactions)}

	def _get_transactions(self) -> list[str]:
		"""The readable doctypes that have a naming_series field (standard or custom)."""
		from frappe.permissions import get_role_permissions

		out = []
		for doctype in _doctypes_with_naming_series():
			perms = get_role_permissions(frappe.get_meta(doctype))
			if perms.get("read") or perms.get("select"):
				out.append(doctype)
		return sorted(out)

	def _get_prefixes(self, doctypes) -> list[str]:
		"""Prefixes of the series of ``doctypes`` (evaluated for today), of other doctypes' series
		autonames, and every prefix that already has a counter."""
		templates = set()
		for doctype in doctypes:
			templates.update(option for option in frappe.get_meta(doctype).get_naming_series_options() if option)
		for name, meta in _all_metas():
			autoname = meta.get("autoname") or ""
			if name not in doctypes and ".#" in autoname and meta.module != "Core":
				templates.add(autoname.rsplit(".", 1)[0])
		prefixes = set(frappe.db.sql("select `name` from `tabSeries`", pluck=True) or [])
		for template in templates:
			try:
				prefix = NamingSeries(template).get_prefix()
			except Exception:
				frappe.clear_last_message()
				frappe.log_error(f"Invalid naming series {template}")
				continue
			if prefix and "{" not in prefix:
				prefixes.add(prefix)
		return sorted(prefixes)

	def get_options_list(self, options: str) -> list[str]:
		return [option.strip() for option in (options or "").split("\n") if option.strip()]

	@frappe.whitelist()
	def update_series(self) -> None:
		"""Set the series options (and default) of ``transaction_type``."""
		self.validate_set_series()
		self.check_duplicate()
		self.set_series_options_in_meta(self.transaction_type, self.naming_series_options)
		frappe.msgprint(_("Series Updated for {}").format(self.transaction_type), alert=True, indicator="green")

	def validate_set_series(self) -> None:
		if self.transaction_type and not self.naming_series_options:
			frappe.throw(_("Please set the series to be used."))

	def set_series_options_in_meta(self, doctype: str, options: str) -> None:
		options = self.get_options_list(options)
		for series in options:
			self.validate_series_name(series)
		if options and self.user_must_always_select:
			# a blank first option: no default, the user has to pick one
			options = ["", *options]
		default = options[0] if options else ""
		option_string = "\n".join(options)
		# the old default may not be among the new options: blank it before changing the options
		self.update_naming_series_property_setter(doctype, "default", "")
		self.update_naming_series_property_setter(doctype, "options", option_string)
		self.update_naming_series_property_setter(doctype, "default", default)
		self.naming_series_options = option_string
		frappe.clear_cache(doctype=doctype)

	def update_naming_series_property_setter(self, doctype, property, value) -> None:
		from frappe.custom.doctype.property_setter.property_setter import make_property_setter

		make_property_setter(doctype, "naming_series", property, value, "Text")

	def check_duplicate(self) -> None:
		"""A series may belong to one doctype only."""

		def stripped(series: str) -> str:
			return series.strip().rstrip("#")

		used = {}
		for doctype in _doctypes_with_naming_series():
			if doctype == self.transaction_type:
				continue
			for series in frappe.get_meta(doctype).get_naming_series_options():
				if series.strip():
					used[stripped(series)] = doctype
		if not frappe.db.exists("DocType", self.transaction_type):
			frappe.throw(_("{0} {1} not found").format(_("DocType"), self.transaction_type), frappe.DoesNotExistError)
		meta = frappe.get_meta(self.transaction_type)
		for series in self.get_options_list(self.naming_series_options):
			if stripped(series) in used:
				frappe.throw(_("Series {0} already used in {1}").format(series, used[stripped(series)]))
			_validate_series(meta, series)

	def validate_series_name(self, series) -> None:
		NamingSeries(series).validate()

	@frappe.whitelist()
	def get_options(self, doctype=None):
		doctype = doctype or self.transaction_type
		if not doctype:
			return None
		df = frappe.get_meta(doctype).get_field("naming_series")
		return df.options if df else None

	@frappe.whitelist()
	def get_current(self):
		"""The counter of ``prefix``."""
		if self.prefix is not None:
			self.current_value = NamingSeries(self.prefix).get_current_value()
		return self.current_value

	@frappe.whitelist()
	def update_amendment_rule(self) -> None:
		self.db_set("default_amend_naming", self.default_amend_naming)
		keep = [d.name for d in self.amend_naming_override if d.name]
		for name in frappe.get_all("Amended Document Naming Settings", pluck="name"):
			if name not in keep:
				frappe.db.delete("Amended Document Naming Settings", {"name": name})
		for row in self.amend_naming_override:
			row.parent, row.parenttype, row.parentfield = self.doctype, self.doctype, "amend_naming_override"
			row.db_update()
		frappe.msgprint(_("Amendment naming rules updated."), indicator="green", alert=True)

	@frappe.whitelist()
	def update_series_start(self) -> None:
		"""Set the counter of ``prefix`` to ``current_value`` (System Manager only)."""
		frappe.only_for("System Manager")
		if self.prefix is None:
			frappe.throw(_("Please select prefix first"))
		series = NamingSeries(self.prefix)
		series.update_counter(self.current_value)
		frappe.msgprint(
			_("Series counter for {} updated to {} successfully").format(self.prefix, self.current_value),
			alert=True, indicator="green",
		)

	@frappe.whitelist()
	def preview_series(self) -> str:
		"""The next names ``try_naming_series`` would give (without using up numbers)."""
		series = self.try_naming_series
		if not series:
			return ""
		try:
			doc = None
			if self.transaction_type:
				try:
					doc = frappe.get_last_doc(self.transaction_type)
				except Exception:
					doc = None
			return "\n".join(NamingSeries(series).get_preview(doc=doc))
		except Exception as e:
			frappe.clear_last_message()
			return _("Failed to generate names from the series") + f"\n{e!s}"


def _all_metas():
	from frappe.model.meta import get_doctype_index

	for name in sorted(get_doctype_index()):
		yield name, frappe.get_meta(name)


def _doctypes_with_naming_series() -> list[str]:
	return [name for name, meta in _all_metas() if meta.get_field("naming_series")]


def _validate_series(meta, series: str) -> None:
	"""Frappe's DocType series check: a series given as an autoname must not be another doctype's."""
	autoname = series
	if meta.autoname == "naming_series:" and not meta.get_field("naming_series"):
		frappe.throw(_("Invalid fieldname '{0}' in autoname").format(meta.autoname))
	if autoname and not autoname.startswith(("field:", "eval:", "naming_series:", "format:")) \
			and autoname.lower() not in ("prompt", "hash"):
		prefix = autoname.split(".")[0]
		for name, other in _all_metas():
			if name != meta.name and (other.get("autoname") or "").startswith(prefix + "."):
				frappe.throw(_("Series {0} already used in {1}").format(prefix, name))
