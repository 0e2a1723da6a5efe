"""Unit tests of frappe.exceptions, frappe.utils(.data) and the Fernet half of frappe.utils.password.

Nothing here needs a site or a database.
"""

import datetime
import os
import re
import sys

import pytest

_RUNTIME = os.path.join(os.path.dirname(__file__), "..", "..", "runtime")
if os.path.abspath(_RUNTIME) not in map(os.path.abspath, sys.path):
	sys.path.insert(0, os.path.abspath(_RUNTIME))

import frappe  # noqa: E402
import frappe.exceptions as exc  # noqa: E402
from frappe import utils  # noqa: E402
from frappe.utils import data  # noqa: E402
from frappe.utils import password  # noqa: E402


@pytest.fixture
def bare_local():
	"""The little of frappe.local that frappe.throw needs, without a site."""
	frappe.local.flags = frappe._dict()
	frappe.local.message_log = []
	yield frappe.local
	for name in ("flags", "message_log", "conf", "site", "request"):
		try:
			delattr(frappe.local, name)
		except AttributeError:
			pass


# --- exceptions -----------------------------------------------------------------------------

STATUS_CODES = {
	"ValidationError": 417,
	"FrappeTypeError": 417,
	"DataError": 417,
	"MandatoryError": 417,
	"LinkValidationError": 417,
	"CancelledLinkError": 417,
	"TimestampMismatchError": 417,
	"DocstatusTransitionError": 417,
	"UpdateAfterSubmitError": 417,
	"UniqueValidationError": 417,
	"LinkExistsError": 417,
	"InvalidNameError": 417,
	"AppNotInstalledError": 417,
	"InvalidStatusError": 417,
	"CharacterLengthExceededError": 417,
	"EmptyTableError": 417,
	"InvalidDates": 417,
	"DocumentLockedError": 417,
	"AuthenticationError": 401,
	"SessionExpired": 401,
	"PermissionError": 403,
	"DoesNotExistError": 404,
	"PageDoesNotExistError": 404,
	"NameError": 409,
	"DuplicateEntryError": 409,
	"CSRFTokenError": 400,
	"InvalidAuthorizationHeader": 400,
	"InvalidAuthorizationPrefix": 400,
	"InvalidAuthorizationToken": 400,
	"TooManyRequestsError": 429,
	"RateLimitExceededError": 429,
	"SessionStopped": 503,
	"InReadOnlyMode": 503,
	"QueueOverloaded": 503,
	"SessionBootFailed": 500,
	"OutgoingEmailError": 501,
	"UnsupportedMediaType": 415,
	"LinkExpired": 410,
	"RequestToken": 200,
}

NO_STATUS = (
	"SiteNotSpecifiedError",
	"UrlSchemeNotSupported",
	"ImproperDBConfigurationError",
	"UnknownDomainError",
	"RetryBackgroundJobError",
	"SecurityException",
	"FileAlreadyAttachedException",
	"QueryTimeoutError",
	"QueryDeadlockError",
	"TooManyWritesError",
	"ExecutableNotFound",
	"InvalidRoundingMethod",
	"InvalidRemoteException",
	"CommandFailedError",
)


@pytest.mark.parametrize("name,status", sorted(STATUS_CODES.items()))
def test_exception_status_codes(name, status):
	assert getattr(exc, name).http_status_code == status


@pytest.mark.parametrize("name", NO_STATUS)
def test_exceptions_without_status_answer_500(name):
	assert not hasattr(getattr(exc, name), "http_status_code")


def test_exception_hierarchy():
	assert issubclass(exc.DoesNotExistError, exc.ValidationError)
	assert issubclass(exc.RateLimitExceededError, exc.ValidationError)
	assert issubclass(exc.InReadOnlyMode, exc.ValidationError)
	assert issubclass(exc.CancelledLinkError, exc.LinkValidationError)
	assert issubclass(exc.DuplicateEntryError, exc.NameError)
	assert issubclass(exc.InvalidAuthorizationToken, exc.CSRFTokenError)
	assert issubclass(exc.FrappeTypeError, TypeError)
	assert issubclass(exc.IncorrectSitePath, exc.NotFound)
	for name in ("AuthenticationError", "PermissionError", "NameError", "CSRFTokenError", "TooManyRequestsError",
				 "SessionStopped", "SecurityException", "RetryBackgroundJobError"):
		assert not issubclass(getattr(exc, name), exc.ValidationError), name


def test_exceptions_are_reexported_on_frappe():
	assert frappe.ValidationError is exc.ValidationError
	assert frappe.DoesNotExistError is exc.DoesNotExistError


