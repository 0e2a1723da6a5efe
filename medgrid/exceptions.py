"""MedGrid's error classes: Frappe picks the HTTP status from ``http_status_code``."""

import frappe


class MissingParameterError(frappe.ValidationError):
    """A required parameter was not sent (400)."""

    http_status_code = 400


class InvalidParameterError(frappe.ValidationError):
    """A parameter has the wrong type or an impossible value (400)."""

    http_status_code = 400


class InvalidOrderError(frappe.ValidationError):
    """An order line is invalid: unknown or unsellable item, bad warehouse, qty ≤ 0 (400)."""

    http_status_code = 400


class OrderNotRoutableError(frappe.ValidationError):
    """A business rule stops the order: no vendor for a line, Rx data missing, not submitted (417)."""

    http_status_code = 417


class AlreadyDispatchedError(frappe.ValidationError):
    """The vendor already has this order (409): check its status instead of re-submitting."""

    http_status_code = 409


class WebhookVerificationError(frappe.AuthenticationError):
    """A webhook failed verification (401); nothing is stored."""

    http_status_code = 401


class VendorCredentialsError(frappe.AuthenticationError):
    """A vendor refused the credentials a user entered (401); nothing is stored.

    A subclass, not ``frappe.AuthenticationError`` itself: Frappe clears the session cookies on that
    exact class, and a vendor refusing a ShipStation key must not log the MedGrid user out.
    """

    http_status_code = 401


class IntegrationNotConfiguredError(frappe.ValidationError):
    """A platform setting the integration needs is missing (417): an admin has to fill it in."""

    http_status_code = 417


class IntegrationConflictError(frappe.ValidationError):
    """The store or account is already connected to another vendor (409)."""

    http_status_code = 409


class VendorUnavailableError(frappe.ValidationError):
    """The vendor could not be reached or answered with an error (502); try again later."""

    http_status_code = 502
