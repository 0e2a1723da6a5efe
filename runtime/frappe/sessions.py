"""Server-side login sessions.

A session is a row in ``tabSessions`` (user, sid, sessiondata JSON, lastupdate) plus a live copy in
the site cache (``frappe.cache()``: Redis when ``redis_cache`` is configured, process memory
otherwise). The row is what survives restarts and what other workers read when their cache misses;
it is refreshed at most every ``min(expiry / 2, 600)`` seconds. All Guests share the sid ``Guest``,
which has no row. The CSRF token, once generated, lives in the session data.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import frappe
from frappe import _

SESSION_CACHE_KEY = "session"
LAST_DB_UPDATE_KEY = "last_db_session_update"
DEFAULT_EXPIRY = "240:00:00"

# sites whose tabSessions table is known to exist in this process
_tables_ready: set = set()


# ---------------------------------------------------------------- storage helpers

def _cache():
    return frappe.cache()


def _now():
    from frappe.utils import now

    return now()


def _now_datetime():
    from frappe.utils import now_datetime

    return now_datetime()


def _to_datetime(value):
    from frappe.utils import get_datetime

    return get_datetime(value)


def ensure_sessions_table() -> None:
    """Create ``tabSessions`` when the site does not have it yet (first login on a new site)."""
    key = (getattr(frappe.local, "site", None), frappe.db.db_type if frappe.db else None)
    if key in _tables_ready:
        return
    try:
        exists = frappe.db.table_exists("Sessions")
    except TypeError:
        exists = frappe.db.table_exists("tabSessions")
    if not exists:
        db_type = getattr(frappe.db, "db_type", "sqlite")
        if db_type == "postgres":
            ddl = (
                'create table if not exists "tabSessions" ("user" varchar(140), "sid" varchar(140), '
                '"sessiondata" text, "ipaddress" varchar(140), "lastupdate" timestamp(6), '
                '"device" varchar(140) default \'desktop\', "status" varchar(20))'
            )
        elif db_type == "mariadb":
            ddl = (
                "create table if not exists `tabSessions` (`user` varchar(140), `sid` varchar(140), "
                "`sessiondata` longtext, `ipaddress` varchar(140), `lastupdate` datetime(6) null, "
                "`device` varchar(140) default 'desktop', `status` varchar(20), index sid (`sid`)) "
                "engine=InnoDB character set=utf8mb4 collate=utf8mb4_unicode_ci"
            )
        else:
            ddl = (
                "create table if not exists `tabSessions` (`user` varchar(140), `sid` varchar(140), "
                "`sessiondata` text, `ipaddress` varchar(140), `lastupdate` datetime(6), "
                "`device` varchar(140) default 'desktop', `status` varchar(20))"
            )
        frappe.db.sql(ddl)
        # DDL ends the transaction on MariaDB anyway; committing keeps every dialect alike
        frappe.db.commit()
    _tables_ready.add(key)


def get_expiry_period() -> str:
    """Session lifetime as 'hh:mm:ss' from the ``session_expiry`` default (System Settings)."""
    # looked up once per request: every response sets the sid cookie's Max-Age from it
    cached = getattr(frappe.local, "session_expiry_period", None)
    if cached:
        return cached
    value = None
    try:
        value = frappe.db.get_default("session_expiry")
    except Exception:
        value = None
    if not value:
        from frappe.auth import _system_setting

        value = _system_setting("session_expiry")
    value = str(value or DEFAULT_EXPIRY)
    if len(value.split(":")) == 2:
        value += ":00"
    frappe.local.session_expiry_period = value
    return value


def get_expiry_in_seconds(expiry: str | None = None) -> int:
    """'170:00:00' → 612000."""
    expiry = expiry or get_expiry_period()
    parts = (str(expiry).split(":") + ["0", "0", "0"])[:3]
    hours, minutes, seconds = (_int(p) for p in parts)
    return hours * 3600 + minutes * 60 + seconds


def _int(value) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def get_expired_threshold() -> str:
    """Rows last updated before this moment are expired."""
    from frappe.utils import add_to_date

    return add_to_date(_now(), seconds=-get_expiry_in_seconds(), as_string=True)


# ---------------------------------------------------------------- session lifecycle

def get_csrf_token() -> str:
    """The session's CSRF token, generated (and saved) on first use."""
    if not frappe.local.session.data.csrf_token:
        generate_csrf_token()
    return frappe.local.session.data.csrf_token


