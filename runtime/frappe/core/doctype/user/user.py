"""Controller of the User doctype (Frappe v15 behaviour, reduced to what this runtime needs).

A user's name is its lower-cased e-mail address, except for the two standard
users ``Administrator`` and ``Guest`` (inserted with ``is_admin`` / ``is_guest``).
The login password never lives in the User row: ``new_password`` is taken out
during ``validate`` and hashed into ``__Auth`` by ``on_update``.
"""

import frappe
from frappe.model.document import Document
from frappe.utils import cint, get_system_timezone, validate_email_address
from frappe.utils.password import check_password
from frappe.utils.password import update_password as _update_password

STANDARD_USERS = ("Guest", "Administrator")


def _(text):
	return frappe._(text)


def _cache():
	cache = getattr(frappe, "cache", None)
	if cache is not None and not hasattr(cache, "hdel") and callable(cache):
		cache = cache()
	return cache


def _clear_user_cache(user):
	clear_cache = getattr(frappe, "clear_cache", None)
	if clear_cache:
		clear_cache(user=user)


class User(Document):
	def __setup__(self):
		# new_password is turned into a login hash here, not stored as an encrypted field
		self.flags.ignore_save_passwords = ["new_password"]

	def autoname(self):
		"""Name the user after its e-mail address (standard users after their first name)."""
		if self.get("is_admin") or self.get("is_guest"):
			self.name = self.first_name
		else:
			self.email = self.email.strip().lower()
			self.name = self.email

	def before_insert(self):
		self.flags.in_insert = True

	def validate(self):
		self._pending_password = self._take_new_password()

		if self.name not in STANDARD_USERS:
			self.email = self.name
			self.validate_email_type(self.name)

		self.set_system_user()
		self.set_full_name()
		self.check_enable_disable()
		self.ensure_unique_roles()
		self.remove_all_roles_for_guest()
		self.validate_username()
		self.remove_disabled_roles()
		self.set_time_zone()
		if self.restrict_ip:
			self.restrict_ip = ",".join(self.get_restricted_ip_list())
		if self.language == "Loading...":
			self.language = None

	def _take_new_password(self):
		"""Remove ``new_password`` from the row and return its clear-text value."""
		new_password = self.new_password or ""
		if new_password and set(new_password) == {"*"}:
			# the field was already masked by the password store: read the real value back
			new_password = self.get_password("new_password", raise_exception=False) or ""
			if self.name:
				from frappe.utils.password import remove_encrypted_password

				remove_encrypted_password(self.doctype, self.name, "new_password")
		self.new_password = ""
		return new_password

	def on_update(self):
		self.share_with_self()
		_clear_user_cache(self.name)
		self.send_password_notification(getattr(self, "_pending_password", None))
		self._pending_password = None

	def send_password_notification(self, new_password):
		"""Store the new login password (this runtime sends no welcome or password e-mails)."""
		if not new_password:
			return
		if self.flags.in_insert:
			_update_password(user=self.name, pwd=new_password)
		else:
			self.email_new_password(new_password)

	def email_new_password(self, new_password=None):
		"""Change the password of an existing user, ending other sessions if so configured."""
		if new_password and not self.flags.in_insert:
			_update_password(
				user=self.name, pwd=new_password, logout_all_sessions=cint(self.logout_all_sessions)
			)

	def share_with_self(self):
		"""Share the User document with its user (read, write, share), as Frappe does: a user
		without any role right on User still reads its own record (permlevel-0 fields only)."""
		if self.name in STANDARD_USERS or not frappe.db.table_exists("DocShare"):
			# (a site migrating from before DocShare gets these shares from a patch)
			return
		from frappe.share import add_docshare

		share = frappe.db.get_value("DocShare", {"user": self.name, "share_doctype": "User",
												 "share_name": self.name}, ["read", "write", "share"])
		if share and all(cint(right) for right in share):
			return
		add_docshare(self.doctype, self.name, self.name, write=1, share=1,
								  flags={"ignore_share_permission": True})

	def has_website_permission(self, ptype, user, verbose=False):
		"""A website user may only see their own User record."""
		return self.name == frappe.session.user

	def set_full_name(self):
		"""``full_name`` = first name + last name."""
		self.full_name = " ".join(filter(None, [self.first_name, self.last_name]))

	def get_fullname(self):
		"""First and last name separated by a space."""
		return " ".join(filter(None, [self.first_name, self.last_name]))

	def check_enable_disable(self):
		"""Refuse to disable a standard user; end the sessions of a user being disabled."""
		if not cint(self.enabled) and self.name in STANDARD_USERS:
			frappe.throw(_("User {0} cannot be disabled").format(self.name))

		login_manager = getattr(frappe.local, "login_manager", None)
		if not cint(self.enabled) and login_manager:
			login_manager.logout(user=self.name)

	def set_system_user(self):
		"""System User when any assigned role has desk access, else Website User."""
		fixed = {"Administrator": "System User", "Guest": "Website User"}
		if self.name in fixed:
			self.user_type = fixed[self.name]
			return
		self.user_type = "System User" if self.has_desk_access() else "Website User"

	def has_desk_access(self):
		"""True if one of the user's roles grants desk access."""
		roles = [d.role for d in self.get("roles") or [] if d.role]
		if not roles:
			return False
		return bool(frappe.db.count("Role", {"desk_access": 1, "name": ["in", roles]}))

	def append_roles(self, *roles):
		"""Add roles to the user (in memory)."""
		current = {d.role for d in self.get("roles")}
		for role in roles:
			if role not in current:
				self.append("roles", {"role": role})
				current.add(role)

	def add_roles(self, *roles):
		"""Add roles to the user and save."""
		self.append_roles(*roles)
		self.save()

	def remove_roles(self, *roles):
		"""Remove roles from the user and save."""
		by_role = {d.role: d for d in self.get("roles")}
		for role in roles:
			if role in by_role:
				self.get("roles").remove(by_role[role])
		self.save()

	def remove_all_roles_for_guest(self):
		if self.name == "Guest":
			self.set("roles", [d for d in self.get("roles") if d.role == "Guest"])

	def remove_disabled_roles(self):
		disabled = set(frappe.get_all("Role", filters={"disabled": 1}, pluck="name"))
		for row in list(self.get("roles")):
			if row.role in disabled:
				self.get("roles").remove(row)

	def ensure_unique_roles(self):
		seen = set()
		for row in list(self.get("roles")):
			if not row.role or row.role in seen:
				self.get("roles").remove(row)
			seen.add(row.role)

	def validate_username(self):
		"""Default the username to the scrubbed first name; drop it if another user has it."""
		if not self.username and self.is_new() and self.first_name:
			self.username = frappe.scrub(self.first_name)
		if not self.username:
			return
		self.username = self.username.strip(" @")
		if self.username_exists():
			if self.user_type == "System User":
				frappe.msgprint(_("Username {0} already exists").format(self.username))
				self.suggest_username()
			self.username = ""

	def suggest_username(self):
		"""Propose a free username built from the user's names."""

		def free(candidate):
			if self.username != candidate and not self.username_exists(candidate):
				return candidate
			return None

		suggestion = free(frappe.scrub(self.first_name)) or free(
			frappe.scrub(f"{self.first_name} {self.last_name or ''}")
		)
		if suggestion:
			frappe.msgprint(_("Suggested Username: {0}").format(suggestion))
		return suggestion

	def username_exists(self, username=None):
		"""Name of another user with this username, if any."""
		return frappe.db.get_value("User", {"username": username or self.username, "name": ("!=", self.name)})

	def validate_email_type(self, email):
		validate_email_address(email.strip(), True)

	def set_time_zone(self):
		if not self.time_zone:
			self.time_zone = get_system_timezone()

	def get_restricted_ip_list(self):
		"""The comma-separated ``restrict_ip`` entries, stripped."""
		return get_restricted_ip_list(self)

	def on_trash(self):
		"""Standard users cannot be deleted; a deleted user is logged out and loses its User Permissions."""
		_clear_user_cache(self.name)
		if self.name in STANDARD_USERS:
			frappe.throw(_("User {0} cannot be deleted").format(self.name))

		self.enabled = 0
		login_manager = getattr(frappe.local, "login_manager", None)
		if login_manager:
			login_manager.logout(user=self.name)

		frappe.db.delete("User Permission", {"user": self.name})
		# the user's shares, and the shares of its User record (a new user of that e-mail starts afresh)
		frappe.db.delete("DocShare", {"user": self.name})
		frappe.db.delete("DocShare", {"share_doctype": "User", "share_name": self.name})
		cache = _cache()
		if cache is not None:
			cache.hdel("user_permissions", self.name)

	def before_rename(self, old_name, new_name, merge=False):
		_clear_user_cache(old_name)
		if old_name in STANDARD_USERS:
			frappe.throw(_("User {0} cannot be renamed").format(self.name))
		self.validate_email_type(new_name)

	@classmethod
	def find_by_credentials(cls, user_name: str, password: str, validate_password: bool = True):
		"""Find a user by e-mail (or mobile number / username when System Settings allow it).

		Returns ``{"name", "enabled", "is_authenticated"}`` or None when no user matches.
		"""
		login_with_mobile = cint(frappe.get_system_settings("allow_login_using_mobile_number"))
		login_with_username = cint(frappe.get_system_settings("allow_login_using_user_name"))

		or_filters = [{"name": user_name}]
		if login_with_mobile:
			or_filters.append({"mobile_no": user_name})
		if login_with_username:
			or_filters.append({"username": user_name})

		users = frappe.get_all("User", fields=["name", "enabled"], or_filters=or_filters, limit=1)
		if not users:
			return None

		user = users[0]
		user["is_authenticated"] = True
		if validate_password:
			try:
				check_password(user["name"], password, delete_tracker_cache=False)
			except frappe.exceptions.AuthenticationError:
				user["is_authenticated"] = False
		return user


