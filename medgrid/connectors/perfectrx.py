"""PerfectRx (compounding pharmacy): patient create-or-find, then an eScript or an OTC transfer.

Wire format (guide "PerfectRx", contracts.md "PerfectRx"):

* ``POST {base_url}/v1/oauth2/token`` with the *nested* body ``{"credentials": {"clientId", "clientSecret"}}``
  → ``{"access_token", "expires_in"}``. A form ``grant_type=client_credentials`` body gets HTTP 502, so a
  502 here is reported with that explanation. The token is cached in ``frappe.cache()`` (Redis when
  configured, so every worker shares it) per credentials, and refreshed 30 s before it expires; a 401 on
  an API call drops it and fetches a new one once;
* every call sends ``Authorization: Bearer <token>`` and, when ``partner_account`` is set,
  ``X-Partner-Account``;
* ``POST /v1/patients/create`` finds or creates the patient (same ``externalId`` → same ``patientId``);
* Rx lines → ``POST /v1/prescriptions/transmitEScript``, OTC lines → ``POST /v1/otc/transfer``, both with
  ``externalOrderId`` = the Sales Order name, which PerfectRx deduplicates (a re-send returns the same
  ``referenceId``);
* MedGrid keeps to 300 requests per 5 minutes (sliding window; PerfectRx Settings make it configurable).
"""

from __future__ import annotations

import frappe
from frappe.utils import cint, getdate, now_datetime

from medgrid.connectors.base import Connector, SendResult, VendorError
from medgrid.connectors.environment import vendor_base_url
from medgrid.connectors.clock import get_clock
from medgrid.connectors.http import VendorClient, response_json
from medgrid.connectors.order_data import (
    contact_email,
    contact_phone,
    country_code,
    get_shipping_address,
    order_item,
    quantity,
    state_code,
)
from medgrid.connectors.rate_limit import RateLimit
from medgrid.connectors.redaction import fingerprint
from medgrid.connectors.retry import RetryPolicy
from medgrid.constants import SALES_ORDER
from medgrid.vendors.builtin import PERFECTRX, PERFECTRX_PATIENT_ID

VENDOR = "perfectrx"
LABEL = "PerfectRx"
SETTINGS_DOCTYPE = "PerfectRx Settings"
DEFAULT_BASE_URL = "https://apis.perfectrx.com"

TOKEN_PATH = "/v1/oauth2/token"
PATIENT_PATH = "/v1/patients/create"
ESCRIPT_PATH = "/v1/prescriptions/transmitEScript"
OTC_PATH = "/v1/otc/transfer"
PARTNER_HEADER = "X-Partner-Account"

TOKEN_REFRESH_MARGIN_SECONDS = 30   # guide: refreshed 30 seconds before expiry
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
TOKEN_CACHE_PREFIX = "medgrid:perfectrx:token:"

DEFAULT_RATE_LIMIT_REQUESTS = 300
DEFAULT_RATE_LIMIT_WINDOW_SECONDS = 300
POLICY = RetryPolicy(max_retries=3)
# A 502 from the token endpoint means the body format, not an outage: retrying the same body is useless
TOKEN_POLICY = RetryPolicy(max_retries=3, retry_statuses=frozenset({429, 500, 503, 504}))
TOKEN_502_MESSAGE = ("PerfectRx answered HTTP 502 to the OAuth token request. This usually means the OAuth "
                     "body format is wrong: PerfectRx expects the nested credentials object "
                     '{"credentials": {"clientId": …, "clientSecret": …}}, not the standard '
                     "grant_type=client_credentials form body.")

# Sales Order fields
# the Sales Order fields it owns, by meaning (its descriptor)
FIELDS = PERFECTRX.order_fields
FIELD_PATIENT_ID = PERFECTRX_PATIENT_ID

