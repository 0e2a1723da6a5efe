"""Secrets storage, as in Frappe v15's ``frappe/utils/password.py``.

Two kinds of secret live in the ``__Auth`` table
``(doctype, name, fieldname, password, encrypted)`` keyed by
``(doctype, name, fieldname)``:

* values of Password fields, stored reversibly as Fernet tokens
  (``encrypted=1``) with the site's ``encryption_key``;
* user login passwords, stored one-way as passlib hashes (``encrypted=0``),
  pbkdf2_sha256 for new hashes, argon2 accepted when verifying.

The table is created by the installer; SQL here uses ``%s`` placeholders and
backtick-quoted identifiers, which the database layer adapts to each dialect.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from passlib.context import CryptContext

import frappe
from frappe.utils.data import cstr, encode

# New hashes use the first scheme; the others are still accepted by verify().
passlibctx = CryptContext(schemes=["pbkdf2_sha256", "argon2"])

_AUTH_COLUMNS = "(`doctype`, `name`, `fieldname`, `password`, `encrypted`)"


def _(text: str) -> str:
	translate = getattr(frappe, "_", None)
	return translate(text) if translate else text


def _upsert_auth(doctype: str, name: str, fieldname: str, value: str, encrypted: int) -> None:
	"""Insert or overwrite one ``__Auth`` row."""
	values = (doctype, name, fieldname, value, encrypted)
	db_type = getattr(frappe.db, "db_type", None)
	insert = f"insert into `__Auth` {_AUTH_COLUMNS} values (%s, %s, %s, %s, %s)"

	if db_type == "mariadb":
		frappe.db.sql(
			insert + " on duplicate key update `password`=values(`password`), `encrypted`=values(`encrypted`)",
			values,
		)
	elif db_type in ("postgres", "sqlite"):
		frappe.db.sql(
			insert
			+ " on conflict (`doctype`, `name`, `fieldname`) do update"
			" set `password`=excluded.`password`, `encrypted`=excluded.`encrypted`",
			values,
		)
	else:
		# unknown dialect: the portable way, inside the caller's transaction
		frappe.db.sql(
			"delete from `__Auth` where `doctype`=%s and `name`=%s and `fieldname`=%s",
			(doctype, name, fieldname),
		)
		frappe.db.sql(insert, values)


# --- Password fields (reversible) ---------------------------------------------------------


def get_decrypted_password(doctype, name, fieldname="password", raise_exception=True):
	"""Decrypt and return the stored value of a Password field.

	When nothing is stored: raise AuthenticationError "Password not found…" if
	``raise_exception``, else return None.
	"""
	rows = frappe.db.sql(
		"select `password` from `__Auth` where `doctype`=%s and `name`=%s and `fieldname`=%s and `encrypted`=1",
		(doctype, name, fieldname),
	)
	if rows and rows[0][0]:
		return decrypt(rows[0][0], key=f"{doctype}.{name}.{fieldname}")
	if raise_exception:
		frappe.throw(
			_("Password not found for {0} {1} {2}").format(doctype, name, fieldname),
			frappe.exceptions.AuthenticationError,
		)
	return None


def set_encrypted_password(doctype, name, pwd, fieldname="password"):
	"""Encrypt ``pwd`` with the site key and store it for (doctype, name, fieldname)."""
	_upsert_auth(doctype, name, fieldname, encrypt(pwd), 1)


def remove_encrypted_password(doctype, name, fieldname="password"):
	"""Delete the stored value of one Password field."""
	frappe.db.sql(
		"delete from `__Auth` where `doctype`=%s and `name`=%s and `fieldname`=%s",
		(doctype, name, fieldname),
	)


def delete_all_passwords_for(doctype, name):
	"""Delete every secret (Password fields and login password) of one document."""
	frappe.db.sql("delete from `__Auth` where `doctype`=%s and `name`=%s", (doctype, name))


def rename_password(doctype, old_name, new_name):
	"""Move a document's secrets to its new name."""
	frappe.db.sql(
		"update `__Auth` set `name`=%s where `doctype`=%s and `name`=%s", (new_name, doctype, old_name)
	)


def rename_password_field(doctype, old_fieldname, new_fieldname):
	"""Move the secrets of a renamed Password field."""
	frappe.db.sql(
		"update `__Auth` set `fieldname`=%s where `doctype`=%s and `fieldname`=%s",
		(new_fieldname, doctype, old_fieldname),
	)