def generate_csrf_token() -> None:
    """Store a new CSRF token in the session; unsafe requests must echo it from then on."""
    frappe.local.session.data.csrf_token = frappe.generate_hash()
    if not frappe.flags.in_test and getattr(frappe.local, "session_obj", None):
        frappe.local.session_obj.update(force=True)


def delete_session(sid: str | None = None, user: str | None = None, reason: str = "Session Expired") -> None:
    """Remove one session from the table and the cache."""
    if frappe.flags.read_only or not sid or sid == "Guest":
        return
    ensure_sessions_table()
    if not user:
        rows = frappe.db.sql("select `user` from `tabSessions` where `sid`=%s", (sid,))
        if rows:
            user = rows[0][0]
    if user and reason == "User Manually Logged Out":
        _log_activity(user, "Logout", _("{0} logged out: {1}").format(_full_name(user), frappe.bold(reason)))
    frappe.db.sql("delete from `tabSessions` where `sid`=%s", (sid,))
    frappe.db.commit()
    cache = _cache()
    cache.hdel(SESSION_CACHE_KEY, sid)
    cache.hdel(LAST_DB_UPDATE_KEY, sid)


def clear_sessions(user: str | None = None, keep_current: bool = False, force: bool = False) -> None:
    """Delete the sessions of ``user`` beyond the number it may keep (all with ``force``)."""
    reason = "Force Logged out by the user" if force else "Logged In From Another Session"
    for sid in get_sessions_to_clear(user, keep_current, force):
        delete_session(sid, reason=reason)


def get_sessions_to_clear(user: str | None = None, keep_current: bool = False, force: bool = False) -> list:
    """The sids of ``user`` to drop, newest kept first, honouring ``simultaneous_sessions``."""
    ensure_sessions_table()
    user = user or frappe.session.user
    offset = 0
    if not force and user == frappe.session.user:
        try:
            offset = _int(frappe.db.get_value("User", user, "simultaneous_sessions")) or 1
        except Exception:
            offset = 1
    query = "select `sid` from `tabSessions` where `user`=%s"
    values = [user]
    if keep_current:
        if not force:
            offset = max(0, offset - 1)
        query += " and `sid`!=%s"
        values.append(frappe.session.sid)
    query += " order by `lastupdate` desc"
    sids = [row[0] for row in frappe.db.sql(query, tuple(values))]
    return sids[offset:offset + 100]


def clear_expired_sessions() -> None:
    """Scheduler job: drop every session whose last update is older than the expiry."""
    ensure_sessions_table()
    for (sid,) in frappe.db.sql(
        "select `sid` from `tabSessions` where `lastupdate` < %s", (get_expired_threshold(),)
    ):
        delete_session(sid, reason="Session Expired")


def clear_all_sessions(reason: str | None = None) -> None:
    """Log every user out (Administrator only)."""
    frappe.only_for("Administrator")
    ensure_sessions_table()
    for (sid,) in frappe.db.sql("select `sid` from `tabSessions`"):
        delete_session(sid, reason=reason or "Deleted All Active Session")


