"""What MedGrid stores of a request or an answer: secret-named keys masked, known secret values scrubbed.

One set of rules for everything that records traffic — the vendor calls' integration log and the stored
headers and query of inbound webhooks — so a credential is masked the same way wherever it appears.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"

# Header / JSON / form / query keys whose values are secrets, compared lower-cased. Exact names cover
# short generic keys (SINQ's ``key`` header) without hiding ``orderKey`` or ``lineItemKey``.
SENSITIVE_KEYS = frozenset({
    "authorization", "proxy-authorization", "key", "x-api-key", "api-key", "apikey", "api_key",
    "x-shopify-access-token", "cookie", "set-cookie", "pwd", "code",
})
# …and any key containing one of these fragments (clientSecret, access_token, X-PerfectRx-Signature,
# X-Shopify-Hmac-Sha256, password…)
SENSITIVE_FRAGMENTS = ("secret", "password", "passwd", "token", "signature", "hmac")
# Authorization schemes kept so a reader still sees *how* a call authenticated
AUTH_SCHEMES = ("basic", "bearer", "token")


def is_sensitive_key(key) -> bool:
    """Whether a header / field / parameter name carries a secret."""
    lowered = str(key).strip().lower()
    return lowered in SENSITIVE_KEYS or any(fragment in lowered for fragment in SENSITIVE_FRAGMENTS)


def _mask_header_value(key: str, value) -> str:
    if str(key).lower() in ("authorization", "proxy-authorization"):
        scheme = str(value).split(" ", 1)[0]
        if scheme.lower() in AUTH_SCHEMES:
            return f"{scheme} {REDACTED}"
    return REDACTED


def _scrub_text(text: str, secrets) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _redact_structure(value, secrets):
    if isinstance(value, dict):
        return {k: (_mask_header_value(k, v) if is_sensitive_key(k) and v not in (None, "") else
                    _redact_structure(v, secrets)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_structure(v, secrets) for v in value]
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    return value


def redact_url(url: str, secrets=()) -> str:
    """``url`` with secret query parameters (``?token=``, ``?key=``…) and userinfo masked."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _scrub_text(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_sensitive_key(k) else v) for k, v in pairs], safe="*")
    return _scrub_text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), secrets)


def redact(value, secrets=()):
    """A copy of ``value`` safe to store: secret-named keys masked, known secret values scrubbed.

    ``value`` may be a dict / list (headers, JSON bodies), ``bytes`` or ``str`` (raw bodies: parsed as
    JSON, else as a form body, else scrubbed as text). ``secrets`` are literal values (API keys,
    tokens) removed wherever they appear, e.g. echoed back inside an error message.
    """
    secrets = tuple(s for s in (secrets or ()) if s)
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.dumps(_redact_structure(json.loads(stripped), secrets), default=str)
            except ValueError:
                pass
        if "=" in stripped and " " not in stripped and "\n" not in stripped:
            pairs = parse_qsl(stripped, keep_blank_values=True)
            if pairs:
                return _scrub_text(urlencode([(k, REDACTED if is_sensitive_key(k) else v) for k, v in pairs],
                                             safe="*"), secrets)
        return _scrub_text(value, secrets)
    if hasattr(value, "items") and not isinstance(value, dict):
        value = dict(value.items())  # e.g. requests' CaseInsensitiveDict of headers
    return _redact_structure(value, secrets)


def fingerprint(*parts: str, length: int = 16) -> str:
    """A short, stable, non-reversible id of credentials (limit and cache keys never hold a secret)."""
    digest = hashlib.sha256("\x1f".join(str(p or "") for p in parts).encode()).hexdigest()
    return digest[:length]


def redact_mapping(mapping) -> dict:
    """Headers or query parameters as a dict with secret values masked (the names stay, so a reader still
    sees which ones were sent)."""
    return _redact_structure(dict(mapping.items()), ())
