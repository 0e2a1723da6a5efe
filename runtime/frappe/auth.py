"""Who is calling: sessions from the ``sid`` cookie, password login, API keys, CSRF, lock-out.

The order matches Frappe v15: ``HTTPRequest`` (request IP → cookies → LoginManager → language →
CSRF check → sid cookie) runs while the request is set up; ``validate_auth`` then looks at the
Authorization header and the ``auth_hooks``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
from urllib.parse import quote, unquote

from werkzeug.wrappers import Response

import frappe
from frappe import _
from frappe.sessions import Session, clear_sessions, delete_session, get_expiry_in_seconds

SAFE_HTTP_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
UNSAFE_HTTP_METHODS = frozenset(("POST", "PUT", "DELETE", "PATCH"))
MAX_PASSWORD_SIZE = 512
# the cookies that describe a login; all of them are expired together on logout
SESSION_COOKIES = ("full_name", "user_id", "sid", "user_image", "system_user")


try:
    from frappe.translate import get_language as _get_language
except ImportError:
    # the runtime ships English only; without a translate module the site language stands
    _get_language = None


def _cint(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


class HTTPRequest:
    """Per-request authentication set-up (skipped for OPTIONS)."""

    def __init__(self):
        self.set_request_ip()
        self.set_cookies()
        self.set_session()
        self.set_lang()
        self.validate_csrf_token()
        # the sid cookie goes out on every response, which slides its expiry
        frappe.local.cookie_manager.init_cookies()

    @property
    def domain(self) -> str:
        host = frappe.request.host or ""
        return host[4:] if host.startswith("www.") else host

    def set_request_ip(self) -> None:
        forwarded = frappe.get_request_header("X-Forwarded-For")
        if forwarded:
            frappe.local.request_ip = forwarded.split(",", 1)[0].strip()
        elif frappe.local.request.remote_addr:
            frappe.local.request_ip = frappe.local.request.remote_addr
        else:
            frappe.local.request_ip = "127.0.0.1"

    def set_cookies(self) -> None:
        frappe.local.cookie_manager = CookieManager()

    def set_session(self) -> None:
        frappe.local.login_manager = LoginManager()

    def set_lang(self) -> None:
        lang = None
        if _get_language is not None:
            try:
                lang = _get_language()
            except Exception:
                lang = None
        frappe.local.lang = lang or frappe.local.lang or "en"

    def validate_csrf_token(self) -> None:
        """Unsafe requests on a session that holds a CSRF token must echo it (header or form)."""
        request = frappe.local.request
        session = getattr(frappe.local, "session", None)
        if (
            not request
            or request.method not in UNSAFE_HTTP_METHODS
            or frappe.conf.get("ignore_csrf")
            or not session
            or not (saved_token := (session.get("data") or {}).get("csrf_token"))
        ):
            return
        sent = frappe.get_request_header("X-Frappe-CSRF-Token") or frappe.form_dict.pop("csrf_token", None)
        if sent == saved_token or self.is_allowed_referrer():
            return
        frappe.flags.disable_traceback = True
        frappe.throw(_("Invalid Request"), frappe.CSRFTokenError)

    def is_allowed_referrer(self) -> bool:
        """Origins listed in ``allowed_referrers`` (site config) skip the CSRF check."""
        allowed = frappe.conf.get("allowed_referrers") or []
        if not allowed:
            return False
        referrer = frappe.get_request_header("Referer")
        origin = frappe.get_request_header("Origin")
        return bool(
            (referrer and any(referrer.startswith(a) for a in allowed)) or (origin and origin in allowed)
        )


class LoginManager:
    """Logs in from ``usr``/``pwd`` (for ``/api/method/login``) or resumes the cookie session."""

    def __init__(self):
        self.user = None
        self.info = None
        self.full_name = None
        self.user_type = None
        self.resume = False

        if frappe.local.form_dict.get("cmd") == "login" or frappe.local.request.path == "/api/method/login":
            if self.login() is False:
                return
            self.resume = False
        else:
            try:
                self.resume = True
                self.make_session(resume=True)
                self.get_user_info()
                self.set_user_info(resume=True)
            except (AttributeError, frappe.DoesNotExistError):
                self.user = "Guest"
                self.get_user_info()
                self.make_session()
                self.set_user_info()

    # ------------------------------------------------------------ login

    def login(self):
        """Authenticate the posted credentials and start a session."""
        self.run_trigger("before_login")
        if _cint(_system_setting("disable_user_pass_login")):
            frappe.throw(_("Login with username and password is not allowed."), frappe.AuthenticationError)

        user, pwd = frappe.form_dict.get("usr"), frappe.form_dict.get("pwd")
        self.authenticate(user=user, pwd=pwd)
        if self.force_user_to_reset_password():
            doc = frappe.get_doc("User", self.user)
            frappe.local.response["redirect_to"] = doc.reset_password(send_email=False, password_expired=True)
            frappe.local.response["message"] = "Password Reset"
            return False
        frappe.form_dict.pop("pwd", None)
        self.post_login()
        return None

    def post_login(self, session_end: str | None = None, audit_user: str | None = None) -> None:
        self.run_trigger("on_login")
        validate_ip_address(self.user)
        self.validate_hour()
        self.get_user_info()
        self.make_session(session_end=session_end, audit_user=audit_user)
        self.set_user_info()

    def get_user_info(self) -> None:
        from frappe.cache_manager import cached_field

        def read():
            row = frappe.db.get_value(
                "User", self.user, ["user_type", "first_name", "last_name", "user_image"], as_dict=True
            )
            return dict(row) if row else {}

        # kept in the site cache (hash "user_info") until tabUser is written, like Frappe's user info
        values = cached_field("user_info", self.user, read) if self.user else None
        if not values:
            # an unknown user behaves like an unreadable session: the caller falls back to Guest
            raise frappe.DoesNotExistError(doctype="User")
        self.info = frappe._dict(values)
        self.user_type = self.info.user_type

    def set_user_info(self, resume: bool = False) -> None:
        """Queue the login cookies and, for a fresh login, the response body."""
        frappe.local.cookie_manager.init_cookies()
        self.full_name = " ".join(filter(None, [self.info.first_name, self.info.last_name]))

        if self.info.user_type == "Website User":
            frappe.local.cookie_manager.set_cookie("system_user", "no", deduplicate=True)
            if not resume:
                frappe.local.response["message"] = "No App"
                frappe.local.response["home_page"] = get_default_path() or "/" + get_home_page()
        else:
            frappe.local.cookie_manager.set_cookie("system_user", "yes", deduplicate=True)
            if not resume:
                frappe.local.response["message"] = "Logged In"
                frappe.local.response["home_page"] = get_default_path() or "/app"

        if not resume:
            frappe.response["full_name"] = self.full_name
            try:
                redirect_to = frappe.cache().hget("redirect_after_login", self.user)
            except Exception:
                redirect_to = None
            if redirect_to:
                frappe.local.response["redirect_to"] = redirect_to
                frappe.cache().hdel("redirect_after_login", self.user)

        frappe.local.cookie_manager.set_cookie("full_name", self.full_name, deduplicate=True)
        frappe.local.cookie_manager.set_cookie("user_id", self.user, deduplicate=True)
        frappe.local.cookie_manager.set_cookie("user_image", self.info.user_image or "", deduplicate=True)

    def make_session(self, resume: bool = False, session_end: str | None = None, audit_user: str | None = None):
        frappe.local.session_obj = Session(
            user=self.user,
            resume=resume,
            full_name=self.full_name,
            user_type=self.user_type,
            session_end=session_end,
            audit_user=audit_user,
        )
        # the stored session may belong to someone else than expected (or have fallen back to Guest)
        self.user = frappe.local.session_obj.user
        frappe.local.session = frappe.local.session_obj.data
        self.clear_active_sessions()
        if not resume:
            self.run_trigger("on_session_creation")
            if self.user != "Guest":
                from frappe.sessions import _full_name, _log_activity

                _log_activity(self.user, "Login", _("{0} logged in").format(_full_name(self.user)))

    def clear_active_sessions(self) -> None:
        """With ``deny_multiple_sessions``, keep only as many sessions as the user may have."""
        if frappe.session.user == "Guest":
            return
        if not (
            _cint(frappe.conf.get("deny_multiple_sessions"))
            or _cint(_system_setting("deny_multiple_sessions"))
        ):
            return
        clear_sessions(frappe.session.user, keep_current=True)

    def authenticate(self, user: str | None = None, pwd: str | None = None) -> None:
        """Check the password; count failures per IP and per user for the lock-out."""
        if not (user and pwd):
            user, pwd = frappe.form_dict.get("usr"), frappe.form_dict.get("pwd")
        if not (user and pwd):
            self.fail(_("Incomplete login details"), user=user)
        if not (isinstance(user, str) and isinstance(pwd, str)):
            # a JSON body can send lists, numbers or booleans: Frappe 500s on them (len(True), or the
            # list reaching the SQL); here they are a failed login like any wrong credential
            ip_tracker = get_login_attempt_tracker(frappe.local.request_ip)
            ip_tracker and ip_tracker.add_failure_attempt()
            self.fail("Invalid login credentials", user=user if isinstance(user, str) else None)
        if len(pwd) > MAX_PASSWORD_SIZE:
            self.fail(_("Password size exceeded the maximum allowed size"), user=user)

        raw_user = user
        found = find_user_by_credentials(user)

        ip_tracker = get_login_attempt_tracker(frappe.local.request_ip)
        if not found:
            ip_tracker and ip_tracker.add_failure_attempt()
            self.fail("Invalid login credentials", user=raw_user)

        user_tracker = get_login_attempt_tracker(found.name)
        if not _password_matches(found.name, pwd):
            user_tracker and user_tracker.add_failure_attempt()
            ip_tracker and ip_tracker.add_failure_attempt()
            self.fail("Invalid login credentials", user=found.name)
        elif not (found.name == "Administrator" or _cint(found.enabled)):
            user_tracker and user_tracker.add_failure_attempt()
            ip_tracker and ip_tracker.add_failure_attempt()
            self.fail("User disabled or missing", user=found.name)
        else:
            user_tracker and user_tracker.add_success_attempt()
            ip_tracker and ip_tracker.add_success_attempt()
        self.user = found.name

    def force_user_to_reset_password(self) -> bool:
        if not self.user or self.user in ("Administrator", "Guest"):
            return False
        days = _cint(_system_setting("force_user_to_reset_password"))
        if not days:
            return False
        from frappe.utils import date_diff, today

        last_reset = frappe.db.get_value("User", self.user, "last_password_reset_date") or today()
        return date_diff(today(), last_reset) > days

    def check_password(self, user: str, pwd: str):
        from frappe.utils.password import check_password

        try:
            return check_password(user, pwd)
        except frappe.AuthenticationError:
            self.fail("Incorrect password", user=user)

    def fail(self, message: str, user: str | None = None):
        """Answer 401 with ``message`` in the body; the failure is logged and committed first."""
        if not user:
            user = _("Unknown User")
        frappe.local.response["message"] = message
        from frappe.sessions import _log_activity

        _log_activity(user, "Login", message, status="Failed")
        frappe.db.commit()
        raise frappe.AuthenticationError

    def run_trigger(self, event: str = "on_login") -> None:
        for method in frappe.get_hooks(event, []) or []:
            frappe.call(frappe.get_attr(method), login_manager=self)

    def validate_hour(self) -> None:
        """Refuse logins outside the user's ``login_after`` / ``login_before`` hours."""
        try:
            before, after = frappe.db.get_value("User", self.user, ["login_before", "login_after"]) or (0, 0)
        except Exception:
            return
        before, after = _cint(before), _cint(after)
        if not (before or after):
            return
        from frappe.utils import now_datetime

        hour = int(now_datetime().strftime("%H"))
        if (before and hour >= before) or (after and hour < after):
            frappe.throw(_("Login not allowed at this time"), frappe.AuthenticationError)

    # ------------------------------------------------------------ logout & switching

    def login_as_guest(self) -> None:
        self.login_as("Guest")

    def login_as(self, user: str, session_end: str | None = None, audit_user: str | None = None) -> None:
        self.user = user
        self.post_login(session_end, audit_user)

    def impersonate(self, user: str) -> None:
        current_user = frappe.session.user
        data = frappe.local.session_obj.data.data
        self.login_as(user, session_end=data.get("session_end"), audit_user=data.get("audit_user"))
        frappe.local.session_obj.set_impersonated(current_user)

    def logout(self, arg: str = "", user: str | None = None) -> None:
        """End ``user``'s current session (or all sessions of another user)."""
        if not user:
            user = frappe.session.user
        self.run_trigger("on_logout")
        if user == frappe.session.user:
            delete_session(frappe.session.sid, user=user, reason="User Manually Logged Out")
            self.clear_cookies()
            if frappe.request:
                self.login_as_guest()
        else:
            clear_sessions(user)

    def clear_cookies(self) -> None:
        clear_cookies()


