"""Onboarding step 1, "Request a Vendor Profile": a Guest asks, a Marketplace Admin decides.

:func:`submit_request` is public (Guest allowed, POST only, rate-limited per IP) and answers the same
whatever the email is, so the form tells nobody whether a company already asked or already sells on
MedGrid. :func:`approve_request` creates the Vendor Profile and the vendor's login (a Website User with
the External Vendor role) and sends the welcome mail through Frappe's outgoing mail
(``frappe.sendmail``: the Email Queue on a bench; the runtime writes it to the log).
"""

from __future__ import annotations

import re
import secrets

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import cstr, escape_html, get_url, now_datetime, validate_email_address

from medgrid.pages import ADMIN_ROLES, VENDOR

REQUEST = "Vendor Profile Request"
PENDING, APPROVED, REJECTED = "Pending", "Approved", "Rejected"
INTEGRATION_TYPES = ("Shopify Store", "ShipStation", "Managed API", "Other")
# the Vendor Profile's connector for the self-service integration types (an admin may name another)
VENDOR_KEY_OF_TYPE = {"Shopify Store": "shopify", "ShipStation": "shipstation"}
LIMITS = {"company_name": 140, "contact_name": 140, "email": 140, "phone": 40, "website": 200, "message": 2000}
REQUIRED = ("company_name", "contact_name", "email", "integration_type")
REQUESTS_PER_HOUR = 5
RECEIVED_MESSAGE = "Thank you. MedGrid's team reviews every request and writes to you within two business days."
WELCOME_SUBJECT = "Your MedGrid vendor account"


class RequestNotPendingError(frappe.ValidationError):
    """The request was already approved or rejected."""


def _clean(values: dict) -> dict:
    """The form's values stripped and checked; any problem is a 417 naming the field (nothing is stored)."""
    out = {}
    for field, limit in LIMITS.items():
        value = values.get(field)
        if value is not None and not isinstance(value, str):
            frappe.throw(_("{0} must be text").format(field), frappe.ValidationError)
        value = cstr(value).strip()
        if len(value) > limit:
            frappe.throw(_("{0} is longer than {1} characters").format(field, limit), frappe.ValidationError)
        # one-line fields take no line break at all; the message keeps its line breaks and tabs only
        allowed = "\n\r\t" if field == "message" else ""
        if any((ord(ch) < 32 or ord(ch) == 127) and ch not in allowed for ch in value):
            frappe.throw(_("{0} contains a line break or control character").format(field), frappe.ValidationError)
        out[field] = value
    integration_type = values.get("integration_type")
    if integration_type not in INTEGRATION_TYPES:
        frappe.throw(_("integration_type must be one of {0}").format(", ".join(INTEGRATION_TYPES)),
                     frappe.ValidationError)
    out["integration_type"] = integration_type
    for field in REQUIRED:
        if not out.get(field):
            frappe.throw(_("Missing required parameter: {0}").format(field), frappe.ValidationError)
    # one plain address: no list, no display name
    if re.search(r"[\s,;<>]", out["email"]) or validate_email_address(out["email"]) != out["email"]:
        frappe.throw(_("{0} is not a valid email address").format(out["email"]), frappe.ValidationError)
    out["email"] = out["email"].lower()
    if out["website"] and not out["website"].startswith(("https://", "http://")):
        frappe.throw(_("website must start with https:// or http://"), frappe.ValidationError)
    return out


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=REQUESTS_PER_HOUR, seconds=60 * 60)
def submit_request(company_name=None, contact_name=None, email=None, phone=None, website=None,
                   integration_type=None, message=None):
    """Anyone: ask for a Vendor Profile. A second pending request from the same email is not stored again."""
    values = _clean({"company_name": company_name, "contact_name": contact_name, "email": email, "phone": phone,
                     "website": website, "integration_type": integration_type, "message": message})
    if not frappe.db.exists(REQUEST, {"email": values["email"], "status": PENDING}):
        doc = frappe.get_doc({"doctype": REQUEST, **values, "status": PENDING})
        doc.insert(ignore_permissions=True)  # Guests have no right on the doctype: this form is their way in
    return {"message": _(RECEIVED_MESSAGE)}


# ------------------------------------------------------------------------------------------ admins