def test_redirect_status_is_per_instance():
	assert exc.Redirect().http_status_code == 301
	assert exc.Redirect(302).http_status_code == 302
	assert exc.Redirect(http_status_code=307).http_status_code == 307


def test_does_not_exist_error_keeps_doctype():
	err = exc.DoesNotExistError("User x not found", doctype="User")
	assert err.doctype == "User"
	assert str(err) == "User x not found"
	assert exc.DoesNotExistError().doctype is None


def test_special_constructors():
	assert "--site" in str(exc.SiteNotSpecifiedError())
	failed = exc.CommandFailedError("boom", "out", "err")
	assert (str(failed), failed.out, failed.err) == ("boom", "out", "err")
	assert exc.ImproperDBConfigurationError("r").reason == "r"


# --- numbers --------------------------------------------------------------------------------


def test_cint():
	assert utils.cint("100") == 100
	assert utils.cint("12.7") == 12
	assert utils.cint(-3.9) == -3
	assert utils.cint(True) == 1
	assert utils.cint(None) == 0
	assert utils.cint("a") == 0
	assert utils.cint("a", default=7) == 7


def test_flt():
	assert utils.flt("10,500.5666", 2) == 10500.57
	assert utils.flt("a") == 0.0
	assert utils.flt(None) == 0.0
	assert utils.flt("3") == 3.0 and isinstance(utils.flt("3"), float)
	assert utils.flt(2.675, 2) == 2.68  # the float is 2.67499…; rounding absorbs the noise


def test_flt_legacy_rounding_ties():
	# integers: ties go to the even neighbour
	assert utils.flt("43.5", 0) == 44
	assert utils.flt("42.5", 0) == 42
	assert utils.flt(-2.5, 0) == -2
	# with decimals: ties go up
	assert utils.flt(0.125, 2) == 0.13
	assert utils.flt(0.135, 2) == 0.14
	assert utils.flt(-0.125, 2) == -0.12


def test_rounding_methods():
	assert utils.rounded(0.125, 2, "Banker's Rounding") == 0.12
	assert utils.rounded(0.135, 2, "Banker's Rounding") == 0.14
	assert utils.rounded(2.5, 0, "Banker's Rounding") == 2
	assert utils.rounded(2.5, 0, "Commercial Rounding") == 3
	assert utils.rounded(-2.5, 0, "Commercial Rounding") == -3
	assert utils.rounded(1.005, 2, "Commercial Rounding") == 1.01
	assert utils.rounded(0, 2, "Commercial Rounding") == 0.0


def test_unknown_rounding_method_raises(bare_local):
	with pytest.raises(exc.InvalidRoundingMethod):
		utils.rounded(1.5, 0, "Sideways")
	with pytest.raises(exc.InvalidRoundingMethod):
		utils.flt(1.5, 0, "Sideways")


def test_floor_ceil_remainder_safe_div():
	assert utils.floor("2.7") == 2 and utils.ceil("2.1") == 3
	assert utils.remainder(10.5, 3, 2) == 1.5
	assert utils.safe_div(1, 0) == 0.0
	assert utils.safe_div(1, 3, 3) == 0.333


def test_fmt_money():
	assert utils.fmt_money(1234567.891) == "1,234,567.89"
	assert utils.fmt_money(-1234.5, currency="USD") == "USD -1,234.50"
	assert utils.fmt_money(1234567.5, format="#.###,##") == "1.234.567,50"
	assert utils.fmt_money(12345678, precision=0, format="#,##,###.##") == "1,23,45,678"
	assert utils.fmt_money(None) == "0.00"
	assert utils.fmt_money("1,000.456", 2) == "1,000.46"


# --- strings ------------------------------------------------------------------------------


def test_cstr_sbool_encode_parse_val():
	assert utils.cstr(None) == ""
	assert utils.cstr(b"caf\xc3\xa9") == "café"
	assert utils.cstr(12) == "12"
	assert utils.sbool("True") is True and utils.sbool("0") is False
	assert utils.sbool("{}") == "{}" and utils.sbool(5) == 5
	assert utils.encode("é") == "é".encode() and utils.encode(["a", 1]) == [b"a", 1]
	assert utils.parse_val(datetime.date(2024, 1, 2)) == "2024-01-02"
	assert utils.parse_val(datetime.timedelta(hours=5, minutes=7)) == "5:07"


