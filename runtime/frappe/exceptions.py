"""Exception classes of the runtime, named and arranged as in Frappe v15.

The HTTP layer answers a failed request with the status found on the raised
exception's ``http_status_code`` attribute (500 when there is none), so the
hierarchy and the codes below are part of the public contract: app code raises
and catches these classes by name, and clients see their codes.

Keep this module free of anything but exception classes; it is imported very
early, before a site or a database exists.
"""

from werkzeug.exceptions import NotFound


# --- site / setup -------------------------------------------------------------------------


class SiteNotSpecifiedError(Exception):
	"""Raised by CLI commands that need a site when none was given."""

	def __init__(self, *args, **kwargs):
		self.message = "Please specify --site sitename"
		super().__init__(self.message)


class UrlSchemeNotSupported(Exception):
	"""A URL uses a scheme the caller cannot handle."""


class ImproperDBConfigurationError(Exception):
	"""The database server or its tables are not set up the way the framework needs."""

	def __init__(self, reason, msg=None):
		super().__init__(msg or "MariaDb is not properly configured")
		self.reason = reason


class UnknownDomainError(Exception):
	"""A domain name that no site is configured for."""


class IncorrectSitePath(NotFound):
	"""The requested site folder does not exist (answered as werkzeug's HTML 404)."""


# --- the main families --------------------------------------------------------------------


class ValidationError(Exception):
	"""Base class for business-rule failures; answered with HTTP 417."""

	http_status_code = 417


class FrappeTypeError(TypeError):
	"""An argument of a whitelisted call does not match its type annotation (417)."""

	http_status_code = 417


class AuthenticationError(Exception):
	"""Bad or missing credentials (401)."""

	http_status_code = 401


class SessionExpired(Exception):
	"""The session cookie no longer maps to a live session (401)."""

	http_status_code = 401


class PermissionError(Exception):
	"""The user may not perform the action (403)."""

	http_status_code = 403


class DoesNotExistError(ValidationError):
	"""A record that was asked for is missing (404).

	``doctype`` is kept so the HTTP layer can turn the 404 into a 403 when the
	caller may not even read that doctype (existence must not leak).
	"""

	http_status_code = 404

	def __init__(self, *args, doctype=None):
		super().__init__(*args)
		self.doctype = doctype


class PageDoesNotExistError(ValidationError):
	"""A website route that resolves to nothing (404)."""

	http_status_code = 404


class NameError(Exception):
	"""A document name clashes with an existing one (409)."""

	http_status_code = 409


class DuplicateEntryError(NameError):
	"""Inserting a record whose primary key already exists (409)."""


class OutgoingEmailError(Exception):
	"""Mail could not be sent (501)."""

	http_status_code = 501


class SessionStopped(Exception):
	"""The site is in maintenance mode (503)."""

	http_status_code = 503


class UnsupportedMediaType(Exception):
	"""The request body has a content type the endpoint does not accept (415)."""

	http_status_code = 415


class RequestToken(Exception):
	"""Used by OAuth flows to answer with a token; carries a 200 status."""

	http_status_code = 200


class Redirect(Exception):
	"""Raise from a page to send the client elsewhere.

	The target goes in ``frappe.local.flags.redirect_location``; the status
	defaults to 301 and can be set per instance, e.g. ``Redirect(302)``.
	"""

	http_status_code = 301

	def __init__(self, http_status_code: int = 301):
		super().__init__()
		self.http_status_code = http_status_code


class CSRFTokenError(Exception):
	"""The CSRF token of an unsafe request is missing or wrong (400)."""

	http_status_code = 400


class TooManyRequestsError(Exception):
	"""The site-wide request-time budget is spent (429)."""

	http_status_code = 429


class RequestBodyTooLargeError(Exception):
	"""The request body is over the site's ``max_request_body_size`` (413). Not in Frappe, which
	reads bodies of any size up to ``max_file_size``."""

	http_status_code = 413


class InvalidRequestBodyError(Exception):
	"""The request body (or a JSON argument) cannot be used, e.g. JSON nested too deep (400). Not in
	Frappe, whose JSON decoder fails on deep nesting with a RecursionError (500)."""

	http_status_code = 400


# --- ValidationError subclasses (417 unless they say otherwise) ----------------------------


class DataError(ValidationError):
	"""Invalid data in a query, e.g. a field that is not permitted."""


class MappingMismatchError(ValidationError):
	pass


class InvalidStatusError(ValidationError):
	pass


