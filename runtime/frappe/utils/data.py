"""Value helpers of ``frappe.utils``: dates and times, numbers, strings, URLs, filters.

Names and signatures follow Frappe v15's ``frappe/utils/data.py``. The module
imports nothing heavy and never imports the database or model packages at
import time; the few helpers that consult site settings (time zone, rounding
method, date format) do it lazily and fall back to defaults when no site is
connected, so everything here also works in plain unit tests.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
import operator
import re
import time
import typing
from enum import Enum
from typing import Any, Optional, Union
from urllib.parse import quote, urljoin

from dateutil import parser
from dateutil.parser import ParserError
from dateutil.relativedelta import relativedelta

import frappe
from frappe.exceptions import InvalidRoundingMethod

DateTimeLikeObject = Union[str, datetime.date, datetime.datetime]
NumericType = Union[int, float]

DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%H:%M:%S.%f"
DATETIME_FORMAT = f"{DATE_FORMAT} {TIME_FORMAT}"

# Used when System Settings has no time zone (or no site is connected).
DEFAULT_SYSTEM_TIMEZONE = "UTC"
DEFAULT_ROUNDING_METHOD = "Banker's Rounding (legacy)"

_DAYS_TIMEDELTA_RE = re.compile(
	r"(?P<days>[-\d]+) days?, (?P<hours>\d+):(?P<minutes>\d+):(?P<seconds>\d[\.\d+]*)"
)
_PLAIN_TIMEDELTA_RE = re.compile(r"(?P<hours>\d+):(?P<minutes>\d+):(?P<seconds>\d[\.\d+]*)")
_DURATION_RE = re.compile(r"^(?:(\d+d)?((^|\s)\d+h)?((^|\s)\d+m)?((^|\s)\d+s)?)$")
_HTML_TAG_RE = re.compile("<[^>]+>")
_STRIP_TAGS_RE = re.compile(r"(<!--.*?-->|<[^>]*>)")
_ABSOLUTE_URL_ATTR_RE = re.compile(r'(href|src){1}([\s]*=[\s]*[\'"]?)((?:http)[^\'">]+)([\'"]?)')
_RELATIVE_URL_ATTR_RE = re.compile(r'(href|src){1}([\s]*=[\s]*[\'"]?)((?!http)[^\'" >]+)([\'"]?)')
_CSS_URL_RE = re.compile(r'(:[\s]?url)(\([\'"]?)((?!http)[^\'" >]+)([\'"]?\))')
_SQL_LINE_COMMENT_RE = re.compile(r"(--[^\n]*|#[^\n]*)")
_SQL_BLOCK_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)


class Weekday(Enum):
	Sunday = 0
	Monday = 1
	Tuesday = 2
	Wednesday = 3
	Thursday = 4
	Friday = 5
	Saturday = 6


# --- access to the current site without requiring one -------------------------------------


def _local_attr(name: str, default=None):
	"""Read ``frappe.local.<name>``, tolerating an uninitialised context."""
	try:
		return getattr(frappe.local, name, default)
	except Exception:
		return default


def _conf() -> dict:
	return _local_attr("conf", None) or {}


def _flag(name: str):
	flags = _local_attr("flags", None)
	if not flags:
		return None
	try:
		return flags.get(name)
	except AttributeError:
		return getattr(flags, name, None)


def _system_setting(key: str):
	"""A System Settings value, or None when there is no connected site.

	Values are kept for the rest of the request in ``frappe.local.system_settings_values``
	(``flt``/``now_datetime`` ask very often); saving System Settings drops that copy.
	"""
	if _local_attr("db", None) is None:
		return None
	cached = _local_attr("system_settings_values", None)
	if isinstance(cached, dict) and key in cached:
		return cached[key]

	getter = getattr(frappe, "get_system_settings", None)
	if getter is None:
		return None
	message_log = _local_attr("message_log", None)
	messages_before = len(message_log) if isinstance(message_log, list) else None
	try:
		value = getter(key)
	except Exception:
		# settings are optional here (a fresh site has no System Settings yet); a failed
		# lookup must not leave its message behind in the response
		if messages_before is not None:
			del message_log[messages_before:]
		return None

	if not isinstance(cached, dict):
		cached = {}
		try:
			frappe.local.system_settings_values = cached
		except Exception:
			return value
	cached[key] = value
	return value


def _db_default(key: str):
	db = _local_attr("db", None)
	if db is None:
		return None
	try:
		return db.get_default(key)
	except Exception:
		# no defaults table yet (fresh site): behave as if the default is unset
		return None


def _translate(text: str) -> str:
	translate = getattr(frappe, "_", None)
	return translate(text) if translate else text


def _bold(text) -> str:
	bold = getattr(frappe, "bold", None)
	return bold(text) if bold else f"<strong>{text}</strong>"


# --- dates and times ----------------------------------------------------------------------


def is_invalid_date_string(date_string: str) -> bool:
	"""True for anything that cannot be a date: non-strings, empty strings and zero dates."""
	return not isinstance(date_string, str) or not date_string or date_string.startswith(("0001-01-01", "0000-00-00"))


def getdate(
	string_date: Optional[DateTimeLikeObject] = None, parse_day_first: bool = False
) -> datetime.date | None:
	"""Return a ``datetime.date`` for a date-like value; today when the value is empty.

	Zero dates and non-string garbage give ``None``; an unparseable string raises
	a ValidationError titled "Invalid Date".
	"""
	if not string_date:
		return get_datetime().date()
	if isinstance(string_date, datetime.datetime):
		return string_date.date()
	if isinstance(string_date, datetime.date):
		return string_date
	if is_invalid_date_string(string_date):
		return None

	if not parse_day_first and len(string_date) == 10:
		# fast path for the ISO form the database and the API use
		try:
			return datetime.date.fromisoformat(string_date)
		except ValueError:
			pass
	try:
		return parser.parse(string_date, dayfirst=parse_day_first).date()
	except (ParserError, OverflowError, ValueError):
		frappe.throw(
			_translate("{} is not a valid date string.").format(_bold(string_date)),
			title=_translate("Invalid Date"),
		)


def get_datetime(datetime_str: Optional[DateTimeLikeObject] = None) -> datetime.datetime | None:
	"""Return a ``datetime.datetime`` for a datetime-like value; now when the value is None.

	Timedeltas pass through unchanged (Time fields come back from MariaDB as timedeltas).
	"""
	if datetime_str is None:
		return now_datetime()
	if isinstance(datetime_str, (datetime.datetime, datetime.timedelta)):
		return datetime_str
	if isinstance(datetime_str, (list, tuple)):
		return datetime.datetime(*datetime_str)
	if isinstance(datetime_str, datetime.date):
		return datetime.datetime.combine(datetime_str, datetime.time())
	if is_invalid_date_string(datetime_str):
		return None

	try:
		return datetime.datetime.strptime(datetime_str, DATETIME_FORMAT)
	except ValueError:
		return parser.parse(datetime_str)


def get_timedelta(time: str | None = None) -> datetime.timedelta | None:
	"""Parse a time string (``"17:21:00"``, ``"2 days, 1:00:00"``…) into a timedelta; None if invalid."""
	time = time or "0:0:0"
	try:
		try:
			parsed = parser.parse(time)
		except ParserError as e:
			if _looks_like_long_timedelta(e):
				return parse_timedelta(time)
			raise
		return datetime.timedelta(
			hours=parsed.hour, minutes=parsed.minute, seconds=parsed.second, microseconds=parsed.microsecond
		)
	except Exception:
		return None


def _looks_like_long_timedelta(error: ParserError) -> bool:
	# dateutil refuses "25:00:00" and "1 day, 2:00:00"; those are valid durations for us
	text = " ".join(str(a) for a in error.args)
	return "day" in text or "hour must be in" in text


def to_timedelta(time_str: str | datetime.time) -> datetime.timedelta:
	"""Convert a time or a time string into a timedelta; other values are returned unchanged."""
	if isinstance(time_str, datetime.time):
		time_str = str(time_str)
	if isinstance(time_str, str):
		parsed = parser.parse(time_str)
		return datetime.timedelta(
			hours=parsed.hour, minutes=parsed.minute, seconds=parsed.second, microseconds=parsed.microsecond
		)
	return time_str


def add_to_date(
	date: DateTimeLikeObject,
	years=0,
	months=0,
	weeks=0,
	days=0,
	hours=0,
	minutes=0,
	seconds=0,
	as_string=False,
	as_datetime=False,
) -> DateTimeLikeObject:
	"""Shift a date or datetime by calendar amounts.

	A string input gives a string back (a datetime string if it had a time part or
	hours were added); date/datetime inputs give the same type back.
	"""
	if date is None:
		date = now_datetime()
	if hours:
		as_datetime = True
	if isinstance(date, str):
		as_string = True
		if " " in date:
			as_datetime = True
		try:
			date = parser.parse(date)
		except ParserError:
			frappe.throw(_translate("Please select a valid date filter"), title=_translate("Invalid Date"))

	date = date + relativedelta(
		years=years, months=months, weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds
	)

	if as_string:
		return date.strftime(DATETIME_FORMAT if as_datetime else DATE_FORMAT)
	return date


def add_days(date, days):
	"""``add_to_date(date, days=days)``."""
	return add_to_date(date, days=days)


def add_months(date, months):
	"""``add_to_date(date, months=months)``."""
	return add_to_date(date, months=months)


def add_years(date, years):
	"""``add_to_date(date, years=years)``."""
	return add_to_date(date, years=years)


def date_diff(string_ed_date, string_st_date):
	"""Whole days from the start date to the end date."""
	return (getdate(string_ed_date) - getdate(string_st_date)).days


def month_diff(string_ed_date, string_st_date):
	"""Number of calendar months spanned, counting both ends."""
	end, start = getdate(string_ed_date), getdate(string_st_date)
	return (end.year - start.year) * 12 + end.month - start.month + 1


def time_diff(string_ed_date, string_st_date):
	"""``end - start`` as a timedelta."""
	return get_datetime(string_ed_date) - get_datetime(string_st_date)


def time_diff_in_seconds(string_ed_date, string_st_date):
	"""``end - start`` in seconds (float)."""
	return time_diff(string_ed_date, string_st_date).total_seconds()


def time_diff_in_hours(string_ed_date, string_st_date):
	"""``end - start`` in hours, rounded to 6 places."""
	return round(float(time_diff(string_ed_date, string_st_date).total_seconds()) / 3600, 6)


def get_system_timezone() -> str:
	"""The site's time zone from System Settings (UTC when unset or without a site)."""
	return _system_setting("time_zone") or DEFAULT_SYSTEM_TIMEZONE