class Session:
    """One request's view of a login session.

    ``resume=True`` loads the session named by the ``sid`` cookie (or ``sid`` form value); when it is
    missing or expired the request continues as Guest with ``session_expired: 1`` in the response.
    Otherwise a new session is started for ``user``.
    """

    __slots__ = ("user", "user_type", "full_name", "data", "time_diff", "sid", "_update_in_cache")

    def __init__(self, user, resume=False, full_name=None, user_type=None, session_end=None, audit_user=None):
        request = frappe.local.request
        cookie_sid = request.cookies.get("sid", "Guest") if request is not None else "Guest"
        self.sid = str(frappe.form_dict.get("sid") or unquote(cookie_sid or "Guest"))
        self.user = user
        self.user_type = user_type
        self.full_name = full_name
        self.data = frappe._dict({"data": frappe._dict({})})
        self.time_diff = None
        self._update_in_cache = False

        frappe.local.session = self.data

        if resume:
            self.resume()
        elif self.user:
            self.validate_user()
            self.start(session_end=session_end, audit_user=audit_user)

    def validate_user(self) -> None:
        if self.user == "Guest":
            return
        if not frappe.db.get_value("User", self.user, "enabled"):
            frappe.throw(
                _("User {0} is disabled. Please contact your System Manager.").format(self.user),
                frappe.ValidationError,
            )

    def start(self, session_end=None, audit_user=None) -> None:
        """Begin a new session (a shared, row-less one for Guest)."""
        sid = "Guest" if self.user == "Guest" else frappe.generate_hash()
        self.data.user = self.user
        self.sid = self.data.sid = sid
        self.data.data.user = self.user
        self.data.data.session_ip = frappe.local.request_ip
        if self.user != "Guest":
            self.data.data.update(
                {
                    "last_updated": _now(),
                    "session_expiry": get_expiry_period(),
                    "full_name": self.full_name,
                    "user_type": self.user_type,
                }
            )
            if session_end:
                self.data.data.session_end = session_end
            if audit_user:
                self.data.data.audit_user = audit_user
            self.insert_session_record()
            self._touch_user()
            frappe.db.commit()

    def insert_session_record(self) -> None:
        ensure_sessions_table()
        now = _now()
        frappe.db.sql(
            "insert into `tabSessions` (`sessiondata`, `user`, `lastupdate`, `sid`, `status`, `ipaddress`) "
            "values (%s, %s, %s, %s, %s, %s)",
            (
                _dumps(self.data["data"]),
                self.data["user"],
                now,
                self.data["sid"],
                "Active",
                frappe.local.request_ip,
            ),
        )
        cache = _cache()
        cache.hset(SESSION_CACHE_KEY, self.data.sid, self.data)
        cache.hset(LAST_DB_UPDATE_KEY, self.data.sid, now)

    def _touch_user(self) -> None:
        """Record login time and address on the User (best effort: the columns are optional)."""
        try:
            now = _now()
            frappe.db.sql(
                "update `tabUser` set `last_login`=%s, `last_ip`=%s, `last_active`=%s where `name`=%s",
                (now, frappe.local.request_ip, now, self.data["user"]),
            )
        except Exception:
            pass

    def resume(self) -> None:
        """Load the session for ``self.sid`` or fall back to Guest."""
        data = self.get_session_record()
        if data:
            self.data.update({"data": data, "user": data.user, "sid": self.sid})
            self.user = data.user
            self.validate_user()
        else:
            self.start_as_guest()

    def get_session_record(self):
        """The stored session data, or the Guest record when the sid is unknown or expired."""
        from frappe.auth import clear_cookies

        record = self.get_session_data()
        if not record:
            frappe.response["session_expired"] = 1
            clear_cookies()
            self.sid = "Guest"
            record = self.get_session_data()
        return record

    def get_session_data(self):
        if self.sid == "Guest":
            return frappe._dict({"user": "Guest"})
        data = self.get_session_data_from_cache()
        if not data:
            self._update_in_cache = True
            data = self.get_session_data_from_db()
        return data

    def get_session_data_from_cache(self):
        data = _cache().hget(SESSION_CACHE_KEY, self.sid)
        if not data:
            return None
        data = frappe._dict(data)
        session_data = frappe._dict(data.get("data") or {})
        last_updated = session_data.get("last_updated")
        if last_updated:
            self.time_diff = (_now_datetime() - _to_datetime(last_updated)).total_seconds()
            if self.time_diff > get_expiry_in_seconds(session_data.get("session_expiry")):
                self._delete_session()
                return None
        return session_data

    def get_session_data_from_db(self):
        ensure_sessions_table()
        rows = frappe.db.sql(
            "select `user`, `sessiondata` from `tabSessions` where `sid`=%s and `lastupdate` > %s",
            (self.sid, get_expired_threshold()),
        )
        if not rows:
            self._delete_session()
            return None
        data = frappe._dict(_loads(rows[0][1]))
        data.user = rows[0][0]
        cache = _cache()
        cache.hset(SESSION_CACHE_KEY, self.sid, frappe._dict({"data": data, "user": data.user, "sid": self.sid}))
        return data

    def _delete_session(self) -> None:
        delete_session(self.sid, reason="Session Expired")

    def start_as_guest(self) -> None:
        """Every guest shares the 'Guest' session."""
        self.user = "Guest"
        self.start()

    def update(self, force: bool = False) -> bool:
        """Slide the expiry: refresh the DB row when it is due (or forced); True if the row changed."""
        if frappe.session.user == "Guest" or self.data.get("user") in (None, "Guest") or self.sid == "Guest":
            return False
        cache = _cache()
        now = _now()
        last_updated = cache.hget(LAST_DB_UPDATE_KEY, self.sid)
        time_diff = None
        if last_updated:
            time_diff = (_to_datetime(now) - _to_datetime(last_updated)).total_seconds()
        refresh_after = min(get_expiry_in_seconds(self.data.data.get("session_expiry")) / 2, 600)

        updated_in_db = False
        if (force or time_diff is None or time_diff > refresh_after) and not frappe.flags.read_only:
            self.data.data.last_updated = now
            self.data.data.lang = str(frappe.local.lang)
            ensure_sessions_table()
            frappe.db.sql(
                "update `tabSessions` set `sessiondata`=%s, `lastupdate`=%s where `sid`=%s",
                (_dumps(self.data["data"]), now, self.data["sid"]),
            )
            try:
                frappe.db.sql("update `tabUser` set `last_active`=%s where `name`=%s", (now, self.data.user))
            except Exception:
                pass
            frappe.db.commit()
            updated_in_db = True
            cache.hset(LAST_DB_UPDATE_KEY, self.sid, now)
            cache.hset(SESSION_CACHE_KEY, self.sid, self.data)
        elif self._update_in_cache:
            cache.hset(SESSION_CACHE_KEY, self.sid, self.data)
        return updated_in_db

    def set_impersonated(self, original_user: str) -> None:
        self.data.data.impersonated_by = original_user
        self.update(force=True)


def _dumps(value) -> str:
    from frappe.utils.response import json_handler

    return json.dumps(value, default=json_handler, separators=(",", ":"))


def _loads(value):
    if not value:
        return {}
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return {}


def _full_name(user: str) -> str:
    try:
        first, last = frappe.db.get_value("User", user, ["first_name", "last_name"]) or (None, None)
        return " ".join(filter(None, [first, last])) or user
    except Exception:
        return user


def _log_activity(user: str, operation: str, subject: str, status: str = "Success") -> None:
    """Write an Activity Log row; auditing must never break a login or logout."""
    try:
        from frappe.core.doctype.activity_log.activity_log import add_authentication_log

        add_authentication_log(subject, user, operation=operation, status=status)
        return
    except ImportError:
        pass
    except Exception:
        return
    try:
        frappe.get_doc(
            {
                "doctype": "Activity Log",
                "user": user,
                "status": status,
                "subject": subject,
                "operation": operation,
                "full_name": _full_name(user),
                "ip_address": getattr(frappe.local, "request_ip", None),
            }
        ).insert(ignore_permissions=True, ignore_links=True)
    except Exception:
        pass
