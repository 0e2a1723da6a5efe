"""API Access: a signed-in user generates and rotates its own API key pair; admins do it for others.

The guide's first step for every integrator ("User Settings → API Access → Generate your API Key and API
Secret"). Partners and vendors are Website Users, so Desk's User form is not theirs: ``/portal/api-access``
calls these methods. The key pair lives where Frappe keeps it (``User.api_key`` and the encrypted
``User.api_secret``, as ``frappe.core.doctype.user.user.generate_keys`` writes them): the key is made once
and kept, every call makes a new secret and the old one stops working at once. The secret is answered
once and never again. When the pair was created, last rotated and last used is kept in ``MedGrid API Key``.

Who may manage whose keys: every signed-in user its own; a MedGrid admin any user's except Administrator's
and — unless it is a System Manager itself — a System Manager's (a key is that user's full power).
"""

from __future__ import annotations

import base64
import binascii
import time

import frappe
from frappe import _
from frappe.utils import now_datetime

from medgrid.exceptions import InvalidParameterError
from medgrid.pages import is_admin

KEY_DOCTYPE = "MedGrid API Key"
SYSTEM_MANAGER = "System Manager"
# Frappe's generate_keys makes 15-character keys and secrets
KEY_LENGTH = 15
# "last used" is written at most this often per key (a token request must stay cheap)
LAST_USED_RESOLUTION_SECONDS = 60
_USED_CACHE_PREFIX = "medgrid:api_key_used:"
LAST_USED_SEEN_SECONDS = 5
_seen_marks: dict[tuple, float] = {}  # (site, api key) → when this process last saw the mark set


def target_user(user=None) -> str:
    """The user whose keys the session user may manage: itself, or (admins) the one named."""
    session_user = frappe.session.user
    if session_user == "Guest":
        frappe.throw(_("Log in to manage API keys"), frappe.PermissionError)
    if user is None or user == "" or user == session_user:
        return session_user
    if not isinstance(user, str):
        frappe.throw(_("user must be a User's name"), InvalidParameterError)
    if not is_admin(session_user):
        frappe.throw(_("Only MedGrid admins manage another user's API keys"), frappe.PermissionError)
    if user in ("Administrator", "Guest"):
        frappe.throw(_("The API keys of {0} cannot be managed here").format(user), frappe.PermissionError)
    if not frappe.db.exists("User", user):
        frappe.throw(_("User {0} not found").format(user), frappe.DoesNotExistError)
    caller_is_system_manager = session_user == "Administrator" or SYSTEM_MANAGER in frappe.get_roles(session_user)
    if SYSTEM_MANAGER in frappe.get_roles(user) and not caller_is_system_manager:
        frappe.throw(_("Only a System Manager manages a System Manager's API keys"), frappe.PermissionError)
    return user


@frappe.whitelist(methods=["GET"])
def get_api_access(user=None) -> dict:
    """The user's API key (never its secret) and when the pair was created, rotated and last used."""
    user = target_user(user)
    return access_summary(user)


def access_summary(user: str) -> dict:
    api_key = frappe.db.get_value("User", user, "api_key")
    record = frappe.db.get_value(KEY_DOCTYPE, user, ["created_on", "rotated_on", "last_used_on"], as_dict=True) \
        or frappe._dict()
    return {"user": user, "api_key": api_key or None, "created_on": record.get("created_on"),
            "rotated_on": record.get("rotated_on"), "last_used_on": record.get("last_used_on")}