def convert_utc_to_timezone(utc_timestamp: datetime.datetime, time_zone: str) -> datetime.datetime:
	"""Express a UTC datetime (naive means UTC) in ``time_zone``; unknown zones leave it in UTC."""
	from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

	if utc_timestamp.tzinfo is None:
		utc_timestamp = utc_timestamp.replace(tzinfo=datetime.timezone.utc)
	try:
		return utc_timestamp.astimezone(ZoneInfo(time_zone))
	except (ZoneInfoNotFoundError, ValueError, TypeError):
		return utc_timestamp


def get_datetime_in_timezone(time_zone: str) -> datetime.datetime:
	"""The current (aware) datetime in the given time zone."""
	return convert_utc_to_timezone(datetime.datetime.now(datetime.timezone.utc), time_zone)


def convert_utc_to_system_timezone(utc_timestamp: datetime.datetime) -> datetime.datetime:
	"""Express a UTC datetime in the system time zone (aware result)."""
	return convert_utc_to_timezone(utc_timestamp, get_system_timezone())


def now_datetime() -> datetime.datetime:
	"""The current naive datetime in the system time zone."""
	return convert_utc_to_system_timezone(datetime.datetime.now(datetime.timezone.utc)).replace(tzinfo=None)


def get_timestamp(date) -> float:
	"""Epoch seconds of midnight (host local time) of the given date."""
	return time.mktime(getdate(date).timetuple())


def get_eta(from_time, percent_complete):
	"""Estimated remaining time, as ``str(timedelta)``, of a task started at ``from_time``."""
	elapsed = time_diff(now_datetime(), from_time).total_seconds()
	return str(datetime.timedelta(seconds=(100 - percent_complete) / percent_complete * elapsed))


def now() -> str:
	"""Current datetime as ``yyyy-mm-dd hh:mm:ss.ffffff`` (honours ``frappe.flags.current_date``)."""
	current_date = _flag("current_date")
	if current_date:
		return getdate(current_date).strftime(DATE_FORMAT) + " " + now_datetime().strftime(TIME_FORMAT)
	return now_datetime().strftime(DATETIME_FORMAT)


