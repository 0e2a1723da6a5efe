"""Compare a live response with a recorded one.

The recordings mask values that change between runs (timestamps, random names, session ids, …). A
masked expected value matches an actual value by pattern; ``<sid-N>`` additionally binds N to the
first session id seen and must be the same value every later time it appears. Everything else is
compared exactly, including key order of JSON objects and the Python type of every value (``1`` and
``1.0`` and ``True`` are three different things on the wire of a Frappe site).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------- masks

MASK_PATTERNS = {
    "<datetime>": re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$"),
    "<date>": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "<time>": re.compile(r"^\d{1,2}:\d{2}:\d{2}(\.\d{1,6})?$"),
    "<hash10>": re.compile(r"^[0-9a-z]{10}$"),
    "<exc_id>": re.compile(r"^[0-9a-f]{56}$"),
    "<uuid>": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    "<int>": re.compile(r"^-?\d+$"),
    "<csrf_token>": re.compile(r"^[0-9a-zA-Z]+$"),
    "<ip>": re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$"),
}
# a child table a recording collapsed to its row count ("child tables collapsed to item counts")
COLLAPSED_LIST = re.compile(r"^<(\d+) (items|rows)>$")
SID_MASK = re.compile(r"^<sid-(\d+)>$")
SID_VALUE = re.compile(r"^[0-9a-f]{56}$")
FRAMES_MASKED = "<frames masked>"


def is_http_date(value: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError, IndexError):
        return False


@dataclass
class Difference:
    path: str
    expected: Any
    actual: Any
    note: str = ""

    def render(self) -> str:
        def show(v):
            text = json.dumps(v, ensure_ascii=False) if not isinstance(v, _Missing) else "<absent>"
            if len(text) > 300:
                text = text[:300] + "…"
            kind = "" if isinstance(v, _Missing) else f" ({type(v).__name__})"
            return text + kind

        note = f"  [{self.note}]" if self.note else ""
        return f"{self.path}: expected {show(self.expected)}, actual {show(self.actual)}{note}"


class _Missing:
    def __repr__(self):
        return "<absent>"


MISSING = _Missing()


@dataclass
class Bindings:
    """Values learnt while replaying one timeline (sids, csrf token, captured masked values)."""

    sids: dict = field(default_factory=dict)
    captures: dict = field(default_factory=dict)
    # recorded document name -> the name the runtime gave the same document (see runner)
    names: dict = field(default_factory=dict)

    def rename(self, value):
        """Apply ``names`` to every string inside ``value`` (all at once, so renames do not chain)."""
        if not self.names:
            return value
        pattern = re.compile(
            r"(?<![A-Za-z0-9])(" + "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True)) + r")(?![A-Za-z0-9])"
        )

        def walk(v):
            if isinstance(v, str):
                return pattern.sub(lambda m: self.names[m.group(1)], v)
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            return v

        return walk(value)

    def bind_sid(self, number: str, value: str) -> str | None:
        """Bind ``<sid-N>``; returns an error note if it contradicts an earlier binding."""
        known = self.sids.get(number)
        if known is None:
            if value in self.sids.values():
                return f"<sid-{number}> has the value of another recorded session"
            self.sids[number] = value
            return None
        if known != value:
            return f"<sid-{number}> was {known!r} earlier in this timeline"
        return None


# ---------------------------------------------------------------- generic JSON comparison

def _sort_table_block(keys: list, d: dict) -> list:
    """In a document dict, the child-table keys right after ``doctype`` in sorted order (the
    ``table_keys_any_order`` relaxation, see known_differences.py); other keys keep their place."""
    if "doctype" not in keys or "name" not in d:
        return keys
    start = keys.index("doctype") + 1
    end = start
    # a table the recording collapsed to its row count ("<5 rows>") is a table too
    while end < len(keys) and (isinstance(d.get(keys[end]), list)
                               or (isinstance(d.get(keys[end]), str) and COLLAPSED_LIST.match(d[keys[end]]))):
        end += 1
    return keys[:start] + sorted(keys[start:end]) + keys[end:]


class JsonComparator:
    """Recursive comparison with masks, exact key order and exact value types.

    ``options`` may carry, per JSON path (dotted, ``[i]`` for list items, ``*`` for any index):
    ``unordered`` (compare a list as a multiset), ``ignore`` (skip the value), ``shape`` (only the
    list length and the key sets / value types of its items).
    """

    def __init__(self, bindings: Bindings, capture_prefix: str = "", unordered=(), ignore=(), shape=(),
                 table_keys_any_order=False, project=(), truncated=None):
        self.bindings = bindings
        # dicts the recording reduced to some keys ("data reduced to name/status"): the actual dict is
        # compared on those keys only (the recorder's key order is its own)
        self.project = set(project)
        # lists the recording cut ("data list had N items; first K kept"): path -> N
        self.truncated = dict(truncated or {})
        self.capture_prefix = capture_prefix
        self.unordered = set(unordered)
        self.ignore = set(ignore)
        self.shape = set(shape)
        self.table_keys_any_order = bool(table_keys_any_order)
        self.diffs: list[Difference] = []

    @staticmethod
    def _generic(path: str) -> str:
        return re.sub(r"\[\d+\]", "[*]", path)

    def _matches(self, path: str, rules: set) -> bool:
        return path in rules or self._generic(path) in rules

    def compare(self, expected, actual, path: str) -> None:
        if self._matches(path, self.ignore):
            return
        if isinstance(expected, str) and self._compare_masked_string(expected, actual, path):
            return
        if type(expected) is not type(actual):
            self.diffs.append(Difference(path, expected, actual, "type differs"))
            return
        if isinstance(expected, dict):
            self._compare_dict(expected, actual, path)
        elif isinstance(expected, list):
            self._compare_list(expected, actual, path)
        elif expected != actual:
            self.diffs.append(Difference(path, expected, actual))

    # masked strings -------------------------------------------------------------------------
    def _compare_masked_string(self, expected: str, actual, path: str) -> bool:
        """Handle an expected string that is (or contains) a mask. True when handled."""
        if expected in MASK_PATTERNS:
            if not isinstance(actual, str) or not MASK_PATTERNS[expected].match(actual):
                self.diffs.append(Difference(path, expected, actual, "does not match the mask pattern"))
            else:
                self.bindings.captures[self.capture_prefix + path] = actual
            return True
        sid = SID_MASK.match(expected)
        if sid:
            if not isinstance(actual, str) or not SID_VALUE.match(actual):
                self.diffs.append(Difference(path, expected, actual, "not a 56-hex session id"))
            else:
                note = self.bindings.bind_sid(sid.group(1), actual)
                if note:
                    self.diffs.append(Difference(path, expected, actual, note))
            return True
        collapsed = COLLAPSED_LIST.match(expected)
        if collapsed and isinstance(actual, list):
            if len(actual) != int(collapsed.group(1)):
                self.diffs.append(Difference(f"{path}(length)", int(collapsed.group(1)), len(actual),
                                             "the recording kept only the row count of this table"))
            return True
        if FRAMES_MASKED in expected:
            if not isinstance(actual, str):
                self.diffs.append(Difference(path, expected, actual, "type differs"))
            else:
                note = compare_traceback(expected, actual)
                if note:
                    self.diffs.append(Difference(path, expected, actual, note))
            return True
        return False

    # containers ------------------------------------------------------------------------------
    def _compare_dict(self, expected: dict, actual: dict, path: str) -> None:
        if self._matches(path, self.project):
            # the recorder kept some keys in an order of its own: compare those keys, not their order
            actual = {k: actual[k] for k in expected if k in actual}
        exp_keys, act_keys = list(expected), list(actual)
        # an ignored path is not compared at all, its presence included
        missing = [k for k in exp_keys if k not in actual and not self._matches(f"{path}.{k}", self.ignore)]
        extra = [k for k in act_keys if k not in expected and not self._matches(f"{path}.{k}", self.ignore)]
        if missing:
            self.diffs.append(Difference(path, missing, MISSING, "keys missing"))
        if extra:
            self.diffs.append(
                Difference(path, MISSING, {k: actual[k] for k in extra}, "unexpected keys")
            )
        common_exp = [k for k in exp_keys if k in actual]
        common_act = [k for k in act_keys if k in expected]
        if self.table_keys_any_order:
            common_exp = _sort_table_block(common_exp, expected)
            common_act = _sort_table_block(common_act, actual)
        if common_exp != common_act:
            first = next(i for i, (e, a) in enumerate(zip(common_exp, common_act)) if e != a)
            lo = max(0, first - 2)
            self.diffs.append(Difference(
                path, common_exp[lo:first + 4], common_act[lo:first + 4],
                f"key order differs from position {first} (showing keys {lo}..{first + 3} of the shared keys)"))
        for key in common_exp:
            self.compare(expected[key], actual[key], f"{path}.{key}" if path else key)

    def _compare_list(self, expected: list, actual: list, path: str) -> None:
        if self._matches(path, self.shape):
            self._compare_shape(expected, actual, path)
            return
        if path in self.truncated:
            if len(actual) != self.truncated[path]:
                self.diffs.append(Difference(f"{path}(length)", self.truncated[path], len(actual),
                                             "list length differs (the recording kept the first rows only)"))
            actual = actual[:len(expected)]
        if len(expected) != len(actual):
            self.diffs.append(
                Difference(f"{path}(length)", len(expected), len(actual), "list length differs")
            )
        if self._matches(path, self.unordered):
            self._compare_unordered(expected, actual, path)
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            self.compare(e, a, f"{path}[{i}]")

    def _compare_unordered(self, expected: list, actual: list, path: str) -> None:
        remaining = list(range(len(actual)))
        for i, e in enumerate(expected):
            for j in remaining:
                probe = JsonComparator(Bindings(dict(self.bindings.sids)))
                probe.compare(e, actual[j], f"{path}[{i}]")
                if not probe.diffs:
                    remaining.remove(j)
                    break
            else:
                self.diffs.append(Difference(f"{path}[{i}]", e, MISSING, "no matching item (unordered list)"))
        for j in remaining:
            self.diffs.append(Difference(f"{path}[?]", MISSING, actual[j], "unexpected item (unordered list)"))

    def _compare_shape(self, expected: list, actual: list, path: str) -> None:
        if len(expected) != len(actual):
            self.diffs.append(Difference(f"{path}(length)", len(expected), len(actual), "list length differs"))
        for i, (e, a) in enumerate(zip(expected, actual)):
            if isinstance(e, dict) and isinstance(a, dict):
                if list(e) != list(a):
                    self.diffs.append(Difference(f"{path}[{i}](keys)", list(e), list(a), "row keys differ"))
                for k in e:
                    if k in a and type(e[k]) is not type(a[k]):
                        self.diffs.append(Difference(f"{path}[{i}].{k}", e[k], a[k], "type differs"))
            elif type(e) is not type(a):
                self.diffs.append(Difference(f"{path}[{i}]", e, a, "type differs"))


# ---------------------------------------------------------------- tracebacks

def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def compare_traceback(expected: str, actual: str) -> str | None:
    """Recorded tracebacks keep only the first and the last line: compare those."""
    exp_first = expected.split("\n", 1)[0]
    if not actual.startswith(exp_first):
        return f"traceback should start with {exp_first!r}"
    if _last_line(expected) != _last_line(actual):
        return f"last traceback line differs: expected {_last_line(expected)!r}, actual {_last_line(actual)!r}"
    return None


# ---------------------------------------------------------------- Frappe body specials

def decode_server_messages(raw: str):
    outer = json.loads(raw)
    return [json.loads(item) if isinstance(item, str) else item for item in outer]


def compare_frappe_body(expected: dict, actual, bindings: Bindings, options: dict, capture_prefix="") -> list[Difference]:
    """Compare a v1/v2 JSON body, decoding ``_server_messages`` and ``exc`` first."""
    cmp = JsonComparator(bindings, capture_prefix, **options)
    if not isinstance(actual, dict) or not isinstance(expected, dict):
        cmp.compare(expected, actual, "body")
        return cmp.diffs

    exp = dict(expected)
    act = dict(actual)
    special = {}
    for key in ("_server_messages", "exc", "_debug_messages"):
        if key in exp and key in act and isinstance(exp[key], str) and isinstance(act[key], str):
            special[key] = (exp[key], act[key])
            exp[key] = act[key] = "<special>"
    cmp.compare(exp, act, "body")

    if "_server_messages" in special:
        e_raw, a_raw = special["_server_messages"]
        e_msgs = decode_server_messages(e_raw)
        try:
            a_msgs = decode_server_messages(a_raw)
        except (ValueError, TypeError) as err:
            cmp.diffs.append(Difference("body._server_messages", e_msgs, a_raw, f"not decodable: {err}"))
        else:
            cmp.compare(e_msgs, a_msgs, "body._server_messages(decoded)")
            reencoded = json.dumps([json.dumps(m) for m in a_msgs])
            if reencoded != a_raw:
                cmp.diffs.append(
                    Difference("body._server_messages(raw)", reencoded, a_raw,
                               "wire encoding should be json.dumps([json.dumps(msg), ...]) with default separators")
                )
    if "exc" in special:
        e_raw, a_raw = special["exc"]
        e_list = json.loads(e_raw)
        try:
            a_list = json.loads(a_raw)
        except ValueError as err:
            cmp.diffs.append(Difference("body.exc", e_list, a_raw, f"not a JSON list: {err}"))
        else:
            if not isinstance(a_list, list) or len(a_list) != len(e_list):
                cmp.diffs.append(Difference("body.exc(decoded)", e_list, a_list, "traceback list differs in length"))
            else:
                for i, (e, a) in enumerate(zip(e_list, a_list)):
                    note = compare_traceback(e, a) if isinstance(a, str) else "not a string"
                    if note:
                        cmp.diffs.append(Difference(f"body.exc(decoded)[{i}]", e, a, note))
    if "_debug_messages" in special:
        e_raw, a_raw = special["_debug_messages"]
        cmp.compare(json.loads(e_raw), json.loads(a_raw), "body._debug_messages(decoded)")
    return cmp.diffs


# ---------------------------------------------------------------- cookies

_ATTR_CANON = {
    "expires": "Expires",
    "max-age": "Max-Age",
    "httponly": "HttpOnly",
    "path": "Path",
    "samesite": "SameSite",
    "secure": "Secure",
    "domain": "Domain",
    "partitioned": "Partitioned",
}


def parse_set_cookie(header: str) -> dict:
    parts = [p.strip() for p in header.split(";")]
    name, _, value = parts[0].partition("=")
    attributes = {}
    for part in parts[1:]:
        if not part:
            continue
        key, sep, val = part.partition("=")
        canon = _ATTR_CANON.get(key.strip().lower(), key.strip())
        attributes[canon] = val.strip() if sep else True
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return {"name": name.strip(), "value": value, "attributes": attributes}


def _is_deletion(cookie: dict) -> bool:
    attrs = cookie["attributes"]
    return cookie["value"] == "" and "Expires" in attrs and "Max-Age" not in attrs


def _cookie_date_in_past(value: str) -> bool:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() < time.time()
    except (TypeError, ValueError, IndexError):
        return False


def compare_cookies(expected: list, actual: list, bindings: Bindings) -> list[Difference]:
    """Session cookies in wire order; expiring copies (deletions) as a set, since their order is
    not stable in Frappe itself (auth.json notes)."""
    diffs: list[Difference] = []
    exp_set = [c for c in expected if not _is_deletion(c)]
    act_set = [c for c in actual if not _is_deletion(c)]
    exp_del = sorted(c["name"] for c in expected if _is_deletion(c))
    act_del_cookies = [c for c in actual if _is_deletion(c)]
    act_del = sorted(c["name"] for c in act_del_cookies)

    if [c["name"] for c in exp_set] != [c["name"] for c in act_set]:
        diffs.append(
            Difference("cookies(names, in order)", [c["name"] for c in exp_set], [c["name"] for c in act_set])
        )
    for e, a in zip(exp_set, act_set):
        if e["name"] != a["name"]:
            continue
        where = f"cookie {e['name']}"
        sid = SID_MASK.match(e["value"])
        if sid:
            if not SID_VALUE.match(a["value"]):
                diffs.append(Difference(f"{where}.value", e["value"], a["value"], "not a 56-hex session id"))
            else:
                note = bindings.bind_sid(sid.group(1), a["value"])
                if note:
                    diffs.append(Difference(f"{where}.value", e["value"], a["value"], note))
        elif e["value"] != a["value"]:
            diffs.append(Difference(f"{where}.value", e["value"], a["value"]))
        diffs.extend(_compare_cookie_attributes(where, e["attributes"], a["attributes"]))

    if exp_del != act_del:
        diffs.append(Difference("cookies(expiring copies, any order)", exp_del, act_del))
    exp_del_attrs = {c["name"]: c["attributes"] for c in expected if _is_deletion(c)}
    for a in act_del_cookies:
        e_attrs = exp_del_attrs.get(a["name"])
        if e_attrs is not None:
            where = f"cookie {a['name']} (expiring copy)"
            diffs.extend(_compare_cookie_attributes(where, e_attrs, a["attributes"]))
            if "Expires" in a["attributes"] and not _cookie_date_in_past(str(a["attributes"]["Expires"])):
                diffs.append(Difference(f"{where}.Expires", "a date in the past", a["attributes"]["Expires"]))
    return diffs


def _compare_cookie_attributes(where: str, expected: dict, actual: dict) -> list[Difference]:
    diffs = []
    if sorted(expected) != sorted(actual):
        diffs.append(Difference(f"{where}.attributes", sorted(expected), sorted(actual), "attribute names differ"))
    for key, e in expected.items():
        if key not in actual:
            continue
        a = actual[key]
        if e == "<http-date>":
            if not isinstance(a, str) or not is_http_date(a):
                diffs.append(Difference(f"{where}.{key}", e, a, "not an HTTP date"))
        elif e != a:
            diffs.append(Difference(f"{where}.{key}", e, a))
    return diffs


# ---------------------------------------------------------------- headers

# transport headers that gunicorn (not Frappe) writes, or that the test client cannot reproduce
TRANSPORT_HEADERS = {"server", "date", "connection", "content-length", "content-type", "set-cookie", "transfer-encoding"}


def compare_headers(expected: dict, actual: list[tuple[str, str]], relaxed: dict, ignored=()) -> list[Difference]:
    """Compare Frappe-written headers: the set of names and their values (masks by pattern).

    ``relaxed`` maps a lower-case header name to a predicate(str)->bool used instead of equality;
    ``ignored`` lists lower-case header names left out altogether (known_differences).
    """
    diffs = []
    skip = TRANSPORT_HEADERS | {h.lower() for h in ignored}
    exp = {k.lower(): (k, v) for k, v in expected.items() if k.lower() not in skip}
    act: dict[str, tuple[str, str]] = {}
    for k, v in actual:
        if k.lower() not in skip:
            act[k.lower()] = (k, v)
    if sorted(exp) != sorted(act):
        diffs.append(Difference("headers(names)", sorted(exp[k][0] for k in exp), sorted(act[k][0] for k in act),
                                "Frappe-level response headers differ"))
    for low, (name, e) in exp.items():
        if low not in act:
            continue
        a = act[low][1]
        if low in relaxed:
            if not relaxed[low](a):
                diffs.append(Difference(f"header {name}", e, a, "fails the relaxed check (known_differences)"))
        elif e in MASK_PATTERNS:
            if not MASK_PATTERNS[e].match(a):
                diffs.append(Difference(f"header {name}", e, a, "does not match the mask pattern"))
        elif e == "<http-date>":
            if not is_http_date(a):
                diffs.append(Difference(f"header {name}", e, a, "not an HTTP date"))
        elif e != a:
            diffs.append(Difference(f"header {name}", e, a))
    return diffs


# ---------------------------------------------------------------- HTML and text bodies

_META_TITLE = re.compile(r'<meta name="title" content="([^"]*)"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_BODY_TAG = re.compile(r"<body\b[^>]*>", re.S)
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def compare_text_body(response: dict, actual_text: str) -> list[Difference]:
    diffs = []
    length = response.get("body_text_length")
    excerpt = response.get("body_text_excerpt", "")
    if length == 0:
        if actual_text:
            diffs.append(Difference("body", "", actual_text[:200], "body should be empty"))
        return diffs
    if length is not None and len(excerpt) == length:
        # the whole body was recorded (small werkzeug/plain pages): compare it exactly
        if actual_text != excerpt:
            diffs.append(Difference("body", excerpt, actual_text[:600]))
        return diffs

    fragments = response.get("html_fragments (recorder-added)") or {}
    exp_title = None
    if fragments.get("title"):
        m = _TITLE.search(fragments["title"])
        exp_title = _squash(m.group(1)) if m else None
    if exp_title is None:
        m = _META_TITLE.search(excerpt)
        exp_title = m.group(1) if m else None
    if exp_title is not None:
        act_titles = {_squash(t) for t in _TITLE.findall(actual_text)} | set(_META_TITLE.findall(actual_text))
        if exp_title not in act_titles:
            diffs.append(Difference("html <title>", exp_title, sorted(act_titles) or MISSING))

    if fragments.get("body_tag"):
        e_attrs = dict(_ATTR.findall(fragments["body_tag"]))
        m = _BODY_TAG.search(actual_text)
        a_attrs = dict(_ATTR.findall(m.group(0))) if m else {}
        for key in ("frappe-session-status", "data-path"):
            if key in e_attrs and e_attrs[key] != a_attrs.get(key, MISSING):
                diffs.append(Difference(f"html <body {key}>", e_attrs[key], a_attrs.get(key, MISSING)))
    paragraph = fragments.get("probe_user_paragraph")
    if paragraph and paragraph not in actual_text:
        diffs.append(Difference("html probe paragraph", paragraph, MISSING, "not found in the page"))
    card = fragments.get("page_card (message page)")
    if card:
        diffs.extend(_compare_message_card(card, actual_text))
    return diffs


_CARD_PIECES = [
    ("indicator", re.compile(r"<span class='indicator (\w+)'>\s*(.*?)</span>", re.S)),
    ("message paragraph", re.compile(r'<div class="page-card-body">\s*<p>(.*?)</p>', re.S)),
    ("login link", re.compile(r"<a href='([^']*)'")),
]


def _compare_message_card(card: str, actual_text: str) -> list[Difference]:
    diffs = []
    for label, pattern in _CARD_PIECES:
        m = pattern.search(card)
        if not m:
            continue
        expected = tuple(_squash(g) for g in m.groups())
        if FRAMES_MASKED in card and label == "message paragraph":
            # traceback page: only require a <pre> traceback in the card
            if "Traceback (most recent call last)" not in actual_text:
                diffs.append(Difference("html message card traceback", "Traceback (most recent call last)…", MISSING))
            continue
        found = [tuple(_squash(g) for g in a.groups()) for a in pattern.finditer(actual_text)]
        if expected not in found:
            diffs.append(Difference(f"html message card {label}", list(expected), found[:3] or MISSING))
    return diffs