def test_html_helpers():
	assert utils.strip_html("<p>Hi <b>there</b><!-- x --></p>") == "Hi there"
	assert utils.escape_html("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"
	assert utils.escape_html(5) == 5
	assert utils.is_html("<div>x</div>") and not utils.is_html("a < b") and not utils.is_html(None)
	assert utils.strip_html_tags("<i>x</i>") == "x"


def test_sanitize_html():
	assert utils.sanitize_html("plain & simple") == "plain & simple"
	assert utils.sanitize_html('{"a": "<b>"}') == '{"a": "<b>"}'
	cleaned = utils.sanitize_html('<p onclick="x()">hi<script>alert(1)</script><a href="javascript:go()">l</a></p>')
	assert cleaned == "<p>hi<a>l</a></p>"
	assert utils.sanitize_html('<a href="https://e.x/?a=1&b=2">x</a>') == '<a href="https://e.x/?a=1&amp;b=2">x</a>'


def test_comma_and_or(bare_local):
	assert utils.comma_and(["a", "b", "c"]) == "'a', 'b' and 'c'"
	assert utils.comma_or(["a", "b"], add_quotes=False) == "a or b"
	assert utils.comma_and(["only"]) == "only"
	assert utils.comma_and([]) == ""
	assert utils.comma_and("text") == "text"


def test_misc_string_helpers():
	assert utils.unique([3, 1, 3, 2, 1]) == [3, 1, 2]
	assert utils.strip("\ufeff x \u200b") == "x"
	assert utils.get_abbr("Medical Grid Supply") == "MG"
	assert utils.has_common([1, 2], (2, 3)) and not utils.has_common([1], [2])
	assert utils.sha256_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	assert len(utils.random_string(12)) == 12 and utils.random_string(12).isalnum()
	assert utils.get_job_name("k", "Sales Order", "SO-1") == "k_Sales Order_SO-1"
	assert utils.get_table_name("User") == "tabUser" and utils.get_table_name("__Auth") == "__Auth"


def test_email_helpers(bare_local):
	assert utils.validate_email_address("A@Example.com") == "a@example.com"
	assert utils.validate_email_address("a@x.com, nope, b@y.org") == "a@x.com, b@y.org"
	assert utils.validate_email_address("Jane <jane@x.com>") == "jane@x.com"
	assert utils.validate_email_address("a@x.com b@y.com") == ""
	with pytest.raises(exc.InvalidEmailAddressError):
		utils.validate_email_address("nope", throw=True)
	assert utils.split_emails('a@x.com, "Doe, J" <j@x.com>,b@y.org') == ["a@x.com", '"Doe, J" <j@x.com>', "b@y.org"]
	assert utils.parse_addr("Jane Doe <jane@x.com>") == ("Jane Doe", "jane@x.com")
	assert utils.validate_phone_number("+1 (555) 010-9999") and not utils.validate_phone_number("call me")
	assert utils.validate_url("https://example.com/x", valid_schemes=["https"]) and not utils.validate_url("nope")


def test_parse_json():
	value = utils.parse_json('{"a": 1}')
	assert value.a == 1 and isinstance(value, frappe._dict)
	assert utils.parse_json([1]) == [1]


# --- dates and times -----------------------------------------------------------------------


def test_format_constants():
	assert utils.DATE_FORMAT == "%Y-%m-%d"
	assert utils.TIME_FORMAT == "%H:%M:%S.%f"
	assert utils.DATETIME_FORMAT == "%Y-%m-%d %H:%M:%S.%f"


def test_getdate():
	assert utils.getdate("2024-02-29") == datetime.date(2024, 2, 29)
	assert utils.getdate(datetime.datetime(2024, 1, 2, 3, 4)) == datetime.date(2024, 1, 2)
	assert utils.getdate(datetime.date(2024, 1, 2)) == datetime.date(2024, 1, 2)
	assert utils.getdate("01-02-2024", parse_day_first=True) == datetime.date(2024, 2, 1)
	assert utils.getdate("2024-03-04 10:11:12") == datetime.date(2024, 3, 4)
	assert utils.getdate("0000-00-00") is None
	assert isinstance(utils.getdate(), datetime.date)


def test_getdate_invalid_string_throws(bare_local):
	with pytest.raises(exc.ValidationError):
		utils.getdate("not a date")
	assert "not a valid date" in bare_local.message_log[-1]["message"]


def test_get_datetime():
	assert utils.get_datetime("2024-01-02 03:04:05.000006") == datetime.datetime(2024, 1, 2, 3, 4, 5, 6)
	assert utils.get_datetime("2024-01-02 03:04:05") == datetime.datetime(2024, 1, 2, 3, 4, 5)
	assert utils.get_datetime(datetime.date(2024, 1, 2)) == datetime.datetime(2024, 1, 2)
	assert utils.get_datetime((2024, 1, 2, 3)) == datetime.datetime(2024, 1, 2, 3)
	delta = datetime.timedelta(hours=1)
	assert utils.get_datetime(delta) is delta
	assert utils.get_datetime("") is None


def test_add_to_date_keeps_input_type():
	assert utils.add_days("2024-01-31", 1) == "2024-02-01"
	assert utils.add_months("2024-01-31", 1) == "2024-02-29"
	assert utils.add_years("2024-02-29", 1) == "2025-02-28"
	assert utils.add_days(datetime.date(2024, 1, 1), -1) == datetime.date(2023, 12, 31)
	assert utils.add_to_date("2024-01-01 10:00:00", hours=2) == "2024-01-01 12:00:00.000000"
	assert utils.add_to_date("2024-01-01", hours=1) == "2024-01-01 01:00:00.000000"
	assert utils.add_to_date(datetime.datetime(2024, 1, 1), minutes=90) == datetime.datetime(2024, 1, 1, 1, 30)
	assert utils.add_to_date("2024-01-01", days=1, as_datetime=True) == "2024-01-02 00:00:00.000000"


def test_date_differences():
	assert utils.date_diff("2024-03-01", "2024-02-01") == 29
	assert utils.month_diff("2024-03-15", "2024-01-01") == 3
	assert utils.time_diff_in_seconds("2024-01-01 00:01:30", "2024-01-01 00:00:00") == 90
	assert utils.time_diff_in_hours("2024-01-01 01:30:00", "2024-01-01 00:00:00") == 1.5
	assert utils.time_diff("2024-01-02", "2024-01-01") == datetime.timedelta(days=1)


def test_month_and_period_boundaries():
	assert utils.get_first_day("2024-02-15") == datetime.date(2024, 2, 1)
	assert utils.get_first_day("2024-12-15", d_months=1) == datetime.date(2025, 1, 1)
	assert utils.get_first_day("2024-01-15", d_months=-1, as_str=True) == "2023-12-01"
	assert utils.get_last_day("2024-02-10") == datetime.date(2024, 2, 29)
	assert utils.get_last_day("2023-12-10") == datetime.date(2023, 12, 31)
	assert utils.get_quarter_start("2024-05-20") == datetime.date(2024, 4, 1)
	assert utils.get_quarter_ending("2024-05-20") == datetime.date(2024, 6, 30)
	assert utils.get_year_start("2024-05-20", as_str=True) == "2024-01-01"
	assert utils.get_year_ending("2024-05-20") == datetime.date(2024, 12, 31)
	# Sunday starts the week by default; 2024-05-22 is a Wednesday
	assert utils.get_first_day_of_week("2024-05-22") == datetime.date(2024, 5, 19)
	assert utils.get_last_day_of_week("2024-05-22") == datetime.date(2024, 5, 25)


def test_now_helpers_use_utc_without_a_site():
	assert utils.get_system_timezone() == "UTC"
	assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", utils.now())
	assert re.fullmatch(r"\d{4}-\d\d-\d\d", utils.nowdate())
	assert utils.today() == utils.nowdate()
	assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6}", utils.nowtime())
	now = utils.now_datetime()
	assert now.tzinfo is None
	utc_now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
	assert abs((utc_now - now).total_seconds()) < 5