def nowdate() -> str:
	"""Current date as ``yyyy-mm-dd``."""
	return now_datetime().strftime(DATE_FORMAT)


def today() -> str:
	"""Same as :func:`nowdate`."""
	return nowdate()


def nowtime() -> str:
	"""Current time as ``hh:mm:ss.ffffff``."""
	return now_datetime().strftime(TIME_FORMAT)


def get_abbr(string: str, max_len: int = 2) -> str:
	"""Initials of the words in ``string`` (at most ``max_len``), or ``"?"``."""
	initials = [part[0] for part in string.split(" ") if part]
	return "".join(initials[:max_len]) or "?"


def get_first_day(dt, d_years: int = 0, d_months: int = 0, as_str: bool = False) -> str | datetime.date:
	"""First day of the month of ``dt``, after moving ``d_years`` years and ``d_months`` months."""
	dt = getdate(dt)
	extra_years, month_index = divmod(dt.month - 1 + d_months, 12)
	first = datetime.date(dt.year + d_years + extra_years, month_index + 1, 1)
	return first.strftime(DATE_FORMAT) if as_str else first


def get_last_day(dt):
	"""Last day of the month of ``dt``."""
	return get_first_day(dt, 0, 1) - datetime.timedelta(days=1)


def get_quarter_start(dt, as_str: bool = False) -> str | datetime.date:
	"""First day of the calendar quarter of ``dt``."""
	date = getdate(dt)
	start = datetime.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)
	return start.strftime(DATE_FORMAT) if as_str else start


