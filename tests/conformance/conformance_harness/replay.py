"""Turn a recorded request back into a live one and send it to the WSGI app in-process."""

from __future__ import annotations

import base64
import datetime
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable

from werkzeug.test import Client

# what python-requests 2.32.5 sent unless the recording overrides it (recordings common.client)
DEFAULT_CLIENT_HEADERS = {
    "User-Agent": "python-requests/2.32.5",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "*/*",
    "Connection": "keep-alive",
}

# Basic credentials in auth.json basic_wrong_secret were not masked: the recorded key is the
# recording site's admin key. Map it to our admin key so the request means the same thing.
RECORDED_LITERAL_KEYS = {"294bb20f82852fa": "ADMIN"}

_SID_IN_TEXT = re.compile(r"<sid-(\d+)>")


@dataclass
class Credentials:
    api_keys: dict  # "ADMIN" -> (key, secret)
    password: str
    # other masked values of a recording and what stands in for them here (e.g. "<throwaway-user>")
    placeholders: dict = field(default_factory=dict)


@dataclass
class Substitutions:
    """Everything a masked request needs: credentials, dates, bound sids, csrf token, captures."""

    credentials: Credentials
    today: datetime.date
    sids: dict = field(default_factory=dict)
    csrf_token: str | None = None
    captures: dict = field(default_factory=dict)
    rename: Callable[[Any], Any] = lambda value: value  # recorded doc names -> runtime's names

    def date_for(self, key: str | None) -> str:
        if key == "delivery_date":
            return (self.today + datetime.timedelta(days=17)).isoformat()
        return self.today.isoformat()

    def text(self, value: str, url_encoded: bool = False) -> str:
        """Replace every placeholder inside a string (header, path, raw body)."""
        out = value
        for who, (key, secret) in self.credentials.api_keys.items():
            pair = base64.b64encode(f"{key}:{secret}".encode()).decode()
            out = out.replace(f"<base64({who}_API_KEY:{who}_API_SECRET)>", pair)
            out = out.replace(f"<{who}_API_KEY>", key).replace(f"<{who}_API_SECRET>", secret)
        password = urllib.parse.quote_plus(self.credentials.password) if url_encoded else self.credentials.password
        out = out.replace("<PASSWORD>", password)
        for placeholder, value in self.credentials.placeholders.items():
            out = out.replace(placeholder, urllib.parse.quote_plus(value) if url_encoded else value)
        if self.csrf_token is not None:
            out = out.replace("<csrf_token>", self.csrf_token)
        out = _SID_IN_TEXT.sub(lambda m: self.sids.get(m.group(1), "0" * 56), out)
        return self.rename(out)

    def json_value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.json_value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json_value(v, key) for v in value]
        if isinstance(value, str):
            if value == "<date>":
                return self.date_for(key)
            if value == "<datetime>":
                return f"{self.today.isoformat()} 10:15:00"
            return self.text(value)
        return value

    def basic_literal(self, header: str) -> str:
        scheme, _, cred = header.partition(" ")
        if scheme.lower() != "basic":
            return header
        try:
            decoded = base64.b64decode(cred).decode()
        except Exception:
            return header
        key, sep, secret = decoded.partition(":")
        who = RECORDED_LITERAL_KEYS.get(key)
        if not who or not sep:
            return header
        real_key = self.credentials.api_keys[who][0]
        return f"{scheme} " + base64.b64encode(f"{real_key}:{secret}".encode()).decode()


@dataclass
class LiveResponse:
    status: int
    content_type: str | None
    headers: list  # [(name, value)] without Set-Cookie
    set_cookies: list  # raw Set-Cookie header values, wire order
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def build_request(recorded: dict, subs: Substitutions, override: dict | None = None) -> dict:
    """Recorded request -> kwargs for ``Client.open`` (path, method, headers, data)."""
    override = override or {}
    path = subs.text(override.get("path", recorded["path"]), url_encoded=True)
    path = _rename_in_query(path, subs)
    headers = dict(DEFAULT_CLIENT_HEADERS)
    for name, value in recorded.get("headers", {}).items():
        value = subs.text(value)
        if name.lower() == "authorization":
            value = subs.basic_literal(value)
        # python-requests replaces its default with the explicit header of the same name
        for default in list(headers):
            if default.lower() == name.lower():
                del headers[default]
        headers[name] = value
    headers.update(override.get("headers", {}))

    data = None
    if "body_json" in override:
        data = json.dumps(subs.rename(override["body_json"])).encode()
    elif "body_raw" in override:
        data = override["body_raw"].encode()
    elif "body_raw" in recorded:
        data = subs.text(recorded["body_raw"], url_encoded="body_form" in recorded).encode("utf-8")
    elif "body_json" in recorded:
        data = json.dumps(subs.json_value(recorded["body_json"])).encode("utf-8")
    return {"path": path, "method": recorded["method"], "headers": headers, "data": data}


def _rename_in_query(path: str, subs: Substitutions) -> str:
    """Document names inside a URL-encoded query string (e.g. a JSON filter) are renamed on the
    decoded values; the query is re-encoded the way python-requests encodes params, only if
    something changed."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    renamed = [(k, subs.rename(v)) for k, v in pairs]
    if renamed == pairs:
        return path
    return base + "?" + urllib.parse.urlencode(renamed)


class Replayer:
    """Sends requests to the WSGI application with no cookie jar (cookies are sent only when the
    recording sent a Cookie header, exactly like the recorder did)."""

    def __init__(self, application_factory: Callable[[], Any]):
        self._factory = application_factory

    def send(self, request: dict) -> LiveResponse:
        client = Client(self._factory(), use_cookies=False)
        headers = list(request["headers"].items())
        response = client.open(
            request["path"],
            method=request["method"],
            headers=headers,
            data=request["data"],
            base_url="http://" + request["headers"].get("Host", "localhost"),
        )
        try:
            body = response.get_data()
            all_headers = list(response.headers.items())
            return LiveResponse(
                status=response.status_code,
                content_type=response.headers.get("Content-Type"),
                headers=[(k, v) for k, v in all_headers if k.lower() != "set-cookie"],
                set_cookies=response.headers.getlist("Set-Cookie"),
                body=body,
            )
        finally:
            response.close()
