"""SINQ Ops sandbox: inbound orders and status webhooks.

SINQ publishes nothing; the MedGrid guide and ``shared/vendors/contracts.md`` are the contract:

* ``POST /api/receivers/orders/inbound`` with header ``key: <sinq_api_key>`` (401 otherwise) and the
  guide's body → ``201 {"reference", "transactionId"}``; the same ``reference`` again → ``200`` with the
  same ``transactionId``.
* Each new order plays ``synced → pending → shipped (tracking) → completed`` as webhooks to MedGrid,
  with header ``key: <sinq_webhook_key>`` and, when a webhook secret is configured,
  ``X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. The body is format A (flat)
  or B (``{"type": "order.<status>", "data": {…}}``) — ``webhook_format`` ``"A"``, ``"B"`` or
  ``"alternate"`` — and carries an ``"id"`` unless ``include_event_id`` is false.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets

from sandbox.framework import HTTPError, Request, Response, VendorSandbox, fingerprint, route, utcnow_iso

STATUSES = ("synced", "pending", "shipped", "completed", "cancelled", "failed")


def sinq_signature(secret: str, body: bytes) -> str:
    """The ``X-Webhook-Signature`` header value for a webhook body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class SinqSandbox(VendorSandbox):
    """In-memory SINQ Ops fulfilment API."""

    name = "sinq"
    default_port = 9103
    webhook_path = "/api/method/medgrid.sinq.webhook"
    default_config = {
        "api_key": "sandbox-sinq-api-key",
        "webhook_key": "sandbox-sinq-webhook-key",
        "webhook_secret": "sandbox-sinq-webhook-secret",  # null → no X-Webhook-Signature header
        "webhook_format": "A",                            # "A", "B" or "alternate"
        "include_event_id": True,
        "known_skus": None,                               # list → other serviceSKUs get 422
        "carrier": "UPS",
    }

    def medgrid_settings(self) -> dict:
        c = self.config
        return {"SINQ Settings": {"sinq_api_url": self.base_url, "sinq_api_key": c["api_key"],
                                  "sinq_webhook_key": c["webhook_key"], "sinq_webhook_secret": c.get("webhook_secret")}}

    def reset_state(self) -> None:
        self.orders: dict[str, dict] = {}
        self._txn = itertools.count(1)
        self._events = itertools.count(1)
        self._alternate = itertools.count()

    def snapshot(self) -> dict:
        return {"orders": list(self.orders.values())}

    def _auth(self, request: Request) -> None:
        key = request.header("key") or ""
        if not key or not hmac.compare_digest(key, str(self.config["api_key"])):
            raise HTTPError(401, {"message": "Unauthorized: missing or invalid key header"})
        request.client = fingerprint(key)

    @route("POST", r"/api/receivers/orders/inbound")
    def inbound(self, request: Request) -> Response:
        """Accept an order; a repeated ``reference`` answers 200 with the first ``transactionId``."""
        self._auth(request)
        body = request.json()
        if not isinstance(body, dict):
            raise HTTPError(400, {"message": "A JSON object is required"})
        errors = []
        if not body.get("reference"):
            errors.append("reference is required")
        items = body.get("lineItems")
        if not isinstance(items, list) or not items:
            errors.append("lineItems must be a non-empty list")
            items = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("serviceSKU"):
                errors.append(f"lineItems[{i}].serviceSKU is required")
            elif not isinstance(item.get("quantity"), int) or item["quantity"] < 1:
                errors.append(f"lineItems[{i}].quantity must be a positive integer")
        address = body.get("shippingAddress")
        if not isinstance(address, dict):
            errors.append("shippingAddress is required")
        else:
            for field in ("address1", "city", "provinceCode", "zip", "countryCode"):
                if not address.get(field):
                    errors.append(f"shippingAddress.{field} is required")
        if errors:
            raise HTTPError(400, {"message": "Validation failed", "errors": errors})
        known = self.config.get("known_skus")
        unknown = [i["serviceSKU"] for i in items if known and i["serviceSKU"] not in known]
        if unknown:
            raise HTTPError(422, {"message": f"Unknown serviceSKU: {', '.join(unknown)}"})
        reference = str(body["reference"])
        with self.lock:
            order = self.orders.get(reference)
            if order:
                order["repeats"] += 1
                return Response.json({"reference": reference, "transactionId": order["transactionId"]}, 200)
            order = {"reference": reference, "transactionId": f"sinq-txn-{next(self._txn):06d}{secrets.token_hex(3)}",
                     "status": "synced", "request": body, "tracking": None, "createdAt": utcnow_iso(), "repeats": 0}
            self.orders[reference] = order
        self.schedule(reference, [(status, lambda s=status: self._progress(reference, s))
                                  for status in ("synced", "pending", "shipped", "completed")])
        return Response.json({"reference": reference, "transactionId": order["transactionId"]}, 201)

    # ---- timeline and webhooks
    def _progress(self, reference: str, status: str) -> None:
        with self.lock:
            order = self.orders.get(reference)
            if not order or order["status"] in ("cancelled", "failed") and status not in ("cancelled", "failed"):
                return
            if status == "shipped" and not order["tracking"]:
                number = "1Z" + secrets.token_hex(8).upper()
                order["tracking"] = {"trackingNumber": number, "trackingUrl": f"https://www.ups.com/track?tracknum={number}",
                                     "shipBy": self.config["carrier"]}
            order["status"] = status
            payload = {"reference": reference, "status": status, "transactionId": order["transactionId"]}
            if order["tracking"] and status in ("shipped", "completed"):
                payload["tracking"] = dict(order["tracking"])
            event_id = f"evt_{next(self._events):06d}{secrets.token_hex(4)}"
            fmt = str(self.config.get("webhook_format") or "A").upper()
            if fmt == "ALTERNATE":
                fmt = "B" if next(self._alternate) % 2 else "A"
        if fmt == "B":
            body = {"type": f"order.{status}", "data": payload, "createdAt": utcnow_iso()}
        else:
            body = {**payload, "updatedAt": utcnow_iso()}
        if self.config.get("include_event_id", True):
            body = {"id": event_id, **body}
        raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.webhooks.send(f"order.{status}", self.webhook_url, raw, self._sign, {"key": self.config["webhook_key"]},
                           order=reference)

    def _sign(self, body: bytes, tamper: bool) -> dict:
        secret = self.config.get("webhook_secret")
        if not secret:
            return {}
        return {"X-Webhook-Signature": sinq_signature(str(secret) + ("-wrong" if tamper else ""), body)}

    # ---- control actions
    def _action_status(self, payload: dict) -> dict:
        """Send a status now: ``{"action": "cancel"|"fail"|"status", "order": reference, "status": …}``."""
        status = {"cancel": "cancelled", "fail": "failed"}.get(payload.get("action")) or payload.get("status")
        if status not in STATUSES:
            raise HTTPError(400, {"error": f"status must be one of {STATUSES}"})
        reference = str(payload.get("order") or "")
        with self.lock:
            if reference not in self.orders:
                raise HTTPError(404, {"error": f"no order {reference}"})
        if status in ("cancelled", "failed"):
            self.timeline.clear_key(reference)
        self._progress(reference, status)
        with self.lock:
            return {"order": self.orders[reference], "delivery": self.webhooks.deliveries[-1]}

    actions = {"cancel": _action_status, "fail": _action_status, "status": _action_status}
