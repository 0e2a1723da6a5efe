"""``GET /api/method/medgrid.api.openapi.get_openapi``: the OpenAPI 3.1 document of MedGrid's public API.

The document is written by hand and kept next to this module (``openapi.json``); this endpoint only
serves it, with the serving site's own URL as the first server so that tools pointed at a site talk
to that site. It is sent as the raw document (Frappe's ``download`` response type shown inline), not
wrapped in ``{"message": …}``, so OpenAPI tools read it as it is — the same on the runtime and on a bench.
"""

from __future__ import annotations

import copy
import functools
import json
import os

import frappe

DOCUMENT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi.json")


@functools.lru_cache(maxsize=1)
def _stored_document() -> dict:
    with open(DOCUMENT_PATH, encoding="utf-8") as f:
        return json.load(f)


def load_document() -> dict:
    """The document as kept in the repo (a fresh copy the caller may change)."""
    return copy.deepcopy(_stored_document())


def document_for_site() -> dict:
    """The document with this site's URL listed first among the servers."""
    document = load_document()
    here = frappe.utils.get_url().rstrip("/")
    servers = [s for s in document.get("servers") or [] if s.get("url") != here]
    document["servers"] = [{"url": here, "description": "This site"}] + servers
    return document


@frappe.whitelist(allow_guest=True, methods=["GET"])
def get_openapi():
    """The OpenAPI document as ``application/json`` (public: it names no secret and no tenant data)."""
    frappe.response["type"] = "download"
    frappe.response["filename"] = "openapi.json"
    frappe.response["content_type"] = "application/json"
    frappe.response["display_content_as"] = "inline"
    frappe.response["filecontent"] = json.dumps(document_for_site(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