STATUS_RECEIVED = "Received"
# PerfectRx acknowledgement status → the guide's perfectrx_status vocabulary
ACK_STATUS_MAP = {"RECEIVED": STATUS_RECEIVED, "SHIPPED": "Shipped", "DELIVERED": "Delivered",
                  "CANCELED": "Cancelled", "CANCELLED": "Cancelled"}

# What an Rx line cannot be sent without (Sales Order field → what the pharmacist needs)
RX_REQUIRED_ORDER_FIELDS = {
    "prescriber_npi": "Prescriber NPI",
    "prescriber_first_name": "Prescriber First Name",
    "prescriber_last_name": "Prescriber Last Name",
}
PATIENT_REQUIRED_ORDER_FIELDS = {
    "patient_first_name": "Patient First Name",
    "patient_last_name": "Patient Last Name",
    "patient_dob": "Patient Date of Birth",
}
EXTERNAL_PATIENT_PREFIX = "MG-"


def _settings():
    return frappe.get_single(SETTINGS_DOCTYPE)


def _credentials(settings) -> tuple[str, str, str]:
    base_url = vendor_base_url(VENDOR, settings.base_url, DEFAULT_BASE_URL)
    client_id = settings.client_id
    client_secret = settings.get_password("client_secret", raise_exception=False)
    if not (client_id and client_secret):
        raise VendorError("PerfectRx Settings have no client_id / client_secret", retryable=False)
    return base_url, client_id, client_secret


def _rate_limit(settings, base_url: str, client_id: str) -> RateLimit:
    return RateLimit(VENDOR, fingerprint(VENDOR, base_url, client_id),
                     cint(settings.rate_limit_requests) or DEFAULT_RATE_LIMIT_REQUESTS,
                     cint(settings.rate_limit_window_seconds) or DEFAULT_RATE_LIMIT_WINDOW_SECONDS)


def _token_cache_key(base_url: str, client_id: str, client_secret: str) -> str:
    # Per credentials, so rotating the secret never serves a token of the old one
    return TOKEN_CACHE_PREFIX + fingerprint(base_url, client_id, client_secret)


def invalidate_token(settings=None) -> None:
    """Drop the cached token (after a 401, or when the credentials change)."""
    settings = settings or _settings()
    frappe.cache().delete_value(_token_cache_key(*_credentials(settings)))


def get_access_token(settings=None, reference=(None, None)) -> str:
    """A bearer token valid for at least 30 more seconds, from the shared cache or freshly issued."""
    settings = settings or _settings()
    base_url, client_id, client_secret = _credentials(settings)
    key = _token_cache_key(base_url, client_id, client_secret)
    now = get_clock().time()
    cached = frappe.cache().get_value(key, expires=True)
    if cached and cached.get("expires_at", 0) - now > TOKEN_REFRESH_MARGIN_SECONDS:
        return cached["access_token"]

    client = VendorClient(VENDOR, base_url=base_url, policy=TOKEN_POLICY,
                          rate_limit=_rate_limit(settings, base_url, client_id),
                          secrets=(client_id, client_secret), reference=reference)
    response = client.request("POST", TOKEN_PATH,
                              json_body={"credentials": {"clientId": client_id, "clientSecret": client_secret}},
                              accept_statuses=(502,))
    if response.status_code == 502:
        raise VendorError(TOKEN_502_MESSAGE, retryable=False, status_code=502)
    body = response_json(response, VENDOR) or {}
    token = body.get("access_token")
    if not token:
        raise VendorError("PerfectRx issued no access_token", retryable=True, status_code=response.status_code)
    lifetime = cint(body.get("expires_in")) or DEFAULT_TOKEN_LIFETIME_SECONDS
    frappe.cache().set_value(key, {"access_token": token, "expires_at": now + lifetime},
                             expires_in_sec=max(1, lifetime - TOKEN_REFRESH_MARGIN_SECONDS))
    return token