def get_quarter_ending(date):
	"""Last day of the calendar quarter of ``date``."""
	date = getdate(date)
	quarter_last_month = 3 * ((date.month - 1) // 3) + 3
	return get_last_day(datetime.date(date.year, quarter_last_month, 1))


def get_first_day_of_the_week() -> str:
	"""The configured first weekday (System Settings ``first_day_of_the_week``), default Sunday."""
	return _system_setting("first_day_of_the_week") or "Sunday"


def get_start_of_week_index() -> int:
	"""Index (Sunday = 0) of the configured first weekday."""
	return Weekday[get_first_day_of_the_week()].value


def get_normalized_weekday_index(dt) -> int:
	"""Weekday index of ``dt`` with Sunday = 0."""
	return (dt.weekday() + 1) % 7


def get_week_start_offset_days(dt) -> int:
	"""Days between the start of the week and ``dt``."""
	return (get_normalized_weekday_index(dt) - get_start_of_week_index()) % 7


def get_first_day_of_week(dt, as_str=False):
	"""First day of the week containing ``dt``."""
	dt = getdate(dt)
	start = dt - datetime.timedelta(days=get_week_start_offset_days(dt))
	return start.strftime(DATE_FORMAT) if as_str else start


def get_last_day_of_week(dt):
	"""Last day of the week containing ``dt``."""
	return get_first_day_of_week(dt) + datetime.timedelta(days=6)


def get_year_start(dt, as_str=False):
	"""1 January of the year of ``dt``."""
	start = datetime.date(getdate(dt).year, 1, 1)
	return start.strftime(DATE_FORMAT) if as_str else start


def get_year_ending(date):
	"""31 December of the year of ``date``."""
	return datetime.date(getdate(date).year, 12, 31)


def get_time(time_str) -> datetime.time:
	"""Return a ``datetime.time`` for a time-like value (str, time, datetime, timedelta)."""
	if isinstance(time_str, datetime.datetime):
		return time_str.time()
	if isinstance(time_str, datetime.time):
		return time_str
	if isinstance(time_str, datetime.timedelta):
		return (datetime.datetime.min + time_str).time()
	try:
		return parser.parse(time_str).time()
	except ParserError as e:
		if _looks_like_long_timedelta(e):
			return (datetime.datetime.min + parse_timedelta(time_str)).time()
		raise


def get_datetime_str(datetime_obj) -> str:
	"""Format a datetime (or datetime string) as ``yyyy-mm-dd hh:mm:ss.ffffff``."""
	if isinstance(datetime_obj, str):
		datetime_obj = get_datetime(datetime_obj)
	return datetime_obj.strftime(DATETIME_FORMAT)


def get_date_str(date_obj) -> str:
	"""Format a date (or date string) as ``yyyy-mm-dd``."""
	if isinstance(date_obj, str):
		date_obj = get_datetime(date_obj)
	return date_obj.strftime(DATE_FORMAT)


def get_time_str(timedelta_obj) -> str:
	"""Format a timedelta (or time string) as ``h:m:s`` without padding."""
	if isinstance(timedelta_obj, str):
		timedelta_obj = to_timedelta(timedelta_obj)
	hours, rest = divmod(timedelta_obj.seconds, 3600)
	minutes, seconds = divmod(rest, 60)
	return f"{hours}:{minutes}:{seconds}"


def get_user_date_format() -> str:
	"""The site's date format (default ``yyyy-mm-dd``), cached on ``frappe.local``."""
	cached = _local_attr("user_date_format", None)
	if cached is None:
		cached = _db_default("date_format") or ""
		try:
			frappe.local.user_date_format = cached
		except Exception:
			pass
	return cached or "yyyy-mm-dd"


get_user_format = get_user_date_format  # older name


def get_user_time_format() -> str:
	"""The site's time format (default ``HH:mm:ss``), cached on ``frappe.local``."""
	cached = _local_attr("user_time_format", None)
	if cached is None:
		cached = _db_default("time_format") or ""
		try:
			frappe.local.user_time_format = cached
		except Exception:
			pass
	return cached or "HH:mm:ss"


# Frappe's formats use babel/CLDR tokens; without babel we map the common ones to strftime.
_CLDR_TOKENS = (
	("yyyy", "%Y"),
	("MMMM", "%B"),
	("MMM", "%b"),
	("MM", "%m"),
	("mm", "%M"),
	("dd", "%d"),
	("HH", "%H"),
	("hh", "%I"),
	("ss", "%S"),
	("yy", "%y"),
	("a", "%p"),
)


def _cldr_to_strftime(pattern: str) -> str:
	out, i = [], 0
	while i < len(pattern):
		for token, directive in _CLDR_TOKENS:
			if pattern.startswith(token, i):
				out.append(directive)
				i += len(token)
				break
		else:
			out.append(pattern[i].replace("%", "%%"))
			i += 1
	return "".join(out)


def format_date(string_date=None, format_string: str | None = None, parse_day_first: bool = False) -> str:
	"""Render a date in the site date format (``dd-mm-yyyy``, ``mm/dd/yyyy``…); ``""`` for empty input."""
	if not string_date:
		return ""
	date = getdate(string_date, parse_day_first)
	pattern = format_string or get_user_date_format()
	# in date formats "mm" means month (babel would read it as minutes)
	pattern = pattern.replace("mm", "MM").replace("Y", "y")
	return date.strftime(_cldr_to_strftime(pattern))


formatdate = format_date  # older name


def format_time(time_string=None, format_string: str | None = None) -> str:
	"""Render a time in the site time format (default ``HH:mm:ss``); ``""`` for empty input."""
	if not time_string:
		return ""
	value = get_time(time_string)
	return value.strftime(_cldr_to_strftime(format_string or get_user_time_format()))


def format_datetime(datetime_string: DateTimeLikeObject, format_string: str | None = None) -> str | None:
	"""Render a datetime in the site date + time formats; None for empty input."""
	if not datetime_string:
		return None
	value = get_datetime(datetime_string)
	if not format_string:
		date_part = _cldr_to_strftime(get_user_date_format().replace("mm", "MM").replace("Y", "y"))
		return value.strftime(date_part + " " + _cldr_to_strftime(get_user_time_format()))
	return value.strftime(_cldr_to_strftime(format_string))


def global_date_format(date, format="long"):
	"""A date written out in English, e.g. ``January 1, 2012``."""
	date = getdate(date)
	if format == "short":
		return date.strftime("%m/%d/%y")
	if format == "medium":
		return f"{date.strftime('%b')} {date.day}, {date.year}"
	return f"{date.strftime('%B')} {date.day}, {date.year}"


def format_duration(seconds, hide_days=False):
	"""Render seconds as ``"3h 34m 45s"`` (with a ``d`` part unless ``hide_days``)."""
	seconds = cint(seconds)
	days, rest = divmod(seconds, 86400)
	hours, rest = divmod(rest, 3600)
	minutes, secs = divmod(rest, 60)
	if hide_days:
		hours += days * 24
		days = 0
	parts = [f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if value]
	return " ".join(parts)


def validate_duration_format(duration):
	"""Throw unless ``duration`` looks like ``"1d 2h 3m 4s"`` (each part optional)."""
	if not _DURATION_RE.match(duration):
		frappe.throw(
			_translate("Value {0} must be in the valid duration format: d h m s").format(_bold(duration))
		)


def duration_to_seconds(duration):
	"""Inverse of :func:`format_duration`: ``"3h 34m 45s"`` → 12885."""
	validate_duration_format(duration)
	factors = {"d": 86400, "h": 3600, "m": 60, "s": 1}
	return sum(cint(amount) * factors[unit] for amount, unit in re.findall(r"(\d+)([dhms])", duration))


def get_weekdays():
	"""Weekday names, Monday first."""
	return ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def get_weekday(datetime: datetime.datetime | None = None) -> str:
	"""Name of the weekday of the given datetime (default: now)."""
	value = datetime or now_datetime()
	return get_weekdays()[value.weekday()]


def get_timespan_date_range(timespan: str) -> tuple | None:
	"""(start, end) dates for labels like ``"last week"``, ``"this month"``, ``"next year"``."""
	today_ = nowdate()

	def shifted(**kwargs):
		return add_to_date(today_, **kwargs)

	ranges = {
		"last week": lambda: (get_first_day_of_week(shifted(days=-7)), get_last_day_of_week(shifted(days=-7))),
		"last month": lambda: (get_first_day(shifted(months=-1)), get_last_day(shifted(months=-1))),
		"last quarter": lambda: (get_quarter_start(shifted(months=-3)), get_quarter_ending(shifted(months=-3))),
		"last 6 months": lambda: (get_quarter_start(shifted(months=-6)), get_quarter_ending(shifted(months=-3))),
		"last year": lambda: (get_year_start(shifted(years=-1)), get_year_ending(shifted(years=-1))),
		"yesterday": lambda: (shifted(days=-1),) * 2,
		"today": lambda: (today_, today_),
		"tomorrow": lambda: (shifted(days=1),) * 2,
		"this week": lambda: (get_first_day_of_week(today_), get_last_day_of_week(today_)),
		"this month": lambda: (get_first_day(today_), get_last_day(today_)),
		"this quarter": lambda: (get_quarter_start(today_), get_quarter_ending(today_)),
		"this year": lambda: (get_year_start(today_), get_year_ending(today_)),
		"next week": lambda: (get_first_day_of_week(shifted(days=7)), get_last_day_of_week(shifted(days=7))),
		"next month": lambda: (get_first_day(shifted(months=1)), get_last_day(shifted(months=1))),
		"next quarter": lambda: (get_quarter_start(shifted(months=3)), get_quarter_ending(shifted(months=3))),
		"next 6 months": lambda: (get_quarter_start(shifted(months=3)), get_quarter_ending(shifted(months=6))),
		"next year": lambda: (get_year_start(shifted(years=1)), get_year_ending(shifted(years=1))),
	}
	maker = ranges.get(timespan)
	return maker() if maker else None


def format_timedelta(o: datetime.timedelta) -> str:
	"""Render a timedelta as ``h:mm:ss`` (fractional seconds kept when present)."""
	hours, rest = divmod(o.total_seconds(), 3600)
	minutes, seconds = divmod(rest, 60)
	seconds = round(seconds, 6)
	if seconds == int(seconds):
		seconds = int(seconds)
	return f"{int(hours):01}:{int(minutes):02}:{seconds:02}"


def parse_timedelta(s: str) -> datetime.timedelta:
	"""Parse ``str(timedelta)`` output (``"1 day, 2:03:04.5"`` or ``"26:03:04"``) back into a timedelta."""
	match = (_DAYS_TIMEDELTA_RE if "day" in s else _PLAIN_TIMEDELTA_RE).match(s)
	return datetime.timedelta(**{key: float(value) for key, value in match.groupdict().items()})


def guess_date_format(date_string: str) -> str | None:
	"""Guess the strftime pattern of a date, time or datetime string; None if nothing fits."""
	date_formats = (
		"%d/%b/%y", "%d-%m-%Y", "%m-%d-%Y", "%Y-%m-%d", "%d-%m-%y", "%m-%d-%y", "%y-%m-%d", "%y-%b-%d",
		"%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d/%m/%y", "%m/%d/%y", "%y/%m/%d", "%d.%m.%Y", "%m.%d.%Y",
		"%Y.%m.%d", "%d.%m.%y", "%m.%d.%y", "%y.%m.%d", "%d %b %Y", "%d %B %Y",
	)  # fmt: skip
	time_formats = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M", "%I:%M:%S.%f %p", "%I:%M:%S %p", "%I:%M %p")

	def first_fit(value, candidates):
		for pattern in candidates:
			try:
				datetime.datetime.strptime(value, pattern)
				return pattern
			except ValueError:
				continue
		return None

	date_string = date_string.strip()
	found = first_fit(date_string, date_formats) or first_fit(date_string, time_formats)
	if found:
		return found
	if " " in date_string:
		date_part, time_part = date_string.split(" ", 1)
		date_pattern, time_pattern = first_fit(date_part, date_formats), first_fit(time_part, time_formats)
		if date_pattern and time_pattern:
			return f"{date_pattern} {time_pattern}"
	return None


def pretty_date(iso_datetime: datetime.datetime | str) -> str:
	"""Describe how long ago a datetime was: "just now", "3 hours ago", "Yesterday"…"""
	if not iso_datetime:
		return ""
	if isinstance(iso_datetime, str):
		iso_datetime = get_datetime(iso_datetime)
	delta = now_datetime() - iso_datetime
	secs = delta.days * 86400.0 + delta.seconds
	days = math.floor(secs / 86400.0)
	_ = _translate
	if secs < 60:
		return _("just now")
	if secs < 120:
		return _("1 minute ago")
	if secs < 3600:
		return _("{0} minutes ago").format(cint(secs // 60))
	if secs < 7200:
		return _("1 hour ago")
	if secs < 86400:
		return _("{0} hours ago").format(cint(secs // 3600))
	if days == 1:
		return _("Yesterday")
	if days < 7:
		return _("{0} days ago").format(cint(days))
	if days < 14:
		return _("1 week ago")
	if days < 31:
		return _("{0} weeks ago").format(days // 7)
	if days < 61:
		return _("1 month ago")
	if days < 365:
		return _("{0} months ago").format(days // 30)
	if days < 730:
		return _("1 year ago")
	return f"{cint(days // 365)} years ago"


# --- numbers --------------------------------------------------------------------------------


def cint(s: NumericType | str, default: int = 0) -> int:
	"""Convert to int via float (``"12.7"`` → 12); ``default`` when that fails."""
	try:
		return int(float(s))
	except Exception:
		return default


def flt(s: NumericType | str, precision: int | None = None, rounding_method: str | None = None) -> float:
	"""Convert to float, ignoring thousands commas in strings; 0.0 when that fails.

	With ``precision`` the value is rounded by :func:`rounded` (the system rounding
	method, legacy banker's rounding by default), e.g. ``flt("43.5", 0) == 44`` and
	``flt("42.5", 0) == 42``.
	"""
	if isinstance(s, str):
		s = s.replace(",", "")
	try:
		num = float(s)
		if precision is not None:
			num = rounded(num, precision, rounding_method)
	except InvalidRoundingMethod:
		raise
	except Exception:
		num = 0.0
	return num


def floor(s) -> int:
	"""Largest integer ≤ the number (0 for bad input)."""
	try:
		return cint(math.floor(flt(s)))
	except Exception:
		return 0


def ceil(s) -> int:
	"""Smallest integer ≥ the number (0 for bad input)."""
	try:
		return cint(math.ceil(flt(s)))
	except Exception:
		return 0


def rounded(num, precision=0, rounding_method=None):
	"""Round ``num`` to ``precision`` places with the given or system-wide rounding method.

	Methods: "Banker's Rounding (legacy)" (the default), "Banker's Rounding" and
	"Commercial Rounding" (half away from zero). Anything else throws
	:class:`~frappe.exceptions.InvalidRoundingMethod`.
	"""
	precision = cint(precision)
	method = rounding_method or _system_setting("rounding_method") or DEFAULT_ROUNDING_METHOD

	if method == "Banker's Rounding (legacy)":
		return _round_legacy(num, precision)
	if method == "Banker's Rounding":
		return _round_half_even(num, precision)
	if method == "Commercial Rounding":
		return _round_half_away_from_zero(num, precision)
	frappe.throw(_translate("Unknown Rounding Method: {}").format(method), exc=InvalidRoundingMethod)


def _round_legacy(num, precision):
	# Historic behaviour kept for compatibility: ties go to even only when rounding to
	# an integer; with decimals a tie is always rounded up (towards +infinity).
	scale = 10**precision
	value = round(num * scale if precision else num, 8)  # absorb float noise first
	lower = math.floor(value)
	fraction = value - lower
	if fraction == 0.5:
		value = (lower if lower % 2 == 0 else lower + 1) if not precision else lower + 1
	else:
		value = round(value)
	return value / scale if precision else value


def _ulp_margin(value):
	# about one unit in the last place of ``value``: the error a tie may carry
	return 2.0 ** (math.log(abs(value), 2) - 52.0)


def _round_half_away_from_zero(num, precision):
	if num == 0:
		return 0.0
	# nudge by one ulp so ties that float stores a hair low still go away from zero
	return round(num + math.copysign(_ulp_margin(num), num), precision)


def _round_half_even(num, precision):
	scale = 10**precision
	value = round(num * scale, 12)
	if value == 0:
		return 0.0
	lower = math.floor(value)
	if abs((value - lower) - 0.5) < _ulp_margin(value):
		value = lower if lower % 2 == 0 else lower + 1
	else:
		value = round(value)
	return value / scale


def remainder(numerator: NumericType, denominator: NumericType, precision: int = 2) -> NumericType:
	"""``numerator % denominator`` computed at ``precision`` places to avoid float noise."""
	precision = cint(precision)
	if precision:
		scale = 10**precision
		result = ((numerator * scale) % (denominator * scale)) / scale
	else:
		result = numerator % denominator
	return flt(result, precision)


def safe_div(numerator: NumericType, denominator: NumericType, precision: int = 2) -> float:
	"""Division that gives 0 instead of failing on a zero denominator."""
	result = 0.0 if denominator == 0 else float(numerator) / denominator
	return flt(result, cint(precision))


def cstr(s, encoding="utf-8") -> str:
	"""Convert to str: None → ``""``, bytes decoded with ``encoding``, others via ``str()``."""
	if isinstance(s, str):
		return s
	if s is None:
		return ""
	if isinstance(s, (bytes, bytearray)):
		return bytes(s).decode(encoding)
	return str(s)


def sbool(x: str) -> bool | Any:
	"""``"true"``/``"1"`` → True and ``"false"``/``"0"`` → False (any case); other values unchanged."""
	try:
		lowered = x.lower()
	except Exception:
		return x
	if lowered in ("true", "1"):
		return True
	if lowered in ("false", "0"):
		return False
	return x


def encode(obj, encoding="utf-8"):
	"""Encode a str (or the strs in a list) to bytes; other values unchanged."""
	if isinstance(obj, list):
		return [item.encode(encoding) if isinstance(item, str) else item for item in obj]
	if isinstance(obj, str):
		return obj.encode(encoding)
	return obj


def parse_val(v):
	"""Simplify a SQL result value: dates to strings, timedeltas to ``h:mm``."""
	if isinstance(v, (datetime.date, datetime.datetime)):
		return str(v)
	if isinstance(v, datetime.timedelta):
		return ":".join(str(v).split(":")[:2])
	if isinstance(v, int):
		return int(v)
	return v


number_format_info = {
	"#,###.##": (".", ",", 2),
	"#.###,##": (",", ".", 2),
	"# ###.##": (".", " ", 2),
	"# ###,##": (",", " ", 2),
	"#'###.##": (".", "'", 2),
	"#, ###.##": (".", ", ", 2),
	"#,##,###.##": (".", ",", 2),
	"#,###.###": (".", ",", 3),
	"#.###": ("", ".", 0),
	"#,###": ("", ",", 0),
	"#.########": (".", "", 8),
}


def get_number_format_info(format: str) -> tuple[str, str, int]:
	"""(decimal separator, group separator, decimals) of a number format like ``#,###.##``."""
	return number_format_info.get(format) or (".", ",", 2)


def fmt_money(
	amount: str | float | int | None,
	precision: int | None = None,
	currency: str | None = None,
	format: str | None = None,
) -> str:
	"""Format an amount with group separators, e.g. ``fmt_money(1234.5, currency="USD")`` →
	``"USD 1,234.50"``.

	The number format comes from ``format``, else the site default, else ``#,###.##``.
	The currency is shown by its code (this runtime has no Currency symbols table).
	"""
	number_format = format or _db_default("number_format") or "#,###.##"
	decimal_sep, group_sep, format_precision = get_number_format_info(number_format)
	if precision is None:
		precision = cint(_db_default("currency_precision")) or format_precision
	precision = cint(precision)

	value = flt(amount, precision) if isinstance(amount, str) else flt(amount or 0)
	text = f"{abs(round(value, precision)):.{precision}f}"
	whole, _, decimals = text.partition(".")

	groups = []
	if len(whole) > 3:
		groups.append(whole[-3:])
		whole = whole[:-3]
		# the Indian format groups by two after the first thousand
		step = 2 if number_format == "#,##,###.##" else 3
		while len(whole) > step:
			groups.append(whole[-step:])
			whole = whole[:-step]
	groups.append(whole)
	result = group_sep.join(reversed(groups))
	if precision and decimal_sep:
		result += decimal_sep + decimals
	if value < 0 and result.strip("0" + group_sep + decimal_sep):
		result = "-" + result

	if currency and _db_default("hide_currency_symbol") != "Yes":
		result = f"{currency} {result}"
	return result


# --- strings, HTML and lists ----------------------------------------------------------------


def is_html(text: str) -> bool:
	"""True if the string contains something that looks like an HTML tag."""
	return isinstance(text, str) and bool(_HTML_TAG_RE.search(text))


def is_image(filepath: str) -> bool:
	"""True if the path (query string ignored) has an image MIME type."""
	from mimetypes import guess_type

	path = (filepath or "").split("?", 1)[0]
	return (guess_type(path)[0] or "").startswith("image/")


def strip_html(text: str) -> str:
	"""Remove tags and HTML comments."""
	return _STRIP_TAGS_RE.sub("", text)


_HTML_ESCAPES = {"&": "&amp;", '"': "&quot;", "'": "&apos;", ">": "&gt;", "<": "&lt;"}


def escape_html(text: str) -> str:
	"""Escape ``& " ' < >``; non-strings are returned unchanged."""
	if not isinstance(text, str):
		return text
	return "".join(_HTML_ESCAPES.get(ch, ch) for ch in text)


def comma_sep(some_list, pattern, add_quotes=True):
	"""Join a list as ``'a', 'b' and 'c'`` using ``pattern`` (``"{0} and {1}"``)."""
	if not isinstance(some_list, (list, tuple)):
		return some_list
	items = [str(item) for item in some_list]
	if not items:
		return ""
	if len(items) == 1:
		return items[0]
	if add_quotes:
		items = [f"'{item}'" for item in items]
	return pattern.format(", ".join(_translate(item) for item in items[:-1]), items[-1])


def comma_or(some_list, add_quotes=True):
	"""``'a', 'b' or 'c'``."""
	return comma_sep(some_list, _translate("{0} or {1}"), add_quotes)


def comma_and(some_list, add_quotes=True):
	"""``'a', 'b' and 'c'``."""
	return comma_sep(some_list, _translate("{0} and {1}"), add_quotes)


def new_line_sep(some_list):
	"""Join a list with newline + space; non-lists are returned unchanged."""
	if not isinstance(some_list, (list, tuple)):
		return some_list
	items = [str(item) for item in some_list]
	if not items:
		return ""
	return "\n ".join(items)


def filter_strip_join(some_list: list[str], sep: str) -> str:
	"""Drop empty items, strip the rest and join them with ``sep``."""
	return cstr(sep).join(cstr(item).strip() for item in filter(None, some_list))


def has_common(l1: typing.Iterable, l2: typing.Iterable) -> bool:
	"""True if the two iterables share an element."""
	return bool(set(l1) & set(l2))


def unique(seq: typing.Sequence) -> list:
	"""Remove duplicates, keeping the first occurrence and the order."""
	seen = set()
	out = []
	for item in seq:
		if item not in seen:
			seen.add(item)
			out.append(item)
	return out


def strip(val: str, chars: str | None = None) -> str:
	"""``str.strip`` that also removes zero-width characters and accepts None."""
	return (val or "").replace("\ufeff", "").replace("\u200b", "").strip(chars)


def get_string_between(start: str, string: str, end: str) -> str:
	"""The text between ``start`` and ``end`` (greedy); the whole string if they are absent."""
	if not string:
		return ""
	found = re.search(f"{start}(.*){end}", string)
	return found.group(1) if found else string


def is_subset(list_a: list, list_b: list) -> bool:
	"""True if every element of ``list_a`` is in ``list_b``."""
	return len(set(list_a) & set(list_b)) == len(list_a)


def generate_hash(*args, **kwargs) -> str:
	"""Same as ``frappe.generate_hash``."""
	return frappe.generate_hash(*args, **kwargs)


def sha256_hash(input: str | bytes) -> str:
	"""Hex SHA-256 digest of a string."""
	return hashlib.sha256(encode(input)).hexdigest()


def dict_with_keys(dict, keys):
	"""A new dict with only the given keys."""
	return {key: value for key, value in dict.items() if key in keys}


def validate_json_string(string: str) -> None:
	"""Raise ValidationError unless the string is valid JSON."""
	try:
		json.loads(string)
	except (TypeError, ValueError):
		raise frappe.exceptions.ValidationError


def get_job_name(key: str, doctype: str | None = None, doc_name: str | None = None) -> str:
	"""``key[_doctype][_doc_name]``."""
	return "_".join(part for part in (key, doctype, doc_name) if part)


def cast(fieldtype, value=None):
	"""Cast ``value`` to the Python type of a Frappe fieldtype.

	Numbers and Checks become float/int, text-like types become str, Date/Datetime
	become date/datetime (the year-1 minimum when empty), Time becomes a timedelta.
	"""
	if fieldtype in ("Currency", "Float", "Percent"):
		return flt(value)
	if fieldtype in ("Int", "Check"):
		return cint(sbool(value))
	if fieldtype in ("Data", "Text", "Small Text", "Long Text", "Text Editor", "Select", "Link", "Dynamic Link"):
		return cstr(value)
	if fieldtype == "Date":
		return getdate(value) if value else datetime.date(1, 1, 1)
	if fieldtype == "Datetime":
		return get_datetime(value) if value else datetime.datetime(1, 1, 1)
	if fieldtype == "Time":
		return get_timedelta(value)
	return value


def cast_fieldtype(fieldtype, value, show_warning=True):
	"""Deprecated form of :func:`cast` (empty dates stay empty)."""
	if fieldtype in ("Date", "Datetime") and not value:
		return value
	return cast(fieldtype, value)


# --- URLs -----------------------------------------------------------------------------------


def get_host_name_from_request() -> str | None:
	"""``scheme://host`` of the current request, honouring ``X-Forwarded-Proto``."""
	request = _local_attr("request", None)
	host = getattr(request, "host", None) if request else None
	if not host:
		return None
	forwarded = request.headers.get("X-Forwarded-Proto", "") if getattr(request, "headers", None) else ""
	return ("https://" if forwarded == "https" else "http://") + host


def url_contains_port(url: str) -> bool:
	"""True if a ``scheme://host:port`` URL has a port."""
	return len(url.split(":")) > 2


def get_url(uri: str | None = None, full_address: bool = False, allow_header_override: bool = True) -> str:
	"""Absolute URL of the site, optionally joined with ``uri``.

	The host comes from site config ``host_name`` (or ``hostname``), else the
	current request, else ``http(s)://<site>``; ``http_port``/``webserver_port``
	is appended when configured. Absolute ``uri`` values are returned as they are.
	"""
	if uri and uri.startswith(("http://", "https://")):
		return uri

	conf = _conf()
	host_name = conf.get("host_name") or conf.get("hostname")
	if not host_name:
		from_request = get_host_name_from_request() if allow_header_override else None
		site = _local_attr("site", None)
		if from_request:
			host_name = from_request
		elif site:
			protocol = "http://"
			wildcard = conf.get("wildcard") or {}
			if conf.get("ssl_certificate"):
				protocol = "https://"
			elif wildcard.get("domain") and site.endswith(wildcard["domain"]) and wildcard.get("ssl_certificate"):
				protocol = "https://"
			host_name = protocol + site
		else:
			host_name = "http://localhost"

	if not host_name.startswith(("http://", "https://")):
		host_name = "http://" + host_name

	if not uri and full_address:
		request = _local_attr("request", None)
		uri = request.environ.get("REQUEST_URI", "") if request is not None else ""

	port = conf.get("http_port") or conf.get("webserver_port")
	restarts_managed = conf.get("restart_supervisor_on_update") or conf.get("restart_systemd_on_update")
	if port and not restarts_managed and not url_contains_port(host_name):
		host_name = f"{host_name}:{port}"

	return urljoin(host_name, uri) if uri else host_name


def get_host_name() -> str:
	"""The site URL without its scheme."""
	return get_url().rsplit("//", 1)[-1]


def quoted(url: str) -> str:
	"""Percent-encode a URL, leaving URL punctuation alone."""
	return cstr(quote(encode(cstr(url)), safe=b"~@#$&()*!+=:;,.?/'"))


def _slug(name: str) -> str:
	return name.lower().replace(" ", "-")


def get_absolute_url(doctype: str, name: str) -> str:
	"""Desk path of a document: ``/app/<doctype-slug>/<name>``."""
	return f"/app/{quoted(_slug(doctype))}/{quoted(name)}"


def get_url_to_form(doctype: str, name: str) -> str:
	"""Full desk URL of a document."""
	return get_url(uri=get_absolute_url(doctype, name))


def get_url_to_list(doctype: str) -> str:
	"""Full desk URL of a doctype's list."""
	return get_url(uri=f"/app/{quoted(_slug(doctype))}")


def get_url_to_report(name, report_type: str | None = None, doctype: str | None = None) -> str:
	"""Full desk URL of a report."""
	if report_type == "Report Builder":
		return get_url(uri=f"/app/{quoted(_slug(doctype))}/view/report/{quoted(name)}")
	return get_url(uri=f"/app/query-report/{quoted(name)}")


def get_link_to_form(doctype: str, name: str, label: str | None = None) -> str:
	"""An ``<a>`` tag to a document's desk form."""
	return f'<a href="{get_url_to_form(doctype, name)}">{label or name}</a>'


def expand_relative_urls(html: str) -> str:
	"""Make ``href``/``src``/CSS ``url()`` references absolute with the site URL."""
	base = get_url().rstrip("/")

	def expand(match):
		parts = list(match.groups())
		if not parts[2].startswith(("mailto", "data:", "tel:")):
			if not parts[2].startswith("/"):
				parts[2] = "/" + parts[2]
			parts.insert(2, base)
		if "url" in parts[0] and parts[1].startswith("(") and parts[-1].endswith(")"):
			parts.append(" !important")
		return "".join(parts)

	html = _RELATIVE_URL_ATTR_RE.sub(expand, html)
	return _CSS_URL_RE.sub(expand, html)


def scrub_urls(html: str) -> str:
	"""Same as :func:`expand_relative_urls`."""
	return expand_relative_urls(html)


def quote_urls(html: str) -> str:
	"""Percent-encode absolute URLs found in ``href``/``src`` attributes."""

	def requote(match):
		parts = list(match.groups())
		parts[2] = quoted(parts[2])
		return "".join(parts)

	return _ABSOLUTE_URL_ATTR_RE.sub(requote, html)


# --- filters --------------------------------------------------------------------------------

operator_map = {
	"^": lambda a, b: (a or "").startswith(b),
	"in": lambda a, b: operator.contains(b, a),
	"not in": lambda a, b: not operator.contains(b, a),
	"=": operator.eq,
	"!=": operator.ne,
	">": operator.gt,
	"<": operator.lt,
	">=": operator.ge,
	"<=": operator.le,
	"not None": lambda a, b: bool(a),
	"None": lambda a, b: not a,
}


def compare(val1: Any, condition: str, val2: Any, fieldtype: str | None = None):
	"""Evaluate ``val1 <condition> val2`` with the operators of :data:`operator_map`."""
	if fieldtype:
		val1, val2 = cast(fieldtype, val1), cast(fieldtype, val2)
	func = operator_map.get(condition)
	return func(val1, val2) if func else False


def make_filter_tuple(doctype, key, value):
	"""``[doctype, key, operator, value]`` from ``key: value`` or ``key: [operator, value]``."""
	if isinstance(value, (list, tuple)):
		return [doctype, key, value[0], value[1]]
	return [doctype, key, "=", value]


def make_filter_dict(filters):
	"""``{fieldname: (operator, value)}`` from a list of 4-item filters."""
	out = frappe._dict() if hasattr(frappe, "_dict") else {}
	for f in filters:
		out[f[1]] = (f[2], f[3])
	return out


_BLOCKED_SQL_WORDS = ("select", "create", "insert", "delete", "drop", "update", "case", "and", "or")
_SUSPICIOUS_COLUMN_RE = re.compile(r"^.*[,'();].*")


def sanitize_column(column_name: str) -> None:
	"""Throw DataError for a column expression that could smuggle SQL into a query."""
	text = _SQL_BLOCK_COMMENT_RE.sub("", column_name)
	text = _SQL_LINE_COMMENT_RE.sub("", text).lower()

	def refuse():
		frappe.throw(
			_translate("Invalid field name {0}").format(column_name), frappe.exceptions.DataError
		)

	if "ifnull" in text:
		# ifnull(x, '') needs commas and brackets, so only reject SQL keywords inside it
		if _SUSPICIOUS_COLUMN_RE.match(text) and any(word in text.split() for word in _BLOCKED_SQL_WORDS):
			refuse()
	elif _SUSPICIOUS_COLUMN_RE.match(text):
		refuse()


_FILTER_OPERATORS = (
	"=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between",
	"descendants of", "ancestors of", "not descendants of", "not ancestors of",
	"timespan", "previous", "next",
)  # fmt: skip


def get_filter(doctype: str, f: dict | list | tuple, filters_config=None):
	"""Normalise one filter into ``_dict(doctype, fieldname, operator, value, fieldtype)``.

	Accepts ``{field: value}``, ``{field: [op, value]}``, ``[field, op, value]`` or
	``[doctype, field, op, value]``; a field found only in a child table moves the
	filter to that child doctype.
	"""
	from frappe.model import child_table_fields, default_fields, optional_fields

	if isinstance(f, dict):
		key, value = next(iter(f.items()))
		f = make_filter_tuple(doctype, key, value)
	if not isinstance(f, (list, tuple)):
		frappe.throw(_translate("Filter must be a tuple or list (in a list)"))
	if len(f) == 3:
		f = (doctype, f[0], f[1], f[2])
	elif len(f) > 4:
		f = f[0:4]
	elif len(f) != 4:
		frappe.throw(
			_translate("Filter must have 4 values (doctype, fieldname, operator, value): {0}").format(str(f))
		)

	f = frappe._dict(doctype=f[0], fieldname=f[1], operator=f[2], value=f[3])
	sanitize_column(f.fieldname)
	if not f.operator:
		f.operator = "="

	allowed = _FILTER_OPERATORS
	if filters_config:
		allowed = tuple(set(allowed) | {key.lower() for key in filters_config})
	if f.operator.lower() not in allowed:
		frappe.throw(_translate("Operator must be one of {0}").format(", ".join(allowed)))

	if f.doctype and f.fieldname not in (*default_fields, *optional_fields, *child_table_fields):
		meta = frappe.get_meta(f.doctype)
		if not meta.has_field(f.fieldname):
			for table_df in meta.get_table_fields():
				if frappe.get_meta(table_df.options).has_field(f.fieldname):
					f.doctype = table_df.options
					break

	try:
		df = frappe.get_meta(f.doctype).get_field(f.fieldname) if f.doctype else None
	except frappe.exceptions.DoesNotExistError:
		df = None
	f.fieldtype = df.fieldtype if df else None
	return f


def evaluate_filters(doc, filters: dict | list | tuple):
	"""True if the document (dict or Document) matches every filter."""
	if isinstance(filters, dict):
		items = [{key: value} for key, value in filters.items()]
	elif isinstance(filters, (list, tuple)):
		items = list(filters)
	else:
		return True
	for item in items:
		f = get_filter(None, item)
		if not compare(doc.get(f.fieldname), f.operator, f.value, f.fieldtype):
			return False
	return True


# --- misc -----------------------------------------------------------------------------------


def image_to_base64(image, extn: str) -> bytes:
	"""Base64 of a PIL image saved in the given format."""
	from io import BytesIO

	buffer = BytesIO()
	if extn.lower() in ("jpg", "jpe"):
		extn = "JPEG"
	image.save(buffer, extn)
	return base64.b64encode(buffer.getvalue())
