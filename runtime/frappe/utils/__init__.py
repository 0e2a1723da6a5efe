"""``frappe.utils``: the helper namespace of Frappe v15.

Everything from :mod:`frappe.utils.data` is re-exported here (that is where
``cint``, ``flt``, ``getdate``, ``now_datetime``… live), plus the e-mail, path,
site and hook helpers Frappe keeps in this package. Only the standard library
is imported at module level; site and database access happens at call time.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import sys
import traceback
from collections.abc import Generator, Iterable, MutableMapping, MutableSequence, Sequence
from email.header import decode_header, make_header
from email.utils import formataddr, parseaddr
from gzip import GzipFile
from urllib.parse import quote, urlparse

import frappe
from frappe.utils.data import *  # noqa: F401,F403  (re-exported on purpose)
from frappe.utils.data import _local_attr, _translate, cint, cstr, flt, strip
from frappe.utils.html_utils import sanitize_html  # noqa: F401  (Frappe exposes it here)

_EMAIL_NAME_CLEAN_RE = re.compile(r"[^A-Za-z0-9\u00C0-\u024F\/\_\' ]+")
_EMAIL_IN_TEXT_RE = re.compile(r"([a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+)")
_EMAIL_ADDRESS_RE = re.compile(
	r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
	r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
)
_MARKDOWN_HINT_RE = re.compile(r"<p[\s]*>|<br[\s]*>")
_ANY_TAG_RE = re.compile(r"\<[^>]*\>")
_PHONE_NUMBER_RE = re.compile(r"([0-9\ \+\_\-\,\.\*\#\(\)]){1,20}$")
_PERSON_NAME_RE = re.compile(r"^[\w][\w\'\-]*( \w[\w\'\-]*)*$")
_CONTROL_WHITESPACE_RE = re.compile(r"[\t\n\r]")
_EMAIL_LIST_SPLIT_RE = re.compile(r'[,\n](?=(?:[^"]|"[^"]*")*$)')


# --- users and e-mail addresses -------------------------------------------------------------


def get_fullname(user=None):
	"""First and last name of a user (cached per request); the user id if they are blank."""
	if not user:
		user = frappe.session.user
	cache = _local_attr("fullnames", None)
	if cache is None:
		cache = {}
		try:
			frappe.local.fullnames = cache
		except Exception:
			pass
	if not cache.get(user):
		row = frappe.db.get_value("User", user, ["first_name", "last_name"], as_dict=True)
		if row:
			cache[user] = " ".join(filter(None, [row.get("first_name"), row.get("last_name")])) or user
		else:
			cache[user] = user
	return cache.get(user)


def get_email_address(user=None):
	"""The e-mail address stored on a User."""
	return frappe.db.get_value("User", user or frappe.session.user, "email")


def get_formatted_email(user, mail=None):
	"""``Full Name <address>`` for a user (a ``get_sender_details`` hook may supply both)."""
	fullname = get_fullname(user)
	method = get_hook_method("get_sender_details")
	if method:
		sender_name, mail = method()
		fullname = sender_name or fullname
	if not mail:
		mail = get_email_address(user) or validate_email_address(user)
	if not mail:
		return ""
	return cstr(make_header(decode_header(formataddr((fullname, mail)))))


def check_format(email_id):
	"""Loose shape check: something@domain.tld with the dot after the @."""
	try:
		at = email_id.rindex("@")
		return at > 0 and email_id.rindex(".") > at and len(email_id) - at > 4
	except Exception:
		return False


def get_name_from_email_string(email_string, email_id, name):
	"""The display-name part of ``"Name <address>"`` (falls back to the address)."""
	cleaned = _EMAIL_NAME_CLEAN_RE.sub("", email_string.replace(email_id, "")).strip()
	return cleaned or email_id


def parse_addr(email_string):
	"""Split ``"Name <address>"`` into ``(name, address)``; name is None when no address is found."""
	name, email = parseaddr(email_string)
	if check_format(email):
		return (get_name_from_email_string(email_string, email, name), email)
	found = _EMAIL_IN_TEXT_RE.findall(email_string)
	if found and check_format(found[0]):
		return (get_name_from_email_string(email_string, found[0], name), found[0])
	return (None, email)


def extract_email_id(email):
	"""Only the address part of an e-mail string."""
	return parse_addr(email)[1]


def validate_email_address(email_str, throw=False):
	"""Return the valid addresses of a comma-separated string, joined with ``", "``.

	Invalid entries are dropped, or raise InvalidEmailAddressError when ``throw``.
	"""

	def check(candidate):
		valid = bool(candidate)
		matched = None
		if "undisclosed-recipient" in candidate:
			return None
		if " " in candidate and "<" not in candidate:
			# parseaddr would glue "a@x.com b@y.com" into one bogus address
			valid = False
		else:
			email_id = extract_email_id(candidate)
			match = _EMAIL_ADDRESS_RE.match(email_id.lower()) if email_id else None
			if match:
				matched = match.group(0)
			else:
				valid = False
		if not valid:
			if throw:
				frappe.throw(
					_translate("{0} is not a valid Email Address").format(escape_html(candidate)),
					frappe.exceptions.InvalidEmailAddressError,
				)
			return None
		return matched

	found = [check(part.strip()) for part in (email_str or "").strip().split(",")]
	return ", ".join(email for email in found if email)


def split_emails(txt):
	"""Split a comma/newline separated list of addresses (quoted names may contain commas)."""
	text = _CONTROL_WHITESPACE_RE.sub(" ", cstr(txt))
	return [strip(cstr(part)) for part in _EMAIL_LIST_SPLIT_RE.split(text) if strip(cstr(part))]


def sanitize_email(emails):
	"""Keep the valid addresses of a list string, re-formatted as ``Name <address>``."""
	out = []
	for email in split_emails(emails):
		if not validate_email_address(email):
			continue
		full_name, email_id = parse_addr(email)
		out.append(formataddr((full_name, email_id)))
	return ", ".join(out)


def validate_phone_number(phone_number, throw=False):
	"""True if the text looks like a phone number (digits and ``+-()., *#_``)."""
	if not phone_number:
		return False
	match = _PHONE_NUMBER_RE.match(phone_number.strip())
	if not match and throw:
		frappe.throw(
			_translate("{0} is not a valid Phone Number").format(phone_number),
			frappe.exceptions.InvalidPhoneNumberError,
		)
	return bool(match)


def validate_name(name, throw=False):
	"""True if the text is a plausible person name (letters, digits, quotes, dashes, spaces)."""
	if not name:
		return False
	match = _PERSON_NAME_RE.match(name.strip())
	if not match and throw:
		frappe.throw(_translate("{0} is not a valid Name").format(name), frappe.exceptions.InvalidNameError)
	return bool(match)


def validate_url(txt, throw=False, valid_schemes=None):
	"""True if ``txt`` is a URL with a host (and, if given, one of ``valid_schemes``)."""
	url = urlparse(txt)
	is_valid = bool(url.netloc)
	if isinstance(valid_schemes, str):
		is_valid = is_valid and url.scheme == valid_schemes
	elif isinstance(valid_schemes, (list, tuple, set)):
		is_valid = is_valid and url.scheme in valid_schemes
	if not is_valid and throw:
		frappe.throw(_translate("'{0}' is not a valid URL").format(frappe.bold(txt)))
	return is_valid


def random_string(length):
	"""Random letters and digits of the given length (not for secrets)."""
	import string
	from random import choice

	alphabet = string.ascii_letters + string.digits
	return "".join(choice(alphabet) for _ in range(length))


def get_gravatar_url(email):
	"""Gravatar URL of an address (mystery-man fallback)."""
	digest = hashlib.md5(email.encode("utf-8")).hexdigest()
	return f"https://secure.gravatar.com/avatar/{digest}?d=mm&s=200"


def add_user_info(user, user_info):
	"""Fill ``user_info[user]`` with fullname, image, name, email and time zone."""
	if user in user_info:
		return
	info = (
		frappe.db.get_value("User", user, ["full_name", "user_image", "name", "email", "time_zone"], as_dict=True)
		or frappe._dict()
	)
	user_info[user] = frappe._dict(
		fullname=info.full_name or user,
		image=info.user_image,
		name=user,
		email=info.email,
		time_zone=info.time_zone,
	)


# --- tracebacks, logging, text --------------------------------------------------------------


def get_traceback(with_context=False) -> str:
	"""Formatted traceback of the exception being handled ("" when there is none)."""
	exc_type, exc_value, exc_tb = sys.exc_info()
	if not any((exc_type, exc_value, exc_tb)):
		return ""
	text = "".join(cstr(line) for line in traceback.format_exception(exc_type, exc_value, exc_tb))
	# paths relative to the bench read better and leak less
	return text.replace(get_bench_path() + "/", "")


def log(event, details):
	"""Write ``details`` to the logger named ``event``."""
	logger = getattr(frappe, "logger", None)
	if logger:
		logger(event).info(details)
	else:
		import logging

		logging.getLogger(event).info(details)


def dict_to_str(args, sep="&"):
	"""``k1=v1&k2=v2`` with URL-quoted values."""
	return sep.join(f"{key}={quote(str(args[key] or ''))}" for key in list(args))


def list_to_str(seq, sep=", "):
	"""Join items as stripped strings."""
	return sep.join(str(item).strip() for item in seq)


def remove_blanks(d):
	"""Delete keys whose value is ``""`` or None (in place) and return the dict."""
	for key in [k for k, v in d.items() if v == "" or v is None]:
		del d[key]
	return d


def strip_html_tags(text):
	"""Remove anything between ``<`` and ``>``."""
	return _ANY_TAG_RE.sub("", text)


def is_markdown(text):
	"""Heuristic: markdown unless marked ``<!-- html -->`` or containing ``<p>``/``<br>``."""
	if "<!-- markdown -->" in text:
		return True
	if "<!-- html -->" in text:
		return False
	return not _MARKDOWN_HINT_RE.search(text)


def esc(s, esc_chars):
	"""Backslash-escape the given characters."""
	if not s:
		return ""
	for ch in esc_chars:
		s = s.replace(ch, "\\" + ch)
	return s


def unesc(s, esc_chars):
	"""Undo :func:`esc`."""
	for ch in esc_chars:
		s = s.replace("\\" + ch, ch)
	return s


# --- JSON, batches, compression -------------------------------------------------------------


def parse_json(val):
	"""JSON-decode strings; dicts become ``frappe._dict``; other values pass through."""
	if isinstance(val, str):
		from frappe.utils.caller_input import decode

		# JSON from a caller: nesting too deep for the decoder is refused (400), not a 500
		val = decode(val)
	if isinstance(val, dict):
		val = frappe._dict(val)
	return val


def safe_json_loads(*args):
	"""JSON-decode each argument when possible; a single result is returned bare."""
	results = []
	for arg in args:
		try:
			arg = json.loads(arg)
		except Exception:
			pass
		results.append(arg)
	return squashify(results)


def squashify(what):
	"""Unwrap one-item sequences."""
	if isinstance(what, Sequence) and len(what) == 1:
		return what[0]
	return what


def dictify(arg):
	"""Turn dicts (also inside lists) into ``frappe._dict``."""
	if isinstance(arg, MutableSequence):
		for i, item in enumerate(arg):
			arg[i] = dictify(item)
	elif isinstance(arg, MutableMapping):
		arg = frappe._dict(arg)
	return arg


def get_safe_filters(filters):
	"""JSON-decode filters when they are JSON; numbers become strings."""
	from frappe.utils.caller_input import decode

	try:
		filters = decode(filters)
		if isinstance(filters, (int, float)):
			filters = cstr(filters)
	except (TypeError, ValueError):
		pass
	return filters


def create_batch(iterable: Iterable, size: int) -> Generator[Iterable, None, None]:
	"""Yield consecutive slices of at most ``size`` items."""
	total = len(iterable)
	for start in range(0, total, size):
		yield iterable[start : min(start + size, total)]


def groupby_metric(iterable: dict, key: str):
	"""Regroup ``{category: [records]}`` as ``{record[key]: {category: [records]}}``."""
	records = {}
	for category, items in iterable.items():
		for item in items:
			records.setdefault(item[key], {}).setdefault(category, []).append(item)
	return records


def gzip_compress(data, compresslevel=9):
	"""Gzip bytes in one call."""
	buffer = io.BytesIO()
	with GzipFile(fileobj=buffer, mode="wb", compresslevel=compresslevel) as f:
		f.write(data)
	return buffer.getvalue()


def gzip_decompress(data):
	"""Gunzip bytes in one call."""
	with GzipFile(fileobj=io.BytesIO(data)) as f:
		return f.read()


def get_table_name(table_name: str) -> str:
	"""``tab<DocType>``, except for internal ``__`` tables."""
	return table_name if table_name.startswith("__") else f"tab{table_name}"


def get_db_count(*args):
	"""``{doctype: row count}`` for the given doctypes."""
	return json.loads(frappe.as_json({doctype: frappe.db.count(doctype) for doctype in args}))


def call(fn, *args, **kwargs):
	"""Call a function through ``frappe.call`` and return its JSON-round-tripped result."""
	return json.loads(frappe.as_json(frappe.call(fn, *args, **kwargs)))


def is_git_url(url: str) -> bool:
	"""True for git/ssh/http(s) repository URLs."""
	pattern = r"(?:git|ssh|https?|\w*@[-\w.]+):(\/\/)?(.*?)(\.git)?(\/?|\#[-\d\w._]+?)$"
	return bool(re.match(pattern, url))


# --- defaults -------------------------------------------------------------------------------


def get_defaults(key=None):
	"""Global defaults (or one of them) from the database."""
	return frappe.db.get_defaults(key)


def set_default(key, val):
	"""Set a global default in the database."""
	return frappe.db.set_default(key, val)


# --- paths and sites ------------------------------------------------------------------------


def get_path(*path, **kwargs):
	"""Join ``path`` onto ``base`` (default: the current site folder)."""
	base = kwargs.get("base") or frappe.local.site_path
	return os.path.join(base, *path)


def get_site_base_path():
	"""Folder of the current site."""
	return frappe.local.site_path


def get_site_path(*path):
	"""Path inside the current site folder."""
	return get_path(*path, base=get_site_base_path())


def get_files_path(*path, **kwargs):
	"""Path inside the site's ``public/files`` (or ``private/files`` with ``is_private``)."""
	return get_site_path("private" if kwargs.get("is_private") else "public", "files", *path)


def get_backups_path():
	"""The site's ``private/backups`` folder."""
	return get_site_path("private", "backups")


def get_bench_path():
	"""The folder that holds ``sites/`` (a bench has its sites folder at the top level)."""
	sites_path = _local_attr("sites_path", None) or os.environ.get("MEDGRID_SITES_PATH") or "sites"
	return os.path.realpath(os.path.join(sites_path, ".."))


def get_bench_id():
	"""``bench_id`` from config, else derived from the bench path (used to prefix RQ queues)."""
	conf = _local_attr("conf", None) or {}
	get_conf = getattr(frappe, "get_conf", None)
	if not conf.get("bench_id") and get_conf is not None:
		try:
			conf = get_conf() or conf
		except Exception:
			pass
	return conf.get("bench_id") or get_bench_path().strip("/").replace("/", "-")


def get_site_id(site=None):
	"""``<site>@<bench id>``."""
	return f"{site or frappe.local.site}@{get_bench_id()}"


def get_request_site_address(full_address=False):
	"""Same as ``get_url(full_address=...)``."""
	return get_url(full_address=full_address)


@functools.lru_cache
def get_site_name(hostname):
	"""The host without its port."""
	return hostname.split(":")[0]


def get_sites(sites_path=None):
	"""Names of the site folders (those with a ``site_config.json``), sorted."""
	sites_path = sites_path or _local_attr("sites_path", None) or "."
	out = []
	for entry in os.listdir(sites_path):
		path = os.path.join(sites_path, entry)
		if os.path.isdir(path) and not os.path.islink(path) and os.path.exists(os.path.join(path, "site_config.json")):
			out.append(entry)
	return sorted(out)


def get_file_timestamp(fn):
	"""Modification time of a file as an integer string, or None if it is missing."""
	try:
		return str(cint(os.stat(fn).st_mtime))
	except FileNotFoundError:
		return None


def get_file_size(path, format=False):
	"""Size of a file in bytes, or human readable (``"1.5KiB"``) with ``format``."""
	num = os.path.getsize(path)
	if not format:
		return num
	for unit in ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"):
		if abs(num) < 1024:
			return f"{num:3.1f}{unit}B"
		num /= 1024
	return f"{num:.1f}YiB"


def touch_file(path):
	"""Create the file if needed and update its modification time."""
	with open(path, "a"):
		os.utime(path, None)
	return path


# --- hooks, requests, CLI -------------------------------------------------------------------


def get_hook_method(hook_name, fallback=None):
	"""The function named by the first value of a hook, else ``fallback``."""
	methods = frappe.get_hooks().get(hook_name)
	if methods:
		return frappe.get_attr(methods[0])
	return fallback


def call_hook_method(hook, *args, **kwargs):
	"""Call each function of a hook until one returns something truthy; return that."""
	out = None
	for method_name in frappe.get_hooks(hook):
		out = out or frappe.get_attr(method_name)(*args, **kwargs)
	return out


def is_cli() -> bool:
	"""True when running attached to a terminal."""
	try:
		return bool(os.get_terminal_size())
	except Exception:
		return sys.stdin.isatty()


def update_progress_bar(txt, i, l):
	"""Draw a one-line progress bar on the terminal (dots under CI)."""
	if os.environ.get("CI"):
		if i == 0:
			sys.stdout.write(txt)
		sys.stdout.write(".")
		sys.stdout.flush()
		return
	if getattr(frappe.local, "request", None) and not is_cli():
		return
	try:
		width = 40 if os.get_terminal_size().columns > 80 else 20
	except OSError:
		width = 40
	txt = txt.ljust(36)
	done = int(float(i + 1) / l * width)
	percent = int(float(i + 1) / l * 100)
	sys.stdout.write(f"\r{txt}: [{('=' * done).ljust(width)}] {percent}%")
	sys.stdout.flush()


def get_request_session(max_retries=5):
	"""A ``requests`` session that retries 500 responses."""
	import requests
	from urllib3.util import Retry

	session = requests.Session()
	adapter = requests.adapters.HTTPAdapter(max_retries=Retry(total=max_retries, status_forcelist=[500]))
	session.mount("http://", adapter)
	session.mount("https://", adapter)
	return session


def set_request(**kwargs):
	"""Build a werkzeug Request from ``EnvironBuilder`` arguments and make it ``frappe.local.request``."""
	from werkzeug.test import EnvironBuilder
	from werkzeug.wrappers import Request

	frappe.local.request = Request(EnvironBuilder(**kwargs).get_environ())


def get_test_client(use_cookies=True):
	"""A werkzeug test client around the runtime's WSGI application."""
	from werkzeug.test import Client

	from frappe.app import application

	return Client(application, use_cookies=use_cookies)