class CookieManager:
    """Collects the cookies to set or expire and writes them onto the response at the end."""

    def __init__(self):
        self.cookies: dict = {}
        self.to_delete: list = []

    def init_cookies(self) -> None:
        """Queue the sid cookie (Max-Age = session expiry) for the current session."""
        session = getattr(frappe.local, "session", None)
        if not session or not session.get("sid"):
            return
        self.set_cookie("sid", session.sid, max_age=get_expiry_in_seconds(), httponly=True)

    def set_cookie(
        self,
        key,
        value,
        expires=None,
        secure=False,
        httponly=False,
        samesite="Lax",
        max_age=None,
        deduplicate=False,
    ) -> None:
        request = getattr(frappe.local, "request", None)
        if not secure and request is not None:
            secure = request.scheme == "https"
        # a session cookie the browser already holds with the same value need not be sent again
        if (
            deduplicate
            and not (expires or max_age)
            and request is not None
            and key in request.cookies
            and unquote(request.cookies.get(key, "")) == value
        ):
            return
        self.cookies[key] = {
            "value": value,
            "expires": expires,
            "secure": secure,
            "httponly": httponly,
            "samesite": samesite,
            "max_age": max_age,
        }

    def delete_cookie(self, to_delete) -> None:
        if not isinstance(to_delete, (list, tuple)):
            to_delete = [to_delete]
        self.to_delete.extend(to_delete)

    def flush_cookies(self, response: Response) -> None:
        """Write the queued cookies, then expired copies of the deleted ones."""
        for key, opts in self.cookies.items():
            response.set_cookie(
                key,
                quote((opts.get("value") or "").encode("utf-8")),
                expires=opts.get("expires"),
                secure=opts.get("secure"),
                httponly=opts.get("httponly"),
                samesite=opts.get("samesite"),
                max_age=opts.get("max_age"),
            )
        # expired yesterday: the browser drops them
        expires = datetime.datetime.now() + datetime.timedelta(days=-1)
        seen = set()
        for key in self.to_delete:
            if key in seen:
                continue
            seen.add(key)
            response.set_cookie(key, "", expires=expires)