def _pending(name) -> object:
    frappe.only_for(ADMIN_ROLES)
    if not isinstance(name, str) or not name.strip():
        frappe.throw(_("Missing required parameter: {0}").format("request"), frappe.ValidationError)
    if not frappe.db.exists(REQUEST, name):
        frappe.throw(_("Vendor Profile Request {0} not found").format(name), frappe.DoesNotExistError)
    doc = frappe.get_doc(REQUEST, name)
    doc.check_permission("write")
    if doc.status != PENDING:
        frappe.throw(_("Vendor Profile Request {0} is already {1}").format(name, doc.status), RequestNotPendingError)
    return doc


@frappe.whitelist(methods=["POST"])
def approve_request(request=None, vendor_key=None):
    """Admin: create the Vendor Profile and the vendor's login, send the welcome mail."""
    from medgrid.vendors import get_vendors

    doc = _pending(request)
    vendor_key = cstr(vendor_key).strip() or VENDOR_KEY_OF_TYPE.get(doc.integration_type)
    if vendor_key and vendor_key not in get_vendors():
        frappe.throw(_("Unknown vendor {0}").format(vendor_key), frappe.ValidationError)
    if frappe.db.exists("User", doc.email):
        frappe.throw(_("A user {0} exists already: link it to a Vendor Profile by hand").format(doc.email),
                     frappe.DuplicateEntryError)
    if frappe.db.exists("Vendor Profile", doc.company_name):
        frappe.throw(_("Vendor Profile {0} exists already").format(doc.company_name), frappe.DuplicateEntryError)
    user = frappe.get_doc({"doctype": "User", "email": doc.email, "first_name": doc.contact_name,
                           "user_type": "Website User", "send_welcome_email": 0, "enabled": 1,
                           "roles": [{"role": VENDOR}]})
    # a Marketplace Admin is no System Manager: the approval itself is the permission to make this user
    user.insert(ignore_permissions=True)
    profile = frappe.get_doc({"doctype": "Vendor Profile", "vendor_name": doc.company_name, "vendor_key": vendor_key,
                              "user": user.name, "contact_email": doc.email, "status": "Onboarding"})
    profile.insert()
    doc.update({"status": APPROVED, "vendor_profile": profile.name, "user": user.name,
                "reviewed_by": frappe.session.user, "reviewed_on": now_datetime()})
    doc.save()
    send_welcome_mail(user, profile)
    return {"vendor_profile": profile.name, "user": user.name}


@frappe.whitelist(methods=["POST"])
def reject_request(request=None, reason=None):
    """Admin: turn a request down (the reason is kept on the request)."""
    doc = _pending(request)
    reason = cstr(reason).strip() if isinstance(reason, str) else ""
    if not reason:
        frappe.throw(_("Missing required parameter: {0}").format("reason"), frappe.ValidationError)
    if len(reason) > LIMITS["message"]:
        frappe.throw(_("The reason is longer than {0} characters").format(LIMITS["message"]), frappe.ValidationError)
    doc.update({"status": REJECTED, "decision_reason": reason, "reviewed_by": frappe.session.user,
                "reviewed_on": now_datetime()})
    doc.save()
    return {"name": doc.name, "status": doc.status}


def send_welcome_mail(user, profile) -> None:
    """The welcome mail: where to log in and how to set a password, then the portal's next steps.

    On a bench the mail carries Frappe's own set-password link; the runtime has no password-reset page,
    so the new user gets a random first password, in the mail only (never in a response or a log).
    """
    login = get_url("/login")
    if hasattr(user, "reset_password"):
        access = _("Set your password here: {0}").format(user.reset_password(send_email=False))
    else:
        password = secrets.token_urlsafe(12)
        user.new_password = password
        user.save(ignore_permissions=True)
        access = _("Your first password is {0} — change it after you log in.").format(password)
    message = "<br>".join([
        _("Hello {0},").format(escape_html(user.first_name or "")),
        _("MedGrid approved {0} as a vendor.").format(escape_html(profile.vendor_name)),
        _("Log in at {0} with {1}.").format(login, user.name),
        access,
        _("Then connect your integrations and follow the onboarding checklist at {0}.").format(
            get_url("/portal/integrations")),
    ])
    frappe.sendmail(recipients=[user.name], subject=_(WELCOME_SUBJECT), message=message,
                    reference_doctype="Vendor Profile", reference_name=profile.name)
