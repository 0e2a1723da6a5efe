"""Controller of the Role doctype (Frappe v15 behaviour)."""

import frappe
from frappe.model.document import Document
from frappe.utils import cint

# Roles the framework relies on; they can be neither renamed nor disabled.
STANDARD_ROLES = ("Administrator", "System Manager", "Script Manager", "All", "Guest")


def _cache():
	cache = getattr(frappe, "cache", None)
	if cache is not None and not hasattr(cache, "hdel") and callable(cache):
		cache = cache()
	return cache


class Role(Document):
	def before_rename(self, old, new, merge=False):
		if old in STANDARD_ROLES:
			frappe.throw(frappe._("Standard roles cannot be renamed"))

	def after_insert(self):
		# Administrator holds every role, so its cached role list is now stale
		cache = _cache()
		if cache is not None:
			cache.hdel("roles", "Administrator")

	def validate(self):
		if cint(self.disabled):
			self.disable_role()

	def disable_role(self):
		"""A disabled role is taken away from every user (standard roles cannot be disabled)."""
		if self.name in STANDARD_ROLES:
			frappe.throw(frappe._("Standard roles cannot be disabled"))
		self.remove_roles()

	def remove_roles(self):
		"""Delete every Has Role row pointing at this role."""
		frappe.db.delete("Has Role", {"role": self.name})
		clear_cache = getattr(frappe, "clear_cache", None)
		if clear_cache:
			clear_cache()

	def on_update(self):
		"""Re-evaluate the user type of this role's users when desk access changed."""
		if frappe.flags.in_install:
			return
		if self.has_value_changed("desk_access"):
			self.update_user_type_on_change()

	def update_user_type_on_change(self):
		target_type = "System User" if cint(self.desk_access) else "Website User"
		already = set(frappe.get_all("User", filters={"user_type": target_type}, pluck="name"))
		for name in set(get_users(self.name)) - already:
			user = frappe.get_doc("User", name)
			before = user.user_type
			user.set_system_user()
			if user.user_type != before:
				user.save()


def get_users(role: str) -> list:
	"""Names of the users that hold ``role``."""
	return frappe.get_all("Has Role", filters={"role": role, "parenttype": "User"}, pluck="parent")


@frappe.whitelist()
def get_info_based_on_role(role, field="email", ignore_permissions=False):
	"""``field`` (e.g. email) of every enabled user holding ``role``."""
	users = get_users(role)
	if not users:
		return []
	return frappe.get_list(
		"User",
		filters={"name": ("in", users), "enabled": 1},
		pluck=field,
		ignore_permissions=ignore_permissions,
	)