@frappe.whitelist()
def get_logged_user():
    """The user of the current request."""
    return frappe.session.user


def clear_cookies() -> None:
    """Forget the sid and expire every login cookie."""
    session = getattr(frappe.local, "session", None)
    if session is not None:
        session.sid = ""
    frappe.local.cookie_manager.delete_cookie(list(SESSION_COOKIES))


def validate_ip_address(user: str) -> None:
    """Refuse logins from addresses outside the user's ``restrict_ip`` list."""
    request = getattr(frappe.local, "request", None)
    if request is not None and request.path.startswith("/api/method/frappe.realtime."):
        return
    try:
        restrict = frappe.db.get_value("User", user, "restrict_ip")
    except Exception:
        return
    if not restrict:
        return
    allowed = [ip.strip() for ip in restrict.replace(",", "\n").split("\n") if ip.strip()]
    if not allowed:
        return
    check_request_ip()
    if any(frappe.local.request_ip.startswith(ip) for ip in allowed):
        return
    frappe.throw(
        _("Access not allowed from this IP Address") + f": {frappe.local.request_ip}", frappe.AuthenticationError
    )


def check_request_ip() -> None:
    if frappe.local.request_ip is None:
        frappe.local.request_ip = "127.0.0.1"


def find_user_by_credentials(user_name: str):
    """The User row (name, enabled) addressed by email/name, mobile number or username."""
    fields = ["name", "enabled"]
    found = frappe.db.get_value("User", {"name": user_name}, fields, as_dict=True)
    if not found and _cint(_system_setting("allow_login_using_mobile_number")):
        found = frappe.db.get_value("User", {"mobile_no": user_name}, fields, as_dict=True)
    if not found and _cint(_system_setting("allow_login_using_user_name")):
        found = frappe.db.get_value("User", {"username": user_name}, fields, as_dict=True)
    return frappe._dict(found) if found else None


