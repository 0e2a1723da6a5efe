"""PerfectRx sandbox: OAuth2 token, patients, eScripts, OTC transfers and signed status webhooks.

Wire format as fixed by ``shared/vendors/contracts.md`` (PerfectRx publishes no API reference; the
MedGrid guide and that page are the contract):

* ``POST /v1/oauth2/token`` takes ``{"credentials": {"clientId", "clientSecret"}}`` and answers
  ``{"access_token", "token_type": "Bearer", "expires_in"}``. A ``grant_type=client_credentials`` form
  body gets **502**, as the guide warns; wrong credentials get 401.
* Every other call needs ``Authorization: Bearer <token>`` (401 when missing, unknown or expired) and,
  when a ``partner_account`` is configured, ``X-Partner-Account`` with that value (403 otherwise).
* ``POST /v1/patients/create`` creates or finds (by ``externalId``, else name + date of birth).
* ``POST /v1/prescriptions/transmitEScript`` and ``POST /v1/otc/transfer`` are idempotent by
  ``externalOrderId``: a repeat returns the same ``referenceId``.
* Each new order then plays ORDER_RECEIVED → ORDER_SHIPPED (tracking) → ORDER_DELIVERED as webhooks to
  MedGrid, signed: ``X-PerfectRx-Signature`` = hex HMAC-SHA256(client_secret, nonce + timestamp +
  hex(SHA-256(raw body))), with ``X-PerfectRx-Nonce`` (UUID) and ``X-PerfectRx-Timestamp`` (unix s).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import uuid

from sandbox.framework import HTTPError, Request, Response, VendorSandbox, route, utcnow_iso

PRACTICE_ERROR = "practiceId is not a practice of this client"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def perfectrx_signature(secret: str, nonce: str, timestamp: str, body: bytes) -> str:
    """The ``X-PerfectRx-Signature`` value for a webhook body (contracts.md)."""
    message = nonce + timestamp + hashlib.sha256(body).hexdigest()
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


class PerfectRxSandbox(VendorSandbox):
    """In-memory PerfectRx pharmacy API."""

    name = "perfectrx"
    default_port = 9101
    webhook_path = "/api/method/medgrid.perfectrx.webhook"
    default_config = {
        "client_id": "sandbox-perfectrx-client",
        "client_secret": "sandbox-perfectrx-secret",
        # practiceIds accepted on calls; empty list = any
        "practice_ids": ["PRACTICE-001"],
        "partner_account": None,
        "token_ttl": 3600,
        "carrier": "UPS",
        # also send PATIENT_CREATION_SUCCESS when a patient is created
        "patient_events": False,
    }

    def medgrid_settings(self) -> dict:
        c = self.config
        return {"PerfectRx Settings": {"base_url": self.base_url, "client_id": c["client_id"],
                                       "client_secret": c["client_secret"],
                                       "default_practice_id": (c.get("practice_ids") or ["PRACTICE-001"])[0],
                                       "partner_account": c.get("partner_account")}}

    def reset_state(self) -> None:
        self.tokens: dict[str, float] = {}
        self.patients: dict[str, dict] = {}
        self.orders: dict[str, dict] = {}          # referenceId → order
        self.by_external: dict[str, str] = {}      # externalOrderId → referenceId
        self._ref_seq = itertools.count(100001)
        self._patient_seq = itertools.count(5001)

    def snapshot(self) -> dict:
        return {"orders": list(self.orders.values()), "patients": list(self.patients.values()),
                "tokens_issued": len(self.tokens)}

    def rate_limit_response(self, request: Request) -> Response:
        return Response.json({"error": "rate_limited", "message": "Too many requests"}, 429, {"Retry-After": "2"})

    # ---- auth
    @route("POST", r"/v1/oauth2/token")
    def token(self, request: Request) -> Response:
        """Issue a bearer token for the nested-credentials body; anything else is a 502."""
        if request.content_type != "application/json":
            raise HTTPError(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        try:
            body = request.json()
        except HTTPError:
            raise HTTPError(502, "<html><body><h1>502 Bad Gateway</h1></body></html>") from None
        creds = body.get("credentials") if isinstance(body, dict) else None
        if not isinstance(creds, dict) or "grant_type" in (body or {}):
            raise HTTPError(502, "<html><body><h1>502 Bad Gateway</h1></body></html>")
        client_id, client_secret = str(creds.get("clientId") or ""), str(creds.get("clientSecret") or "")
        ok = (hmac.compare_digest(client_id, str(self.config["client_id"]))
              and hmac.compare_digest(client_secret, str(self.config["client_secret"])))
        if not ok:
            raise HTTPError(401, {"error": "invalid_client", "message": "Unknown clientId or wrong clientSecret"})
        token = "prx_" + secrets.token_urlsafe(24)
        ttl = int(self.config["token_ttl"])
        with self.lock:
            now = time.time()
            self.tokens = {t: exp for t, exp in self.tokens.items() if exp > now}
            self.tokens[token] = now + ttl
        request.client = "client:" + client_id
        return Response.json({"access_token": token, "token_type": "Bearer", "expires_in": ttl})

    def _authorize(self, request: Request) -> None:
        auth = request.header("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPError(401, {"error": "unauthorized", "message": "Bearer token required"})
        with self.lock:
            expires = self.tokens.get(token.strip())
        if expires is None:
            raise HTTPError(401, {"error": "invalid_token", "message": "Unknown access token"})
        if expires <= time.time():
            raise HTTPError(401, {"error": "invalid_token", "message": "Access token expired"})
        request.client = "client:" + str(self.config["client_id"])
        expected_partner = self.config.get("partner_account")
        if expected_partner and request.header("X-Partner-Account") != expected_partner:
            raise HTTPError(403, {"error": "forbidden", "message": "X-Partner-Account missing or not allowed"})

    def _practice(self, body: dict) -> str:
        practice = body.get("practiceId")
        allowed = self.config.get("practice_ids") or []
        if not practice:
            raise HTTPError(400, {"error": "validation_error", "message": "practiceId is required"})
        if allowed and str(practice) not in [str(p) for p in allowed]:
            raise HTTPError(400, {"error": "validation_error", "message": PRACTICE_ERROR})
        return str(practice)

    @staticmethod
    def _require(obj: dict, fields: list[str], where: str) -> None:
        missing = [f for f in fields if obj.get(f) in (None, "")]
        if missing:
            raise HTTPError(400, {"error": "validation_error",
                                  "message": f"{where}: missing {', '.join(missing)}", "fields": missing})

    # ---- patients
    @route("POST", r"/v1/patients/create")
    def create_patient(self, request: Request) -> Response:
        """Create the patient, or return the existing one with ``created: false``."""
        self._authorize(request)
        body = request.json()
        if not isinstance(body, dict):
            raise HTTPError(400, {"error": "validation_error", "message": "JSON object expected"})
        practice = self._practice(body)
        patient = body.get("patient")
        if not isinstance(patient, dict):
            raise HTTPError(400, {"error": "validation_error", "message": "patient is required"})
        self._require(patient, ["firstName", "lastName", "dateOfBirth"], "patient")
        if not _DATE_RE.match(str(patient["dateOfBirth"])):
            raise HTTPError(400, {"error": "validation_error", "message": "patient.dateOfBirth must be YYYY-MM-DD"})
        with self.lock:
            existing = self._find_patient(practice, patient)
            if existing:
                return Response.json({"patientId": existing["patientId"], "created": False})
            record = {"patientId": f"PT-{next(self._patient_seq)}", "practiceId": practice,
                      "createdAt": utcnow_iso(), **patient}
            self.patients[record["patientId"]] = record
        if self.config.get("patient_events"):
            self.schedule(record["patientId"], [("PATIENT_CREATION_SUCCESS",
                                                 lambda: self._send_event("PATIENT_CREATION_SUCCESS", None,
                                                                          {"patientId": record["patientId"]}))])
        return Response.json({"patientId": record["patientId"], "created": True})

    def _find_patient(self, practice: str, patient: dict) -> dict | None:
        ext = patient.get("externalId")
        for record in self.patients.values():
            if record["practiceId"] != practice:
                continue
            if ext and record.get("externalId") == ext:
                return record
            if not ext and all(str(record.get(k, "")).lower() == str(patient.get(k, "")).lower()
                               for k in ("firstName", "lastName", "dateOfBirth")):
                return record
        return None

    # ---- orders
    @route("POST", r"/v1/prescriptions/transmitEScript")
    def transmit_escript(self, request: Request) -> Response:
        """Accept an eScript (idempotent by externalOrderId)."""
        self._authorize(request)
        body = self._order_body(request)
        meds = body.get("medications")
        if not isinstance(meds, list) or not meds:
            raise HTTPError(400, {"error": "validation_error", "message": "medications must be a non-empty list"})
        for i, med in enumerate(meds):
            self._require(med if isinstance(med, dict) else {}, ["drugDescription", "quantity"], f"medications[{i}]")
        prescriber = body.get("prescriber")
        if not isinstance(prescriber, dict):
            raise HTTPError(400, {"error": "validation_error", "message": "prescriber is required"})
        self._require(prescriber, ["npi", "firstName", "lastName"], "prescriber")
        if not re.fullmatch(r"\d{10}", str(prescriber["npi"])):
            raise HTTPError(400, {"error": "validation_error", "message": "prescriber.npi must be 10 digits"})
        return self._place(body, "RX", request)

    @route("POST", r"/v1/otc/transfer")
    def otc_transfer(self, request: Request) -> Response:
        """Accept an OTC order (idempotent by externalOrderId)."""
        self._authorize(request)
        body = self._order_body(request)
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise HTTPError(400, {"error": "validation_error", "message": "items must be a non-empty list"})
        for i, item in enumerate(items):
            self._require(item if isinstance(item, dict) else {}, ["drugDescription", "quantity"], f"items[{i}]")
        return self._place(body, "OTC", request)

    def _order_body(self, request: Request) -> dict:
        body = request.json()
        if not isinstance(body, dict):
            raise HTTPError(400, {"error": "validation_error", "message": "JSON object expected"})
        self._practice(body)
        self._require(body, ["patientId", "externalOrderId", "shipTo"], "order")
        with self.lock:
            if body["patientId"] not in self.patients:
                raise HTTPError(404, {"error": "not_found", "message": f"patient {body['patientId']} not found"})
        return body

    def _place(self, body: dict, kind: str, request: Request) -> Response:
        external = str(body["externalOrderId"])
        with self.lock:
            ref = self.by_external.get(external)
            if ref:
                order = self.orders[ref]
                order["repeats"] += 1
                return Response.json({"referenceId": ref, "status": order["status"]})
            ref = f"PRX-{next(self._ref_seq)}"
            order = {"referenceId": ref, "externalOrderId": external, "kind": kind, "status": "RECEIVED",
                     "patientId": body["patientId"], "practiceId": body["practiceId"], "request": body,
                     "partnerAccount": request.header("X-Partner-Account"), "createdAt": utcnow_iso(),
                     "repeats": 0, "tracking": None}
            self.orders[ref] = order
            self.by_external[external] = ref
        self.schedule(ref, [
            ("ORDER_RECEIVED", lambda: self._progress(ref, "ORDER_RECEIVED")),
            ("ORDER_SHIPPED", lambda: self._progress(ref, "ORDER_SHIPPED")),
            ("ORDER_DELIVERED", lambda: self._progress(ref, "ORDER_DELIVERED")),
        ])
        return Response.json({"referenceId": ref, "status": "RECEIVED"})

    # ---- timeline and webhooks
    def _progress(self, ref: str, event: str) -> None:
        with self.lock:
            order = self.orders.get(ref)
            if not order or order["status"] == "CANCELED":
                return
            if event in ("ORDER_SHIPPED", "ORDER_RESHIPPED"):
                number = "1Z" + secrets.token_hex(8).upper()
                order["tracking"] = {"trackingNumber": number, "carrier": self.config["carrier"],
                                     "trackingUrl": f"https://www.ups.com/track?tracknum={number}"}
            order["status"] = {"ORDER_RECEIVED": "RECEIVED", "ORDER_SHIPPED": "SHIPPED",
                               "ORDER_RESHIPPED": "SHIPPED", "ORDER_DELIVERED": "DELIVERED",
                               "ORDER_CANCELED": "CANCELED"}[event]
            data = {"patientId": order["patientId"], **(order["tracking"] or {})}
        self._send_event(event, ref, data)

    def _send_event(self, event: str, ref: str | None, data: dict) -> None:
        with self.lock:
            order = self.orders.get(ref) if ref else None
        body = {"event": event, "referenceId": ref, "externalOrderId": order["externalOrderId"] if order else None,
                "occurredAt": utcnow_iso(), "data": {"trackingNumber": None, "carrier": None, "trackingUrl": None,
                                                     "patientId": None, "reason": None, **data}}
        raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.webhooks.send(event, self.webhook_url, raw, self._sign, order=ref)

    def _sign(self, body: bytes, tamper: bool) -> dict:
        nonce, timestamp = str(uuid.uuid4()), str(int(time.time()))
        secret = str(self.config["client_secret"]) + ("-wrong" if tamper else "")
        return {"X-PerfectRx-Signature": perfectrx_signature(secret, nonce, timestamp, body),
                "X-PerfectRx-Nonce": nonce, "X-PerfectRx-Timestamp": timestamp}

    # ---- control actions
    def _action_event(self, payload: dict) -> dict:
        """Send ORDER_CANCELED / ORDER_RESHIPPED (or any named event) for an order now.

        Payload: ``{"action": "cancel"|"reship"|"event", "order": referenceId or externalOrderId,
        "event": "ORDER_…" (for "event"), "reason": "…"}``. Cancelling drops the rest of the timeline.
        """
        event = payload.get("event") or {"cancel": "ORDER_CANCELED", "reship": "ORDER_RESHIPPED"}.get(
            payload.get("action"))
        if not event:
            raise HTTPError(400, {"error": "event is required"})
        with self.lock:
            ref = payload.get("order")
            ref = ref if ref in self.orders else self.by_external.get(ref)
            if not ref:
                raise HTTPError(404, {"error": f"no order {payload.get('order')}"})
            patient = self.orders[ref]["patientId"]
        if event == "ORDER_CANCELED":
            self.timeline.clear_key(ref)
            with self.lock:
                self.orders[ref]["status"] = "CANCELED"
            self._send_event(event, ref, {"patientId": patient,
                                          "reason": payload.get("reason", "Canceled by pharmacy")})
        elif event in ("ORDER_RECEIVED", "ORDER_SHIPPED", "ORDER_RESHIPPED", "ORDER_DELIVERED"):
            self._progress(ref, event)
        else:
            self._send_event(event, ref, payload.get("data") or {"patientId": patient})
        with self.lock:
            return {"order": self.orders[ref], "delivery": self.webhooks.deliveries[-1]}

    def _action_expire_tokens(self, payload: dict) -> dict:
        """Make every issued token expired (to test MedGrid's refresh-on-401)."""
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0
        return {"expired": len(self.tokens)}

    actions = {"cancel": _action_event, "reship": _action_event, "event": _action_event,
               "expire_tokens": _action_expire_tokens}