def test_timezone_conversion():
	utc = datetime.datetime(2024, 1, 1, 12, 0)
	assert utils.convert_utc_to_timezone(utc, "Asia/Kolkata").replace(tzinfo=None) == datetime.datetime(2024, 1, 1, 17, 30)
	assert utils.convert_utc_to_timezone(utc, "Nowhere/Land").replace(tzinfo=None) == utc


def test_now_honours_current_date_flag(bare_local):
	bare_local.flags.current_date = "2020-05-06"
	assert utils.now().startswith("2020-05-06 ")


def test_time_helpers():
	assert utils.get_time("10:11:12") == datetime.time(10, 11, 12)
	assert utils.get_time(datetime.timedelta(hours=1, seconds=5)) == datetime.time(1, 0, 5)
	assert utils.get_timedelta("10:00:30") == datetime.timedelta(hours=10, seconds=30)
	assert utils.get_timedelta("25:00:00") == datetime.timedelta(hours=25)
	assert utils.get_timedelta("garbage") is None
	assert utils.to_timedelta("01:02:03") == datetime.timedelta(hours=1, minutes=2, seconds=3)
	assert utils.format_timedelta(datetime.timedelta(hours=26, seconds=5)) == "26:00:05"
	assert utils.parse_timedelta("1 day, 2:03:04") == datetime.timedelta(days=1, hours=2, minutes=3, seconds=4)
	assert utils.get_datetime_str(datetime.datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02 03:04:05.000000"
	assert utils.get_date_str("2024-01-02 03:04:05") == "2024-01-02"


def test_durations():
	assert utils.format_duration(12885) == "3h 34m 45s"
	assert utils.format_duration(90061) == "1d 1h 1m 1s"
	assert utils.format_duration(90061, hide_days=True) == "25h 1m 1s"
	assert utils.duration_to_seconds("3h 34m 45s") == 12885
	assert utils.duration_to_seconds("1d 1h 1m 1s") == 90061


def test_format_date_without_a_site():
	assert utils.format_date("2024-01-02") == "2024-01-02"
	assert utils.format_date("2024-01-02", "dd-mm-yyyy") == "02-01-2024"
	assert utils.format_date("2024-01-02", "mm/dd/yyyy") == "01/02/2024"
	assert utils.format_date(None) == ""
	assert utils.format_time("13:05:09") == "13:05:09"
	assert utils.format_datetime("2024-01-02 13:05:09") == "2024-01-02 13:05:09"
	assert utils.global_date_format("2012-01-01") == "January 1, 2012"


def test_cast():
	assert utils.cast("Int", "1") == 1
	assert utils.cast("Check", "true") == 1
	assert utils.cast("Float", "2.5") == 2.5
	assert utils.cast("Data", None) == ""
	assert utils.cast("Date", "") == datetime.date(1, 1, 1)
	assert utils.cast("Datetime", "2024-01-01 00:00:00") == datetime.datetime(2024, 1, 1)


def test_compare():
	assert utils.compare(5, ">", 3)
	assert utils.compare("a", "in", ["a", "b"])
	assert utils.compare("abc", "^", "ab")
	assert not utils.compare(1, "??", 1)


def test_sanitize_column(bare_local):
	utils.sanitize_column("customer")
	utils.sanitize_column("ifnull(territory, '')")
	with pytest.raises(exc.DataError):
		utils.sanitize_column("name; drop table x")
	with pytest.raises(exc.DataError):
		utils.sanitize_column("ifnull(name, '') or 1=1")


# --- URLs -----------------------------------------------------------------------------------


def test_get_url_from_config(bare_local):
	bare_local.conf = frappe._dict(host_name="https://medgrid.example")
	assert utils.get_url() == "https://medgrid.example"
	assert utils.get_url("/api/method/ping") == "https://medgrid.example/api/method/ping"
	assert utils.get_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
	bare_local.conf = frappe._dict(webserver_port=8000)
	bare_local.site = "site1.local"
	assert utils.get_url() == "http://site1.local:8000"
	assert utils.get_url_to_form("Sales Order", "SO 1") == "http://site1.local:8000/app/sales-order/SO%201"


def test_get_url_without_config_uses_request_host(bare_local):
	from werkzeug.test import EnvironBuilder
	from werkzeug.wrappers import Request

	bare_local.conf = frappe._dict()
	bare_local.request = Request(EnvironBuilder(base_url="http://api.medgrid.test:8080/").get_environ())
	assert utils.get_url() == "http://api.medgrid.test:8080"


# --- password (Fernet) ---------------------------------------------------------------------


def test_encrypt_decrypt_roundtrip_with_explicit_key():
	from cryptography.fernet import Fernet

	key = Fernet.generate_key().decode()
	token = password.encrypt("s3cret-ü", encryption_key=key)
	assert token != "s3cret-ü" and isinstance(token, str)
	assert password.decrypt(token, encryption_key=key) == "s3cret-ü"


def test_decrypt_with_wrong_key_is_a_validation_error(bare_local):
	from cryptography.fernet import Fernet

	token = password.encrypt("x", encryption_key=Fernet.generate_key().decode())
	with pytest.raises(exc.ValidationError) as caught:
		password.decrypt(token, encryption_key=Fernet.generate_key().decode())
	assert "Encryption key is invalid" in str(caught.value)


def test_encrypt_with_malformed_key_throws(bare_local):
	with pytest.raises(exc.ValidationError, match="invalid format"):
		password.encrypt("x", encryption_key="not-a-fernet-key")


def test_encryption_key_comes_from_site_config(bare_local):
	from cryptography.fernet import Fernet

	key = Fernet.generate_key().decode()
	bare_local.conf = frappe._dict(encryption_key=key)
	assert password.get_encryption_key() == key
	assert password.decrypt(password.encrypt("abc")) == "abc"


def test_passlib_context_hashes_with_pbkdf2():
	hashed = password.passlibctx.hash("pw")
	assert hashed.startswith("$pbkdf2-sha256$")
	assert password.passlibctx.verify("pw", hashed)
	assert not password.passlibctx.verify("nope", hashed)