def _password_matches(user: str, pwd: str) -> bool:
    from frappe.utils.password import check_password

    try:
        check_password(user, pwd)
        return True
    except frappe.AuthenticationError:
        return False


def _system_setting(key: str):
    """A System Settings value, or None when the field does not exist (leaving no message behind)."""
    log = getattr(frappe.local, "message_log", None)
    queued = len(log) if log is not None else 0
    try:
        return frappe.get_system_settings(key)
    except Exception:
        if log is not None:
            del log[queued:]
        return None


# ---------------------------------------------------------------- failed-login lock-out

def get_login_attempt_tracker(key: str, raise_locked_exception: bool = True):
    """The tracker for ``key`` (a user or an IP), or None when tracking is off.

    While the key is locked this raises ``SecurityException`` with Frappe's message. Frappe answers it
    with a 500; the runtime answers 429 with ``Retry-After`` (a deliberate difference: the caller is
    told to wait, not that the server broke — SECURITY.md, runtime/README.md).
    """
    max_attempts = _system_setting("allow_consecutive_login_attempts")
    max_attempts = 10 if max_attempts is None else _cint(max_attempts)
    if max_attempts <= 0:
        return None
    lock_interval = _system_setting("allow_login_after_fail")
    lock_interval = 60 if lock_interval in (None, "") else _cint(lock_interval)

    tracker = LoginAttemptTracker(key, max_consecutive_login_attempts=max_attempts, lock_interval=lock_interval)
    if raise_locked_exception and not tracker.is_user_allowed():
        try:
            frappe.throw(
                _("Your account has been locked and will resume after {0} seconds").format(lock_interval),
                frappe.SecurityException,
            )
        except frappe.SecurityException as e:
            e.http_status_code, e.retry_after = 429, lock_interval
            raise
    return tracker