class PerfectRxAPI:
    """Authenticated PerfectRx calls for one Sales Order (token, partner header, limits, logs)."""

    def __init__(self, settings, reference=(None, None)):
        self.settings = settings
        self.reference = reference
        self.base_url, self.client_id, self.client_secret = _credentials(settings)

    def _client(self, token: str) -> VendorClient:
        headers = {"Authorization": f"Bearer {token}"}
        if self.settings.partner_account:
            headers[PARTNER_HEADER] = self.settings.partner_account
        return VendorClient(VENDOR, base_url=self.base_url, headers=headers, policy=POLICY,
                            rate_limit=_rate_limit(self.settings, self.base_url, self.client_id),
                            secrets=(self.client_id, self.client_secret, token), reference=self.reference)

    def post(self, path: str, body: dict) -> dict:
        """POST ``body``; a 401 drops the cached token and tries once more with a new one."""
        token = get_access_token(self.settings, self.reference)
        response = self._client(token).request("POST", path, json_body=body, accept_statuses=(401,))
        if response.status_code == 401:
            invalidate_token(self.settings)
            token = get_access_token(self.settings, self.reference)
            response = self._client(token).request(
                "POST", path, json_body=body,
                error_messages={401: "PerfectRx refused a freshly issued token (HTTP 401): check the credentials"})
        return response_json(response, VENDOR) or {}


# -------------------------------------------------------------------------------------- payloads

def _address(address: dict) -> dict:
    country = country_code(address.get("country"))
    return {
        "line1": address.get("address_line1"),
        "line2": address.get("address_line2") or None,
        "city": address.get("city"),
        "state": state_code(address.get("state"), country),
        "zip": address.get("pincode"),
        "country": country,
    }


def external_patient_id(order) -> str:
    """MedGrid's stable id of the order's patient at PerfectRx (same clinic + name + birth date → same id),
    so ``patients/create`` finds the patient again instead of creating a twin."""
    dob = getdate(order.patient_dob).isoformat() if order.get("patient_dob") else ""
    return EXTERNAL_PATIENT_PREFIX + fingerprint(order.customer, (order.patient_first_name or "").strip().lower(),
                                                 (order.patient_last_name or "").strip().lower(), dob)


def _missing(order, required: dict) -> list[str]:
    return [label for fieldname, label in required.items() if not order.get(fieldname)]


def build_patient_payload(order, practice_id: str, address: dict) -> dict:
    return {
        "practiceId": practice_id,
        "patient": {
            "externalId": external_patient_id(order),
            "firstName": order.patient_first_name,
            "lastName": order.patient_last_name,
            "dateOfBirth": getdate(order.patient_dob).isoformat(),
            "gender": order.get("patient_gender") or None,
            "email": order.get("patient_email") or contact_email(order, address),
            "phone": order.get("patient_phone") or contact_phone(order, address),
            "address": _address(address),
        },
    }


def build_escript_payload(order, lines, practice_id: str, patient_id: str, address: dict) -> dict:
    medications = []
    for line in lines:
        row = order_item(order, line.sales_order_item)
        medications.append({
            "drugDescription": line.vendor_sku or line.item_name or line.item_code,
            "quantity": quantity(line.qty),
            "refills": cint(row.get("rx_refills")) if row else 0,
            "directions": (row.get("rx_directions") if row else None) or None,
            "daysSupply": (cint(row.get("rx_days_supply")) or None) if row else None,
        })
    return {
        "practiceId": practice_id,
        "patientId": patient_id,
        "externalOrderId": order.name,
        "prescriber": {"npi": order.prescriber_npi, "firstName": order.prescriber_first_name,
                       "lastName": order.prescriber_last_name},
        "medications": medications,
        "shipTo": _address(address),
    }


# An order with Rx and OTC lines places two PerfectRx orders; PerfectRx dedupes on externalOrderId, so
# the OTC one needs its own id or it would come back as the eScript's order and never be filled.
OTC_ORDER_SUFFIX = "-OTC"


def otc_external_order_id(order_name: str, with_rx: bool) -> str:
    return f"{order_name}{OTC_ORDER_SUFFIX}" if with_rx else order_name


