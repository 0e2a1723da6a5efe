"""The ``/api`` entry point: one URL map for v1 (mounted at ``/api`` and ``/api/v1``) and v2.

A path that matches no rule becomes ``frappe.DoesNotExistError`` (a JSON 404); a path that matches
with the wrong verb keeps Werkzeug's ``MethodNotAllowed`` (an HTML 405), as in Frappe v15.
"""

from __future__ import annotations

from enum import Enum

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Submount
from werkzeug.wrappers import Request, Response

import frappe


class ApiVersion(str, Enum):
    """The REST API generations a path can address."""

    V1 = "v1"
    V2 = "v2"

    def __str__(self) -> str:
        return self.value


def handle(request: Request) -> Response:
    """Dispatch an ``/api/...`` request and serialise its result.

    Endpoints return plain values (stored as ``data``), ``None`` (nothing stored) or a ready
    Werkzeug Response, which is passed through untouched.
    """
    adapter = API_URL_MAP.bind_to_environ(request.environ)
    try:
        endpoint, arguments = adapter.match()
    except NotFound:
        _raise_if_wrong_method(adapter, request)
        # kept as a Frappe error so API clients get JSON, not Werkzeug's HTML page
        raise frappe.DoesNotExistError

    data = endpoint(**arguments)
    if isinstance(data, Response):
        return data
    if data is not None:
        frappe.response["data"] = data

    from frappe.utils.response import build_response

    return build_response("json")


def _raise_if_wrong_method(adapter, request: Request) -> None:
    """A known route used with the wrong verb is a 405, also when the optional trailing slash is
    left out (Werkzeug's matcher reports that case as a plain 404)."""
    if request.path.endswith("/"):
        return
    try:
        adapter.match(request.path + "/", method=request.method)
    except MethodNotAllowed:
        raise
    except HTTPException:
        return


def get_api_version() -> ApiVersion | None:
    """The API generation of the current request path (v1 unless it starts with ``/api/v2``)."""
    request = getattr(frappe.local, "request", None)
    if not request:
        return None
    if request.path.startswith(f"/api/{ApiVersion.V2.value}"):
        return ApiVersion.V2
    return ApiVersion.V1


def _build_map() -> Map:
    from frappe.api.v1 import url_rules as v1_rules
    from frappe.api.v2 import url_rules as v2_rules

    return Map(
        [
            Submount("/api", v1_rules),
            Submount(f"/api/{ApiVersion.V1.value}", v1_rules),
            Submount(f"/api/{ApiVersion.V2.value}", v2_rules),
        ],
        strict_slashes=False,
        merge_slashes=False,
    )


class _LazyMap:
    """Builds the URL map on first use so that importing ``frappe.api`` stays cheap and cycle-free."""

    _map: Map | None = None

    def build(self) -> Map:
        if self._map is None:
            type(self)._map = _build_map()
        return self._map

    def bind_to_environ(self, environ):
        return self.build().bind_to_environ(environ)


API_URL_MAP = _LazyMap()