class LoginAttemptTracker:
    """Counts consecutive failed logins for one key within ``lock_interval`` seconds of the first."""

    def __init__(self, key: str, max_consecutive_login_attempts: int = 3, lock_interval: int = 5 * 60, *, user_name=None):
        self.key = key or user_name
        self.lock_interval = datetime.timedelta(seconds=lock_interval)
        self.max_failed_logins = max_consecutive_login_attempts

    @property
    def login_failed_count(self):
        return frappe.cache().hget("login_failed_count", self.key)

    @login_failed_count.setter
    def login_failed_count(self, count):
        frappe.cache().hset("login_failed_count", self.key, count)

    @login_failed_count.deleter
    def login_failed_count(self):
        frappe.cache().hdel("login_failed_count", self.key)

    @property
    def login_failed_time(self):
        """When the first failure of the current interval happened."""
        return frappe.cache().hget("login_failed_time", self.key)

    @login_failed_time.setter
    def login_failed_time(self, timestamp):
        frappe.cache().hset("login_failed_time", self.key, timestamp)

    @login_failed_time.deleter
    def login_failed_time(self):
        frappe.cache().hdel("login_failed_time", self.key)

    def add_failure_attempt(self) -> None:
        """Count a failure; a failure after the interval has passed starts a new interval."""
        from frappe.utils import get_datetime

        failed_time = self.login_failed_time
        failed_count = self.login_failed_count
        now = get_datetime()
        if not (failed_time and failed_count):
            failed_time, failed_count = now, 0
        failed_time = get_datetime(failed_time)
        if failed_time + self.lock_interval > now:
            failed_count = int(failed_count) + 1
        else:
            failed_time, failed_count = now, 1
        self.login_failed_time = failed_time
        self.login_failed_count = failed_count

    def add_success_attempt(self) -> None:
        del self.login_failed_count
        del self.login_failed_time

    def is_user_allowed(self) -> bool:
        """False while more than the allowed failures happened within the current interval."""
        from frappe.utils import get_datetime

        failed_time = self.login_failed_time
        failed_count = int(self.login_failed_count or 0)
        if (
            failed_time
            and get_datetime(failed_time) + self.lock_interval > get_datetime()
            and failed_count > self.max_failed_logins
        ):
            return False
        return True