class MandatoryError(ValidationError):
	"""Required fields are empty."""


class NonNegativeError(ValidationError):
	pass


class InvalidSignatureError(ValidationError):
	pass


class RateLimitExceededError(ValidationError):
	"""A per-endpoint rate limit was hit (429)."""

	http_status_code = 429


class CannotChangeConstantError(ValidationError):
	"""A set-only-once field was changed."""


class CharacterLengthExceededError(ValidationError):
	"""A value is longer than its column allows."""


class UpdateAfterSubmitError(ValidationError):
	"""A field without allow_on_submit was changed on a submitted document."""


class LinkValidationError(ValidationError):
	"""A Link field points at a record that does not exist."""


class CancelledLinkError(LinkValidationError):
	"""A Link field points at a cancelled record."""


class DocstatusTransitionError(ValidationError):
	"""An illegal docstatus change, e.g. cancelling a draft."""


class TimestampMismatchError(ValidationError):
	"""The document was modified by someone else after it was loaded."""


class EmptyTableError(ValidationError):
	pass


class LinkExistsError(ValidationError):
	"""The record cannot be deleted or cancelled because others link to it."""


class InvalidEmailAddressError(ValidationError):
	pass


class InvalidNameError(ValidationError):
	"""A document name contains forbidden characters or is otherwise unusable."""


class InvalidPhoneNumberError(ValidationError):
	pass


class TemplateNotFoundError(ValidationError):
	pass


class UniqueValidationError(ValidationError):
	"""A value in a unique column is already used."""


class AppNotInstalledError(ValidationError):
	"""A dotted path names an app that is not installed on the site."""


class ImplicitCommitError(ValidationError):
	"""A statement would commit the transaction implicitly where that is not allowed."""


class DocumentLockedError(ValidationError):
	"""The document is locked by a running background action."""


class CircularLinkingError(ValidationError):
	pass


class InvalidColumnName(ValidationError):
	pass


class IncompatibleApp(ValidationError):
	pass


class InvalidDates(ValidationError):
	"""A date range is inconsistent (e.g. end before start)."""


class DataTooLongException(ValidationError):
	pass


class DocumentAlreadyRestored(ValidationError):
	pass


class AttachmentLimitReached(ValidationError):
	pass


class InReadOnlyMode(ValidationError):
	"""A write was attempted while the site only serves reads (503)."""

	http_status_code = 503


class SessionBootFailed(ValidationError):
	"""Building the desk boot data failed (500)."""

	http_status_code = 500


class QueueOverloaded(ValidationError):
	"""Too many background jobs are waiting; try again later (503)."""

	http_status_code = 503


class PrintFormatError(ValidationError):
	pass


class InvalidDatabaseFile(ValidationError):
	pass


class LinkExpired(ValidationError):
	"""A one-time or time-limited link is no longer valid (410)."""

	http_status_code = 410
	title = "Link Expired"
	message = "The link has expired"


class InvalidKeyError(ValidationError):
	"""A document share key does not match (401)."""

	http_status_code = 401
	title = "Invalid Key"
	message = "The document key is invalid"


# --- plain exceptions without a status code (the HTTP layer answers 500) ------------------


class RetryBackgroundJobError(Exception):
	"""Raise inside a background job to have it rolled back and retried."""


class SecurityException(Exception):
	"""A security rule stopped the action, e.g. a locked account."""


class FileAlreadyAttachedException(Exception):
	pass


class QueryTimeoutError(Exception):
	"""The database gave up waiting for a lock or a statement."""


class QueryDeadlockError(Exception):
	"""The database chose this transaction as a deadlock victim."""


class TooManyWritesError(Exception):
	pass


class ExecutableNotFound(FileNotFoundError):
	pass


class InvalidRoundingMethod(FileNotFoundError):
	"""An unknown rounding method name was configured or passed to ``rounded``."""


class InvalidRemoteException(Exception):
	pass


class CommandFailedError(Exception):
	"""A shell command exited with an error; keeps its output for the caller."""

	def __init__(self, message: str, out: str = "", err: str = ""):
		super().__init__(message)
		self.out = out
		self.err = err


# --- authorisation-header problems, reported like CSRF failures (400) ----------------------


class InvalidAuthorizationHeader(CSRFTokenError):
	pass


class InvalidAuthorizationPrefix(CSRFTokenError):
	pass


class InvalidAuthorizationToken(CSRFTokenError):
	"""An Authorization header whose token cannot be decoded."""
