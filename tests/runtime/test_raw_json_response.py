"""``frappe.utils.response.RawJSON``: a JSON text the runtime puts into a response as it is (issue 17)."""

from __future__ import annotations

import json

import pytest

from frappe.utils.response import RawJSON, dumps_with_raw_json, json_handler


def test_the_text_is_spliced_where_the_value_stands():
    rows = RawJSON('[{"a":1.5,"name":"Straße \\"q\\"\\n"},{"a":null}]')
    text = dumps_with_raw_json({"message": rows, "next_after": "x", "nested": [RawJSON("{}"), 2]})
    assert json.loads(text) == {"message": [{"a": 1.5, "name": 'Straße "q"\n'}, {"a": None}],
                                "next_after": "x", "nested": [{}, 2]}
    assert '"message":[{"a":1.5' in text  # the text itself, not a re-encoding of it


def test_a_value_that_looks_like_the_marker_stays_a_string():
    # the marker is unique per call: an ordinary string can never be replaced
    text = dumps_with_raw_json({"a": "\x00raw-json-0\x00", "b": RawJSON("[1]")})
    assert json.loads(text) == {"a": "\x00raw-json-0\x00", "b": [1]}


def test_in_process_callers_see_the_parsed_value():
    rows = RawJSON('[{"item_code":"A"},{"item_code":"B"}]')
    assert len(rows) == 2 and rows[0] == {"item_code": "A"} and rows[-1]["item_code"] == "B"
    assert [r["item_code"] for r in rows] == ["A", "B"] and list(rows[1:]) == [{"item_code": "B"}]
    assert rows == [{"item_code": "A"}, {"item_code": "B"}] and rows == RawJSON(rows.text)
    # anything that serialises through Frappe's json_handler gets the plain value
    assert json.loads(json.dumps({"m": rows}, default=json_handler)) == {"m": [{"item_code": "A"}, {"item_code": "B"}]}


def test_bad_text_fails_when_read_not_silently():
    with pytest.raises(ValueError):
        len(RawJSON("[1,"))


def test_any_value_with_raw_json_is_spliced_and_plain_frappe_writes_its_items():
    """An app's own type with ``__raw_json__`` needs no runtime name; Frappe's json_handler (no splicing)
    meets it as an iterable and writes the same items."""
    from medgrid.catalog import CatalogRows

    rows = CatalogRows('[{"item_code":"A","rate":1.5}]')
    assert dumps_with_raw_json({"message": rows}) == '{"message":[{"item_code":"A","rate":1.5}]}'
    assert json.loads(json.dumps({"message": rows}, default=json_handler)) == {"message": [{"item_code": "A",
                                                                                           "rate": 1.5}]}
    assert rows == [{"item_code": "A", "rate": 1.5}] and len(rows) == 1