# ---------------------------------------------------------------- Authorization header

def validate_auth() -> None:
    """Apply the Authorization header (token / Basic / Bearer) and the ``auth_hooks``.

    A two-part header that leaves the request as Guest is a 401, even on guest-allowed methods.
    """
    header = (frappe.get_request_header("Authorization", "") or "").split(" ")
    if len(header) == 2:
        validate_oauth(header)
        validate_auth_via_api_keys(header)
    validate_auth_via_hooks()
    if len(header) == 2 and frappe.session.user in ("", "Guest"):
        raise frappe.AuthenticationError


def validate_oauth(authorization_header) -> None:
    """``Bearer <token>``: an active, unexpired ``OAuth Bearer Token`` record switches the user."""
    if authorization_header[0].lower() != "bearer":
        return
    token = authorization_header[1]
    try:
        row = frappe.db.get_value(
            "OAuth Bearer Token", token, ["user", "status", "expiration_time", "scopes"], as_dict=True
        )
    except Exception:
        return
    if not row or (row.get("status") and row.get("status") != "Active"):
        return
    expiration = row.get("expiration_time")
    if expiration:
        from frappe.utils import get_datetime, now_datetime

        if get_datetime(expiration) < now_datetime():
            return
    form_dict = frappe.local.form_dict
    frappe.set_user(row.get("user"))
    frappe.local.form_dict = form_dict


def validate_auth_via_api_keys(authorization_header) -> None:
    """``token key:secret`` or ``Basic base64(key:secret)``; malformed values are ignored."""
    try:
        auth_type, auth_token = authorization_header
        source = frappe.get_request_header("Frappe-Authorization-Source")
        if auth_type.lower() == "basic":
            api_key, api_secret = frappe.safe_decode(base64.b64decode(auth_token)).split(":")
            validate_api_key_secret(api_key, api_secret, source)
        elif auth_type.lower() == "token":
            api_key, api_secret = auth_token.split(":")
            validate_api_key_secret(api_key, api_secret, source)
    except binascii.Error:
        frappe.throw(
            _("Failed to decode token, please provide a valid base64-encoded token."),
            frappe.InvalidAuthorizationToken,
        )
    except (AttributeError, TypeError, ValueError):
        pass


