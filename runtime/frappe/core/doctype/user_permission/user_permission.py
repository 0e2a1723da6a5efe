"""Controller of User Permission, plus the lookups the permission engine uses (Frappe v15).

A User Permission restricts ``user`` to the records ``for_value`` of doctype
``allow`` — everywhere (``apply_to_all_doctypes``) or only inside the doctype
``applicable_for``. For tree doctypes the descendants of ``for_value`` are
allowed too unless ``hide_descendants`` is set.
"""

import frappe
from frappe.model.document import Document
from frappe.utils import cint, cstr


def _cache():
	cache = getattr(frappe, "cache", None)
	if cache is not None and not hasattr(cache, "hdel") and callable(cache):
		cache = cache()
	return cache


def _forget(user):
	cache = _cache()
	if cache is not None:
		cache.hdel("user_permissions", user)
	publish = getattr(frappe, "publish_realtime", None)
	if publish:
		try:
			publish("update_user_permissions", user=user, after_commit=True)
		except Exception:
			# realtime notifications are best effort
			pass


class UserPermission(Document):
	def validate(self):
		self.validate_user_permission()
		self.validate_default_permission()

	def on_update(self):
		_forget(self.user)

	def on_trash(self):
		_forget(self.user)

	def validate_user_permission(self):
		"""Refuse an exact duplicate of an existing User Permission."""
		duplicate = frappe.get_all(
			self.doctype,
			filters={
				"allow": self.allow,
				"for_value": self.for_value,
				"user": self.user,
				"applicable_for": cstr(self.applicable_for),
				"apply_to_all_doctypes": cint(self.apply_to_all_doctypes),
				"name": ["!=", self.name],
			},
			limit=1,
		)
		if duplicate:
			frappe.throw(frappe._("User permission already exists"), frappe.exceptions.DuplicateEntryError)

	def validate_default_permission(self):
		"""Only one default value per (user, allow) may apply to the same doctypes."""
		if not cint(self.is_default):
			return
		overlap = frappe.get_all(
			self.doctype,
			filters={"allow": self.allow, "user": self.user, "is_default": 1, "name": ["!=", self.name]},
			or_filters={"applicable_for": cstr(self.applicable_for), "apply_to_all_doctypes": 1},
			limit=1,
		)
		if overlap:
			frappe.throw(
				frappe._("{0} has already assigned default value for {1}.").format(
					f"{self.doctype} {overlap[0].name}", self.allow
				)
			)


@frappe.whitelist()
def get_user_permissions(user=None):
	"""All User Permissions of a user, grouped by the restricted doctype.

	Returns ``{allow: [_dict(doc, applicable_for, is_default), ...]}`` (cached);
	Administrator and Guest have none. Called over HTTP it only answers for the
	session user.
	"""
	if getattr(frappe.local, "request", None) and frappe.local.form_dict.cmd == "get_user_permissions":
		user = frappe.session.user
	if not user:
		user = frappe.session.user
	if not user or user in ("Administrator", "Guest"):
		return {}

	cache = _cache()
	if cache is not None:
		cached = cache.hget("user_permissions", user)
		if cached is not None:
			return cached

	out = {}

	def add(perm, doc_name, is_default):
		out.setdefault(perm.allow, []).append(
			frappe._dict(doc=doc_name, applicable_for=perm.get("applicable_for"), is_default=is_default)
		)

	rows = frappe.get_all(
		"User Permission",
		fields=["allow", "for_value", "applicable_for", "is_default", "hide_descendants"],
		filters={"user": user},
	)
	for perm in rows:
		add(perm, perm.for_value, perm.is_default)
		meta = frappe.get_meta(perm.allow)
		if meta.is_nested_set() and not perm.hide_descendants:
			for descendant in frappe.db.get_descendants(perm.allow, perm.for_value):
				add(perm, descendant, False)

	out = frappe._dict(out)
	if cache is not None:
		cache.hset("user_permissions", user, out)
	return out


def user_permission_exists(user, allow, for_value, applicable_for=None):
	"""The matching entry if the user already has this exact permission, else None."""
	for perm in get_user_permissions(user).get(allow, []):
		if perm["doc"] == for_value and perm.get("applicable_for") == applicable_for:
			return perm
	return None


def get_permitted_documents(doctype):
	"""Names of the ``doctype`` records the session user is restricted to."""
	return [d.get("doc") for d in get_user_permissions().get(doctype, []) if d.get("doc")]


@frappe.whitelist()
def clear_user_permissions(user, for_doctype):
	"""Delete a user's permissions on one doctype (System Manager only); returns how many."""
	frappe.only_for("System Manager")
	total = frappe.db.count("User Permission", {"user": user, "allow": for_doctype})
	if total:
		frappe.db.delete("User Permission", {"user": user, "allow": for_doctype})
		_forget(user)
		clear_cache = getattr(frappe, "clear_cache", None)
		if clear_cache:
			clear_cache()
	return total
