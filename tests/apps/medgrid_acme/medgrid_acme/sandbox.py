"""The Acme sandbox: orders in memory, each played ``accepted → packed → shipped → delivered`` as signed webhooks."""

from __future__ import annotations

import hmac
import itertools
import json
import secrets

from sandbox.framework import HTTPError, Request, Response, VendorSandbox, fingerprint, route, utcnow_iso

from medgrid_acme.vendor import signature

TIMELINE = ("packed", "shipped", "delivered")


class AcmeSandbox(VendorSandbox):
    name = "acme"
    default_port = 9106
    webhook_path = "/api/method/medgrid_acme.vendor.webhook"
    default_config = {"api_key": "sandbox-acme-api-key", "webhook_secret": "sandbox-acme-webhook-secret",
                      "carrier": "UPS"}

    def medgrid_settings(self) -> dict:
        return {"Acme Settings": {"api_url": self.base_url, "api_key": self.config["api_key"],
                                  "webhook_secret": self.config["webhook_secret"]}}

    def reset_state(self) -> None:
        self.orders: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._events = itertools.count(1)

    def snapshot(self) -> dict:
        return {"orders": list(self.orders.values())}

    def _auth(self, request: Request) -> None:
        sent = (request.header("Authorization") or "").removeprefix("Bearer ").strip()
        if not sent or not hmac.compare_digest(sent, str(self.config["api_key"])):
            raise HTTPError(401, {"error": "invalid API key"})
        request.client = fingerprint(sent)

    @route("POST", r"/v1/orders")
    def create(self, request: Request) -> Response:
        self._auth(request)
        body = request.json()
        if not isinstance(body, dict) or not body.get("reference") or not body.get("lines"):
            raise HTTPError(400, {"error": "reference and lines are required"})
        reference = str(body["reference"])
        with self.lock:
            existing = next((o for o in self.orders.values() if o["reference"] == reference), None)
            if existing:
                return Response.json({"id": existing["id"], "status": existing["status"]}, 200)
            order = {"id": f"acme-{next(self._ids):06d}", "reference": reference, "status": "accepted",
                     "lines": body["lines"], "tracking": None, "createdAt": utcnow_iso()}
            self.orders[order["id"]] = order
        self.schedule(order["id"], [(status, lambda s=status: self._progress(order["id"], s)) for status in TIMELINE])
        return Response.json({"id": order["id"], "status": "accepted"}, 201)

    @route("GET", r"/v1/orders/(?P<order_id>[^/]+)")
    def read(self, request: Request) -> Response:
        self._auth(request)
        order = self.orders.get(request.params["order_id"])
        if not order:
            raise HTTPError(404, {"error": "no such order"})
        return Response.json({"id": order["id"], "reference": order["reference"], "status": order["status"],
                              "tracking": order["tracking"]})

    def _progress(self, order_id: str, status: str) -> None:
        with self.lock:
            order = self.orders[order_id]
            if status == "shipped":
                order["tracking"] = {"number": "1Z" + secrets.token_hex(8).upper(), "carrier": self.config["carrier"]}
            order["status"] = status
            body = {"event_id": f"acme-evt-{next(self._events):06d}", "order_id": order_id,
                    "reference": order["reference"], "status": status, "tracking": order["tracking"],
                    "occurred_at": utcnow_iso()}
        raw = json.dumps(body, separators=(",", ":")).encode()
        self.webhooks.send(f"order.{status}", self.webhook_url, raw, self._sign, order=order_id)

    def _sign(self, body: bytes, tamper: bool) -> dict:
        secret = str(self.config["webhook_secret"]) + ("-wrong" if tamper else "")
        return {"X-Acme-Signature": signature(body, secret)}