def validate_api_key_secret(api_key: str, api_secret: str, frappe_authorization_source: str | None = None) -> None:
    """Switch to the key's user if the secret matches; the cookie user wins over a valid key."""
    doctype = frappe_authorization_source or "User"
    if not api_key or not api_secret:
        raise frappe.AuthenticationError
    holder = _api_key_holder(doctype, api_key)
    if not holder or not holder[1] or not hmac.compare_digest(_secret_digest(api_secret), holder[1]):
        raise frappe.AuthenticationError
    form_dict = frappe.local.form_dict
    docname = holder[0]
    user = docname if doctype == "User" else frappe.db.get_value(doctype, docname, "user")
    login_manager = getattr(frappe.local, "login_manager", None)
    if login_manager is None or login_manager.user in ("", "Guest", None):
        frappe.set_user(user)
    frappe.local.form_dict = form_dict


def _api_key_holder(doctype: str, api_key: str) -> tuple | None:
    """(name, digest of the API secret) of the enabled ``doctype`` record holding ``api_key``, or None.

    A User's is kept in the process cache: the database layer drops it for every process as soon as
    anything writes ``tabUser`` or ``__Auth`` (a key regenerated, a user disabled), so a token request
    costs no statement. Unknown keys are not kept (nobody fills the cache by guessing), and the secret
    itself never is: only its SHA-256, compared in constant time.
    """

    def read() -> tuple | None:
        from frappe.utils.password import get_decrypted_password

        docname = frappe.db.get_value(doctype, {"api_key": api_key, "enabled": 1}, "name")
        if not docname:
            return None
        secret = get_decrypted_password(doctype, docname, fieldname="api_secret", raise_exception=False)
        return docname, _secret_digest(secret) if secret else None

    if doctype != "User":
        return read()  # another source doctype's writes are not watched
    from frappe import cache_manager

    return cache_manager.cached_field("api_keys", api_key, read, keep=lambda holder: holder is not None)


def _secret_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def validate_auth_via_hooks() -> None:
    for auth_hook in frappe.get_hooks("auth_hooks", []) or []:
        frappe.get_attr(auth_hook)()


# ---------------------------------------------------------------- where to send a user after login

def get_default_path() -> str | None:
    """The desk route of the app the user lands in (from ``add_to_apps_screen`` hooks)."""
    apps = _get_apps()
    if not apps:
        return None
    system_default = _system_setting("default_app")
    try:
        user_default = frappe.db.get_value("User", frappe.session.user, "default_app")
    except Exception:
        user_default = None
    for wanted in (user_default, system_default):
        if wanted:
            for app in apps:
                if app["name"] == wanted:
                    return app.get("route") or "/apps"
    if len(apps) == 1:
        return apps[0].get("route") or "/apps"
    if all((app.get("route") or "").startswith("/app") for app in apps):
        return "/app"
    return "/apps"


# ERPNext v15 declares this apps-screen entry in its hooks (desk users only); the runtime's ERPNext
# subset may not, and the login answer ("home_page": "/app/home") depends on it
_KNOWN_APP_SCREENS = {"erpnext": {"name": "erpnext", "title": "ERPNext", "route": "/app/home"}}


def _is_desk_user() -> bool:
    user = frappe.session.user
    if user == "Administrator":
        return True
    if user in (None, "", "Guest"):
        return False
    try:
        return frappe.db.get_value("User", user, "user_type") == "System User"
    except Exception:
        return False


def _get_apps() -> list:
    apps = []
    for app in frappe.get_installed_apps():
        if app == "frappe":
            continue
        try:
            details = frappe.get_hooks("add_to_apps_screen", app_name=app) or []
        except Exception:
            details = []
        if not details and app in _KNOWN_APP_SCREENS:
            if _is_desk_user():
                known = _KNOWN_APP_SCREENS[app]
                apps.append({"name": app, "route": known["route"], "title": known["title"]})
            continue
        for detail in details:
            checker = detail.get("has_permission")
            try:
                if checker and not frappe.get_attr(checker)():
                    continue
            except Exception:
                continue
            apps.append({"name": app, "route": detail.get("route"), "title": detail.get("title")})
    return apps


def get_home_page() -> str:
    """The portal home of the current user, without the leading slash ('login' for Guest)."""
    from frappe.website.utils import get_home_page as website_home_page

    return website_home_page()