def get_restricted_ip_list(user):
	"""IP prefixes a user may log in from, or None when unrestricted."""
	if not user.restrict_ip:
		return None
	return [ip.strip() for ip in user.restrict_ip.strip().split(",")]


@frappe.whitelist(methods=["POST"])
def generate_keys(user: str):
	"""Issue API credentials for a user: a System Manager for anyone, a signed-in user for itself.

	The API key is created once and then kept; a new 15-character secret is made on every call (the
	old one stops working). Returns ``{"api_key", "api_secret"}``: the only time the secret is shown —
	it is stored encrypted and no API returns it afterwards (``frappe.client.get_password`` refuses it).
	"""
	if not isinstance(user, str) or not user:
		frappe.throw(_("User is required"), frappe.MandatoryError)
	is_self = user == frappe.session.user and user != "Guest"
	if not is_self:
		frappe.only_for("System Manager")
	if user in STANDARD_USERS and frappe.session.user != "Administrator":
		raise frappe.PermissionError
	if not frappe.db.exists("User", user):
		frappe.throw(_("User {0} does not exist").format(user), frappe.DoesNotExistError)
	user_details = frappe.get_doc("User", user)
	api_secret = frappe.generate_hash(length=15)
	if not user_details.api_key:
		user_details.api_key = frappe.generate_hash(length=15)
	user_details.api_secret = api_secret
	# a user may not write its own User record (permlevel 1 holds the keys): the identity check above
	# is the permission for the self-service case
	user_details.flags.ignore_permissions = is_self
	user_details.save()
	return {"api_key": user_details.api_key, "api_secret": api_secret}