def build_otc_payload(order, lines, practice_id: str, patient_id: str, address: dict, with_rx: bool = False) -> dict:
    return {
        "practiceId": practice_id,
        "patientId": patient_id,
        "externalOrderId": otc_external_order_id(order.name, with_rx),
        "items": [{"drugDescription": line.vendor_sku or line.item_name or line.item_code,
                   "quantity": quantity(line.qty)} for line in lines],
        "shipTo": _address(address),
    }


# ------------------------------------------------------------------------------------- connector

class PerfectRxConnector(Connector):
    """Sends prescriptions (eScript) and OTC lines of a Sales Order to PerfectRx."""

    key = VENDOR

    def is_configured(self) -> bool:
        settings = _settings()
        return bool(settings.enabled and settings.client_id and settings.default_practice_id
                    and settings.get_password("client_secret", raise_exception=False))

    def resolve_connection(self, vendor_profile: str | None):
        return SETTINGS_DOCTYPE, SETTINGS_DOCTYPE

    def send(self, dispatch, order) -> SendResult:
        """Patient create-or-find, then one eScript for the Rx lines and one OTC transfer for the rest.

        The calls carry ``externalOrderId`` = the Sales Order name (``<name>-OTC`` for the OTC part of an
        order that also has Rx lines), so a re-send returns the same ``referenceId`` instead of a second order. ``perfectrx_reference_id`` holds the eScript's reference
        (the OTC one when there are no Rx lines); the dispatch's ``vendor_reference`` lists both.
        """
        settings = _settings()
        practice_id = settings.default_practice_id
        if not practice_id:
            raise VendorError("PerfectRx Settings have no default_practice_id", retryable=False)
        rx_lines = [line for line in dispatch.lines if cint(line.requires_prescription)]
        otc_lines = [line for line in dispatch.lines if not cint(line.requires_prescription)]
        missing = _missing(order, PATIENT_REQUIRED_ORDER_FIELDS)
        if rx_lines:
            missing += _missing(order, RX_REQUIRED_ORDER_FIELDS)
        if missing:
            raise VendorError(f"Sales Order {order.name} cannot go to PerfectRx without: {', '.join(missing)}",
                              retryable=False)
        address = get_shipping_address(order)
        api = PerfectRxAPI(settings, (SALES_ORDER, order.name))

        patient_id = order.get(FIELD_PATIENT_ID)
        if not patient_id:
            patient = api.post(PATIENT_PATH, build_patient_payload(order, practice_id, address))
            patient_id = patient.get("patientId")
            if not patient_id:
                raise VendorError("PerfectRx returned no patientId", retryable=True)

        references, status = {}, None
        if rx_lines:
            answer = api.post(ESCRIPT_PATH, build_escript_payload(order, rx_lines, practice_id, patient_id, address))
            references["rx"], status = answer.get("referenceId"), answer.get("status")
        if otc_lines:
            answer = api.post(OTC_PATH, build_otc_payload(order, otc_lines, practice_id, patient_id, address,
                                                          with_rx=bool(rx_lines)))
            references["otc"] = answer.get("referenceId")
            status = status or answer.get("status")
        if not all(references.values()):
            raise VendorError("PerfectRx acknowledged the order without a referenceId", retryable=True)

        primary = references.get("rx") or references.get("otc")
        return SendResult(
            vendor_order_id=primary,
            vendor_reference=", ".join(f"{kind}:{ref}" for kind, ref in references.items()),
            order_fields={FIELDS.vendor_order_id: primary, FIELD_PATIENT_ID: patient_id,
                          FIELDS.status: ACK_STATUS_MAP.get(str(status or "").upper(), STATUS_RECEIVED),
                          FIELDS.sync_date: now_datetime()},
            already_placed=bool(order.get(FIELDS.vendor_order_id) and order.get(FIELDS.vendor_order_id) == primary),
        )
