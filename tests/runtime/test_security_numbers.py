"""Issue 12 item 3: numbers a caller sends as "NaN", "Infinity", a bare ``Infinity`` token or ``1e309``.

``flt``/``cint`` behave as Frappe 15's: ``flt("NaN")`` is NaN and ``flt("Infinity")`` infinite, but with a
precision both become 0 (rounding fails and flt falls back to 0), and ``cint`` gives 0 for either. A
non-finite number that reaches the database is refused with a ValidationError (Frappe: a 500 from
MariaDB; SQLite would even store NULL) — never a 500.
"""

from __future__ import annotations

import json
import math

import pytest

from http_helpers import get_http_site

NOTES = "/api/resource/RT%20Note"


@pytest.fixture()
def http(sites_path):
    return get_http_site(sites_path)


def test_flt_and_cint_follow_frappe():
    from frappe.utils import cint, flt

    assert math.isnan(flt("NaN")) and flt("Infinity") == math.inf and flt("1e309") == math.inf
    assert flt("-Infinity") == -math.inf
    # with a precision, rounding a non-finite value fails and flt answers 0
    for value in ("NaN", "Infinity", "-Infinity", math.nan, math.inf):
        assert flt(value, 2) == 0.0 and flt(value, 0) == 0
    for value in ("NaN", "Infinity", math.nan, math.inf, -math.inf, "1e309"):
        assert cint(value) == 0
    assert flt("10,500.5666", 2) == 10500.57 and cint("12.7") == 12 and flt("abc") == 0.0


def _post_raw(http, text):
    return http.post(NOTES, auth=http.token(), data=text, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("amount", ['"NaN"', '"Infinity"', "Infinity", "-Infinity", "NaN", "1e309"])
def test_non_finite_currency_is_a_validation_error(http, amount):
    title = f"non-finite {amount}"
    reply = _post_raw(http, '{"title": %s, "amount": %s}' % (json.dumps(title), amount))
    assert reply.status == 417, reply.text
    body = reply.json()
    assert body["exc_type"] == "ValidationError"
    messages = [json.loads(m)["message"] for m in json.loads(body["_server_messages"])]
    assert any("Amount must be a finite number" in m for m in messages), messages
    with http.context() as frappe:
        assert not frappe.db.exists("RT Note", {"title": title})


def test_non_finite_int_becomes_zero_as_in_frappe(http):
    reply = _post_raw(http, '{"title": "int from NaN", "count": "NaN"}')
    assert reply.status == 200, reply.text
    assert reply.json()["data"]["count"] == 0


def test_non_finite_values_never_reach_the_database(http):
    with http.context() as frappe:
        name = frappe.get_doc({"doctype": "RT Note", "title": "finite"}).insert().name
        with pytest.raises(frappe.ValidationError):
            frappe.db.set_value("RT Note", name, "amount", math.inf)
        with pytest.raises(frappe.ValidationError):
            frappe.db.sql("update `tabRT Note` set `amount`=%s where `name`=%s", (math.nan, name))
        doc = frappe.get_doc("RT Note", name)
        doc.amount = "NaN"
        with pytest.raises(frappe.ValidationError):
            doc.save()


def test_round_floats_in_turns_non_finite_into_zero(http):
    with http.context() as frappe:
        doc = frappe.new_doc("RT Note")
        doc.title = "rounded"
        doc.amount = "NaN"
        doc.append("items", {"item": "x", "qty": "Infinity"})
        doc.round_floats_in(doc)
        doc.round_floats_in(doc.items[0])
        assert doc.amount == 0.0 and doc.items[0].qty == 0.0
        assert doc.precision("amount") == 2 and doc.precision("qty", "items") == 3