@frappe.whitelist()
def get_timezones():
	"""All IANA time zone names known to the system."""
	import zoneinfo

	return {"timezones": sorted(zoneinfo.available_timezones())}


@frappe.whitelist()
def get_all_roles():
	"""Names of all enabled roles except the automatic ones, sorted."""
	automatic = ("Administrator", "Guest", "All", "Desk User")
	try:
		from frappe.permissions import AUTOMATIC_ROLES

		automatic = tuple(AUTOMATIC_ROLES) + ("Administrator",)
	except ImportError:
		pass
	roles = frappe.get_all("Role", filters={"name": ("not in", automatic), "disabled": 0}, pluck="name")
	return sorted(roles)


@frappe.whitelist()
def get_roles(arg=None):
	"""Roles of the user given as ``uid`` in the request (default: the session user)."""
	return frappe.get_roles(frappe.form_dict.get("uid", frappe.session.user))


def get_permission_query_conditions(user):
	"""Lists of users leave out Administrator and Guest for everyone but Administrator."""
	if user == "Administrator":
		return ""
	standard = ", ".join(frappe.db.escape(name, percent=False) for name in STANDARD_USERS)
	return f"(`tabUser`.`name` not in ({standard}))"


def has_permission(doc, user=None, ptype=None):
	"""Only Administrator may open the standard users."""
	if user != "Administrator" and doc.name in STANDARD_USERS:
		return False
	return None