def create_auth_table():
	"""Create ``__Auth`` through the database layer (the installer normally does this)."""
	frappe.db.create_auth_table()


# --- login passwords (one-way) ------------------------------------------------------------


def check_password(user, pwd, doctype="User", fieldname="password", delete_tracker_cache=True):
	"""Verify a login password and return the user's stored name.

	Raises AuthenticationError "Incorrect User or Password" when there is no hash
	or it does not match. A hash made with outdated settings is replaced.
	"""
	rows = frappe.db.sql(
		"select `name`, `password` from `__Auth`"
		" where `doctype`=%s and `name`=%s and `fieldname`=%s and `encrypted`=0",
		(doctype, user, fieldname),
		as_dict=True,
	)
	stored = rows[0] if rows else None
	if not stored or not _verify(pwd, stored["password"]):
		raise frappe.exceptions.AuthenticationError(_("Incorrect User or Password"))

	# the stored name has the canonical letter case
	user = stored["name"]

	if delete_tracker_cache:
		delete_login_failed_cache(user)

	if passlibctx.needs_update(stored["password"]):
		update_password(user, pwd, doctype, fieldname)

	return user


def _verify(pwd, hashed) -> bool:
	if not pwd or not hashed:
		return False
	try:
		return passlibctx.verify(pwd, hashed)
	except Exception:
		# unknown hash format, or argon2 hashes without the argon2 backend installed
		return False


def delete_login_failed_cache(user):
	"""Forget the failed-login counters of a user."""
	cache = _get_cache()
	if cache is None:
		return
	for key in ("last_login_tried", "login_failed_count", "locked_account_time"):
		try:
			cache.hdel(key, user)
		except Exception:
			pass


def _get_cache():
	# frappe.cache is an object in v15 and a function in older code: accept both
	cache = getattr(frappe, "cache", None)
	if cache is None:
		return None
	if not hasattr(cache, "hdel") and callable(cache):
		try:
			cache = cache()
		except Exception:
			return None
	return cache


def update_password(user, pwd, doctype="User", fieldname="password", logout_all_sessions=False):
	"""Store a new login password hash for ``user``.

	:param user: the user (document name)
	:param pwd: the new password in clear text
	:param doctype: doctype owning the password (default ``User``)
	:param fieldname: field the hash is stored under (default ``password``)
	:param logout_all_sessions: also end the user's other sessions
	"""
	_upsert_auth(doctype, user, fieldname, passlibctx.hash(pwd), 0)

	if logout_all_sessions:
		from frappe.sessions import clear_sessions

		clear_sessions(user=user, keep_current=True, force=True)


def get_password_reset_limit():
	"""System Settings ``password_reset_limit`` (0 = unlimited)."""
	return frappe.db.get_single_value("System Settings", "password_reset_limit") or 0


# --- Fernet -------------------------------------------------------------------------------


def encrypt(txt, encryption_key=None):
	"""Encrypt text with Fernet, using ``encryption_key`` or the site's key."""
	try:
		cipher = Fernet(encode(encryption_key or get_encryption_key()))
	except Exception:
		# the key is not 32 url-safe base64-encoded bytes
		frappe.throw(_("Encryption key is in invalid format!"))
	return cstr(cipher.encrypt(encode(cstr(txt))))


def decrypt(txt, encryption_key=None, key: str | None = None):
	"""Decrypt a Fernet token made by :func:`encrypt`.

	A token that does not match the key throws a ValidationError
	"Encryption key is invalid! Please check site_config.json"; ``key`` names the
	secret in the message.
	"""
	try:
		cipher = Fernet(encode(encryption_key or get_encryption_key()))
		return cstr(cipher.decrypt(encode(txt)))
	except (InvalidToken, ValueError, TypeError):
		message = _("Encryption key is invalid! Please check site_config.json")
		if key:
			message = _("Failed to decrypt key {0}").format(key) + "<br><br>" + message
		message += "<br>" + _(
			"If you have recently restored the site you may need to copy the site config containing the original Encryption Key."
		)
		frappe.throw(message, title=_("Encryption key is invalid"))


def get_encryption_key():
	"""The site's Fernet key; generated and saved to site_config.json the first time."""
	conf = frappe.local.conf
	if "encryption_key" not in conf:
		from frappe.installer import update_site_config

		new_key = Fernet.generate_key().decode()
		update_site_config("encryption_key", new_key)
		conf["encryption_key"] = new_key
	return conf["encryption_key"]
