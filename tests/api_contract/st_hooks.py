"""Schemathesis hooks for the contract run (loaded by ``st run`` through ``SCHEMATHESIS_HOOKS``).

They make the generated requests look like the site's real callers:

* operations that need a login get the partner's ``Authorization: token key:secret``; public ones
  (``security: []`` — webhooks, OAuth callbacks, the document) get none;
* order names in paths, queries and bodies (webhook order references too) are, most of the time, the
  partner's real orders, so the order endpoints answer about real documents and not only with 404, and
  signed vendor events are applied to real orders;
* three webhook deliveries in four are signed with the secrets the demo site is configured with
  (the others keep the generated, wrong credentials and must be refused), so fuzzing reaches the
  parsing and storing behind the verification;
* a ShipStation ``resource_url`` on a ShipStation host is pointed at the ShipStation sandbox, so the
  worker that applies the event never calls the real ShipStation;
* a 500 whose traceback matches an entry of ``known_causes.KNOWN_CAUSES`` is recorded (one JSON line
  in ``MEDGRID_CONTRACT_KNOWN_LOG``) instead of failing its operation; nothing else is filtered.

The run's values come from the environment (``MEDGRID_CONTRACT_*``, set by the test).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import schemathesis
from hypothesis import strategies as st

from tests.api_contract.known_causes import known_cause

# The sandbox credentials scripts/demo_site.py configures a demo site with (tests/e2e/stack.py builds it so)
PERFECTRX_SECRET = "sandbox-perfectrx-secret"
SINQ_WEBHOOK_KEY = "sandbox-sinq-webhook-key"
SINQ_WEBHOOK_SECRET = "sandbox-sinq-webhook-secret"
EXOCEUTICALS_SHOP = "exoceuticals.myshopify.com"
EXOCEUTICALS_WEBHOOK_SECRET = "sandbox-exoceuticals-webhook-secret"
SHIPSTATION_WEBHOOK_TOKEN = "sandbox-shipstation-webhook-token"

PERFECTRX_WEBHOOK = "/api/method/medgrid.perfectrx.webhook"
SHIPSTATION_WEBHOOK = "/api/method/medgrid.shipstation.webhook"
SINQ_WEBHOOK = "/api/method/medgrid.sinq.webhook"
EXOCEUTICALS_WEBHOOK = "/api/method/medgrid.exoceuticals.webhook"
WEBHOOKS = (PERFECTRX_WEBHOOK, SHIPSTATION_WEBHOOK, SINQ_WEBHOOK, EXOCEUTICALS_WEBHOOK)

# where an order name travels: path parameter ``name``, query or body field ``sales_order``, and the
# order reference of a PerfectRx event (``externalOrderId``) or a flat SINQ update (``reference``)
ORDER_KEYS = ("name", "sales_order", "externalOrderId", "reference")


def _env(name: str) -> str:
    return os.environ.get(f"MEDGRID_CONTRACT_{name}", "")


AUTHORIZATION = _env("AUTHORIZATION")
ORDERS = [n for n in _env("ORDERS").split(",") if n]
SHIPSTATION_SANDBOX = _env("SHIPSTATION_SANDBOX")
KNOWN_LOG = _env("KNOWN_LOG")


def _with_real_orders(values):
    """The generated values, or the same with a real order name in place of the generated one."""
    if not isinstance(values, dict) or not ORDERS:
        return st.just(values)
    keys = [k for k in ORDER_KEYS if k in values]
    if not keys:
        return st.just(values)
    return st.sampled_from([values] + [{**values, **{k: name for k in keys}} for name in ORDERS])


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    return _with_real_orders(path_parameters)


@schemathesis.hook
def flatmap_query(context, query):
    return _with_real_orders(query)


@schemathesis.hook
def flatmap_body(context, body):
    return _with_real_orders(body)


def is_public(operation) -> bool:
    return operation.definition.raw.get("security") == []


@schemathesis.hook
def before_call(context, case, kwargs):
    if not is_public(case.operation) and AUTHORIZATION:
        case.headers = {**(case.headers or {}), "Authorization": AUTHORIZATION}
    if case.operation.path in WEBHOOKS:
        raw = _webhook_body(case)
        if raw is not None:
            kwargs["data"] = raw  # the exact bytes that were signed


def _webhook_body(case) -> bytes | None:
    """Serialise a webhook body once and (three times in four) sign exactly those bytes."""
    if case.media_type != "application/json" or not isinstance(case.body, (dict, list, str, int, float, bool)):
        return None
    body = case.body
    path = case.operation.path
    if path == SHIPSTATION_WEBHOOK and isinstance(body, dict) and isinstance(body.get("resource_url"), str):
        body = {**body, "resource_url": to_sandbox(body["resource_url"], SHIPSTATION_SANDBOX)}
    raw = json.dumps(body).encode()
    if hashlib.sha256(raw).digest()[0] % 4 == 0:
        return raw
    headers = dict(case.headers or {})
    if path == PERFECTRX_WEBHOOK:
        nonce, timestamp = str(uuid.uuid4()), str(int(time.time()))
        message = nonce + timestamp + hashlib.sha256(raw).hexdigest()
        headers.update({"X-PerfectRx-Nonce": nonce, "X-PerfectRx-Timestamp": timestamp,
                        "X-PerfectRx-Signature": hmac.new(PERFECTRX_SECRET.encode(), message.encode(),
                                                          hashlib.sha256).hexdigest()})
    elif path == SINQ_WEBHOOK:
        headers.update({"key": SINQ_WEBHOOK_KEY, "X-Webhook-Signature": "sha256=" + hmac.new(
            SINQ_WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()})
    elif path == EXOCEUTICALS_WEBHOOK:
        headers.update({"X-Shopify-Shop-Domain": EXOCEUTICALS_SHOP, "X-Shopify-Hmac-Sha256": base64.b64encode(
            hmac.new(EXOCEUTICALS_WEBHOOK_SECRET.encode(), raw, hashlib.sha256).digest()).decode()})
    elif path == SHIPSTATION_WEBHOOK:
        query = {k: v for k, v in (case.query or {}).items() if k != "connection"}
        case.query = {**query, "token": SHIPSTATION_WEBHOOK_TOKEN}
    case.headers = headers
    return raw


def to_sandbox(url: str, sandbox: str) -> str:
    """``url`` with a ShipStation host replaced by the sandbox's origin (other URLs unchanged)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return url
    if sandbox and (host == "shipstation.com" or host.endswith(".shipstation.com")):
        base = urlsplit(sandbox)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
    return url


@schemathesis.hook
def filter_failure(context, failure, case, response):
    cause = known_cause(response.status_code, response.content)
    if cause is None:
        return True
    if KNOWN_LOG:
        with open(KNOWN_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"cause": cause.key, "operation": f"{case.method.upper()} {case.operation.path}",
                                "check": type(failure).__name__,
                                # schemathesis masks Authorization and other secrets in the command
                                "request": case.as_curl_command()}) + "\n")
    return False