@frappe.whitelist(methods=["POST"])
def generate_api_key(user=None) -> dict:
    """Make the user's key pair, or a new secret for its existing key (the old secret stops working now).

    Answers the secret this once, with the exact ``Authorization`` header to send.
    """
    user = target_user(user)
    if not frappe.db.get_value("User", user, "enabled"):
        frappe.throw(_("User {0} is disabled").format(user), frappe.ValidationError)
    doc = frappe.get_doc("User", user)
    first_key = not doc.api_key
    if first_key:
        doc.api_key = frappe.generate_hash(length=KEY_LENGTH)
    secret = frappe.generate_hash(length=KEY_LENGTH)
    doc.api_secret = secret
    # a Website User may not write its own User record: the identity checks above are the permission
    doc.flags.ignore_permissions = True
    doc.save()
    _record_issue(user, doc.api_key, first_key)
    frappe.cache().delete_value(_USED_CACHE_PREFIX + doc.api_key)
    _seen_marks.pop((frappe.local.site, doc.api_key), None)
    summary = access_summary(user)
    summary.update(api_secret=secret, authorization=f"token {doc.api_key}:{secret}")
    return summary


def _record_issue(user: str, api_key: str, first_key: bool) -> None:
    now, by = now_datetime(), frappe.session.user
    if not frappe.db.exists(KEY_DOCTYPE, user):
        frappe.get_doc({"doctype": KEY_DOCTYPE, "user": user, "api_key": api_key, "created_on": now,
                        "created_by": by, "rotated_on": now, "rotated_by": by}).insert(ignore_permissions=True)
        return
    values = {"api_key": api_key, "rotated_on": now, "rotated_by": by}
    if first_key:
        values.update(created_on=now, created_by=by, last_used_on=None)
    frappe.db.set_value(KEY_DOCTYPE, user, values)


# ------------------------------------------------------------------ "last used" (auth_hooks)

def _presented_key() -> str | None:
    """The API key of the request's ``Authorization: token key:secret`` / ``Basic`` header, if any."""
    header = frappe.get_request_header("Authorization", "") or ""
    scheme, _sep, credentials = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            credentials = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
    elif scheme != "token":
        return None
    key = credentials.split(":", 1)[0].strip()
    return key or None


def record_api_key_use() -> None:
    """``auth_hooks`` entry: Frappe (and the runtime) call it after checking the Authorization header.

    When the request was authenticated by the session user's own API key, note the time on its
    ``MedGrid API Key`` record — at most once a minute per key (a cache mark), committed at once so GET
    requests (which Frappe rolls back) record too. Nothing has been written by the request yet here.
    """
    user = frappe.session.user
    if not user or user == "Guest":
        return
    api_key = _presented_key()
    if not api_key:
        return
    cache = frappe.cache()
    mark = _USED_CACHE_PREFIX + api_key
    # the shared mark is read at most every few seconds per process (a Redis round trip per request otherwise);
    # a use is then noted at most LAST_USED_SEEN_SECONDS late, inside the minute's resolution
    seen_key, now_mono = (frappe.local.site, api_key), time.monotonic()
    if now_mono - _seen_marks.get(seen_key, -LAST_USED_SEEN_SECONDS) < LAST_USED_SEEN_SECONDS:
        return
    if cache.get_value(mark):
        _seen_marks[seen_key] = now_mono
        return
    # a cookie session wins over a key in Frappe: only the session user's own key counts
    if frappe.db.get_value("User", user, "api_key") != api_key:
        return
    cache.set_value(mark, 1, expires_in_sec=LAST_USED_RESOLUTION_SECONDS)
    _seen_marks[seen_key] = now_mono
    try:
        now = now_datetime()
        if frappe.db.exists(KEY_DOCTYPE, user):
            frappe.db.set_value(KEY_DOCTYPE, user, "last_used_on", now, update_modified=False)
        else:
            # a key made before MedGrid kept these records (or by Desk's generate_keys): when it was made is unknown
            frappe.get_doc({"doctype": KEY_DOCTYPE, "user": user, "api_key": api_key,
                            "last_used_on": now}).insert(ignore_permissions=True)
        frappe.db.commit()
    except Exception:
        # the request must not fail because its usage could not be noted
        frappe.db.rollback()
        frappe.log_error(title="MedGrid: could not record API key use")
