"""Issue 13: the server calls the Desk makes, with every caller tried as an attacker.

On the HTTP test site: ``admin`` is a System Manager with RT User (reads RT Note's permlevel-1
``approved_by``), ``reader`` has RT Reader (reads RT Note, not its permlevel 1), ``website`` is a Website
User with no role, ``None`` is Guest. RT Note is submittable with a Password field (``secret``) and a
child table; RT Settings is a System-Manager-only Single with a Password field (``token``); RT Hash rows
are limited by a permission query and a ``has_permission`` hook to those labelled "public".
"""

from __future__ import annotations

import json

import pytest

from http_helpers import get_http_site

NOTE_SECRET = "n0te-secret-value"
SETTINGS_TOKEN = "settings-token-value"


@pytest.fixture()
def http(sites_path):
    site = get_http_site(sites_path)
    if not site.__dict__.get("_desk_fixture"):
        with site.context() as frappe:
            note = frappe.get_doc({"doctype": "RT Note", "title": "desk note", "approved_by": "the-approver",
                                   "secret": NOTE_SECRET, "items": [{"item": "first", "qty": 1}]}).insert()
            site._desk_note = note.name
            settings = frappe.get_doc("RT Settings")
            settings.api_url = "https://settings.example"
            settings.token = SETTINGS_TOKEN
            settings.save()
            frappe.get_doc({"doctype": "RT Hash", "label": "public"}).insert()
            site._desk_private_hash = frappe.get_doc({"doctype": "RT Hash", "label": "private"}).insert().name
        site._desk_fixture = True
    return site


def _auth(http, who):
    return http.token(who) if who else None


def _method(http, method, who, *, get=None, form=None):
    if form is not None:
        return http.post(f"/api/method/{method}", auth=_auth(http, who), form=form)
    query = "&".join(f"{k}={v}" for k, v in (get or {}).items())
    return http.get(f"/api/method/{method}?{query}", auth=_auth(http, who))


def _refused(reply, status=403):
    assert reply.status == status, reply.text
    assert reply.json().get("exc_type"), reply.text


# ---------------------------------------------------------------- getdoctype

def test_getdoctype_bundle_has_children_and_client_code(http):
    reply = _method(http, "frappe.desk.form.load.getdoctype", "admin", get={"doctype": "RT%20Note"})
    assert reply.status == 200, reply.text
    body = reply.json()
    assert [d["name"] for d in body["docs"]] == ["RT Note", "RT Note Item"]
    meta = body["docs"][0]
    for key in ("__js", "__list_js", "__css", "__custom_js", "__dashboard", "fields", "permissions", "_table_fields"):
        assert key in meta, key
    assert meta["__custom_js"].endswith("//# sourceURL=rt_note__custom_js")
    assert meta["is_submittable"] == 1 and meta["title_field"] == "title"
    assert body["user_settings"] == "{}"
    assert "Password" in [f["fieldtype"] for f in meta["fields"]]


def test_getdoctype_with_parent_answers_the_parent_bundle(http):
    reply = _method(http, "frappe.desk.form.load.getdoctype", "reader",
                    get={"doctype": "RT%20Note%20Item", "with_parent": 1})
    assert reply.status == 200, reply.text
    assert reply.json()["parent_dt"] == "RT Note"
    assert reply.json()["docs"][0]["name"] == "RT Note"


def _getdoctype(http, who, doctype, cached_timestamp=""):
    from urllib.parse import quote

    return _method(http, "frappe.desk.form.load.getdoctype", who,
                   get={"doctype": quote(doctype), "with_parent": 1, "cached_timestamp": quote(cached_timestamp)})


def test_getdoctype_answers_use_cache_for_the_current_timestamp_only(http):
    first = _getdoctype(http, "reader", "RT Note")
    assert first.status == 200, first.text
    stamp = first.json()["docs"][0]["modified"]
    # the bundle's stamp is the latest of its doctypes (a child's change makes the parent's copy stale)
    assert stamp == max(d["modified"] for d in first.json()["docs"])
    cached = _getdoctype(http, "reader", "RT Note", stamp)
    assert cached.status == 200, cached.text
    assert cached.json()["message"] == "use_cache"
    assert "docs" not in cached.json() or cached.json()["docs"] == []
    assert cached.json()["user_settings"] == "{}"
    stale = _getdoctype(http, "reader", "RT Note", "2001-01-01 00:00:00.000000")
    assert "message" not in stale.json() and [d["name"] for d in stale.json()["docs"]] == ["RT Note", "RT Note Item"]


@pytest.mark.parametrize("doctype", ["RT Note", "User", "Role"])
def test_the_bundles_timestamp_is_what_getdoctype_compares_even_when_the_json_names_its_own(http, doctype):
    from frappe.desk.form.meta import get_bundle_timestamp, get_meta_bundle

    with http.context() as frappe:
        bundle = get_meta_bundle(doctype)
        assert bundle[0]["modified"] == get_bundle_timestamp(doctype)
        assert bundle[0]["modified"] >= max(d["modified"] for d in bundle[1:]) if len(bundle) > 1 else True
    stamp = _getdoctype(http, "admin", doctype).json()["docs"][0]["modified"]
    assert _getdoctype(http, "admin", doctype, stamp).json()["message"] == "use_cache"


@pytest.mark.parametrize("who", [None, "website"])
def test_getdoctype_with_the_right_timestamp_still_refuses_callers_without_any_right(http, who):
    stamp = _getdoctype(http, "admin", "RT Note").json()["docs"][0]["modified"]
    reply = _getdoctype(http, who, "RT Note", stamp)
    assert reply.status in (401, 403), reply.text
    assert "use_cache" not in reply.text


def test_a_childs_customization_makes_the_cached_bundle_stale_and_changes_the_metadata_version(http):
    from frappe.boot import get_bootinfo

    with http.context() as frappe:
        version_before = get_bootinfo()["metadata_version"]
    stamp = _getdoctype(http, "reader", "RT Note").json()["docs"][0]["modified"]
    with http.context() as frappe:
        setter = frappe.make_property_setter({"doctype": "RT Note Item", "fieldname": "item", "property": "label",
                                              "value": "Desk cache label", "property_type": "Data"})
        setter_name = setter.name
        frappe.clear_cache(doctype="RT Note Item")
    try:
        changed = _getdoctype(http, "reader", "RT Note", stamp)
        assert "message" not in changed.json(), changed.text
        child = next(d for d in changed.json()["docs"] if d["name"] == "RT Note Item")
        assert next(f for f in child["fields"] if f["fieldname"] == "item")["label"] == "Desk cache label"
        assert changed.json()["docs"][0]["modified"] > stamp
        with http.context() as frappe:
            version_with = get_bootinfo()["metadata_version"]
        assert version_with != version_before
    finally:
        with http.context() as frappe:
            frappe.delete_doc("Property Setter", setter_name, ignore_permissions=True, force=True)
            frappe.clear_cache(doctype="RT Note Item")
    # a removed customization leaves no newer timestamp: the site's metadata_version changes instead
    with http.context() as frappe:
        version_after = get_bootinfo()["metadata_version"]
    assert version_after not in (version_with, "")
    restored = _getdoctype(http, "reader", "RT Note").json()["docs"]
    assert next(f for f in restored[1]["fields"] if f["fieldname"] == "item")["label"] != "Desk cache label"


def test_getdoctype_app_hook_scripts_are_added(http, monkeypatch):
    """doctype_js hook files follow the doctype's own script, each with Frappe's 'Adding' header."""
    import frappe as frappe_module
    from frappe.desk.form import meta as form_meta

    calls = {}
    real = form_meta._hook_files

    def fake(hook, doctype):
        calls[(hook, doctype)] = True
        if hook == "doctype_js" and doctype == "RT Note":
            import os
            import runtime_test_app

            return [("runtime_test_app", os.path.join(os.path.dirname(runtime_test_app.__file__), "hooks.py"))]
        return real(hook, doctype)

    monkeypatch.setattr(form_meta, "_hook_files", fake)
    with http.context() as frappe:
        bundle = form_meta.get_meta_bundle("RT Note")
    assert ("doctype_js", "RT Note") in calls
    assert "/* Adding apps/runtime_test_app/runtime_test_app/hooks.py */" in bundle[0]["__js"]
    assert frappe_module  # the module stays importable outside the context


@pytest.mark.parametrize("who", [None, "website"])
def test_getdoctype_refuses_callers_without_any_right(http, who):
    _refused(_method(http, "frappe.desk.form.load.getdoctype", who, get={"doctype": "RT%20Note"}))


def test_getdoctype_of_a_system_manager_single_is_refused_to_a_reader(http):
    _refused(_method(http, "frappe.desk.form.load.getdoctype", "reader", get={"doctype": "RT%20Settings"}))


def test_getdoctype_unknown_doctype_is_404(http):
    reply = _method(http, "frappe.desk.form.load.getdoctype", "admin", get={"doctype": "No%20Such%20Type"})
    assert reply.status == 404, reply.text
    assert reply.json()["exc_type"] == "DoesNotExistError"


# ---------------------------------------------------------------- getdoc

def test_getdoc_drops_fields_above_the_readers_permlevel(http):
    reply = _method(http, "frappe.desk.form.load.getdoc", "reader", get={"doctype": "RT%20Note", "name": http._desk_note})
    assert reply.status == 200, reply.text
    doc = reply.json()["docs"][0]
    assert doc["title"] == "desk note"
    assert "approved_by" not in doc
    assert "the-approver" not in reply.text
    assert NOTE_SECRET not in reply.text
    assert set(doc["secret"]) == {"*"}
    assert [row["item"] for row in doc["items"]] == ["first"]
    docinfo = reply.json()["docinfo"]
    assert docinfo["permissions"]["read"] == 1 and docinfo["permissions"]["write"] == 0


def test_getdoc_shows_the_permlevel_field_to_a_user_with_that_level(http):
    reply = _method(http, "frappe.desk.form.load.getdoc", "admin", get={"doctype": "RT%20Note", "name": http._desk_note})
    assert reply.status == 200, reply.text
    assert reply.json()["docs"][0]["approved_by"] == "the-approver"
    assert NOTE_SECRET not in reply.text


def test_getdoc_single_never_returns_the_password(http):
    reply = _method(http, "frappe.desk.form.load.getdoc", "admin",
                    get={"doctype": "RT%20Settings", "name": "RT%20Settings"})
    assert reply.status == 200, reply.text
    doc = reply.json()["docs"][0]
    assert doc["api_url"] == "https://settings.example"
    assert set(doc["token"]) == {"*"}
    assert SETTINGS_TOKEN not in reply.text


@pytest.mark.parametrize("who", [None, "website"])
def test_getdoc_refuses_callers_without_read(http, who):
    reply = _method(http, "frappe.desk.form.load.getdoc", who, get={"doctype": "RT%20Note", "name": http._desk_note})
    _refused(reply)
    assert "desk note" not in reply.text


def test_getdoc_refuses_a_row_the_permission_hook_denies(http):
    reply = _method(http, "frappe.desk.form.load.getdoc", "admin",
                    get={"doctype": "RT%20Hash", "name": http._desk_private_hash})
    _refused(reply)
    assert reply.json()["_error_message"].startswith("Insufficient Permission for")


def test_getdoc_of_a_missing_document_is_an_empty_answer(http):
    reply = _method(http, "frappe.desk.form.load.getdoc", "admin", get={"doctype": "RT%20Note", "name": "RTN-none"})
    assert reply.status == 200, reply.text
    assert reply.json() == {"message": []}


# ---------------------------------------------------------------- savedocs / cancel

def _new_note_json(**values) -> str:
    doc = {"doctype": "RT Note", "name": "new-rt-note-abc123", "__islocal": 1, "__unsaved": 1,
           "naming_series": "RTN-.YYYY.-", "title": "from desk",
           "items": [{"doctype": "RT Note Item", "name": "new-rt-note-item-abc123", "__islocal": 1,
                      "parentfield": "items", "parenttype": "RT Note", "item": "row", "qty": 2}]}
    doc.update(values)
    return json.dumps(doc)


def test_savedocs_save_then_submit_then_cancel(http):
    reply = _method(http, "frappe.desk.form.save.savedocs", "admin",
                    form={"doc": _new_note_json(), "action": "Save"})
    assert reply.status == 200, reply.text
    saved = reply.json()["docs"][0]
    assert saved["localname"] == "new-rt-note-abc123"
    assert saved["name"].startswith("RTN-") and saved["docstatus"] == 0
    assert saved["items"][0]["name"] != "new-rt-note-item-abc123"
    assert reply.server_messages()[0]["message"] == "Saved"
    assert reply.json()["docinfo"]["name"] == saved["name"]

    saved["title"] = "submitted from desk"
    reply = _method(http, "frappe.desk.form.save.savedocs", "admin", form={"doc": json.dumps(saved), "action": "Submit"})
    assert reply.status == 200, reply.text
    assert reply.json()["docs"][0]["docstatus"] == 1
    assert reply.server_messages()[0]["message"] == "Submitted"

    reply = _method(http, "frappe.desk.form.save.cancel", "admin", form={"doctype": "RT Note", "name": saved["name"]})
    assert reply.status == 200, reply.text
    assert reply.json()["docs"][0]["docstatus"] == 2
    with http.context() as frappe:
        assert frappe.db.get_value("RT Note", saved["name"], ["title", "docstatus"]) == ("submitted from desk", 2)


def test_savedocs_does_not_write_a_field_above_the_users_permlevel(http):
    # admin reads permlevel 1 but may not write it: the stored value stays empty
    reply = _method(http, "frappe.desk.form.save.savedocs", "admin",
                    form={"doc": _new_note_json(approved_by="self-approved"), "action": "Save"})
    assert reply.status in (200, 403, 417), reply.text
    if reply.status == 200:
        with http.context() as frappe:
            name = reply.json()["docs"][0]["name"]
            assert frappe.db.get_value("RT Note", name, "approved_by") in (None, "")


@pytest.mark.parametrize("who", [None, "website", "reader"])
def test_savedocs_refuses_callers_without_create(http, who):
    with http.context() as frappe:
        before = frappe.db.count("RT Note")
    reply = _method(http, "frappe.desk.form.save.savedocs", who, form={"doc": _new_note_json(), "action": "Save"})
    _refused(reply)
    with http.context() as frappe:
        assert frappe.db.count("RT Note") == before


def test_savedocs_refuses_a_reader_changing_a_stored_document(http):
    with http.context() as frappe:
        doc = frappe.get_doc("RT Note", http._desk_note).as_dict(convert_dates_to_str=True)
    doc["title"] = "changed by reader"
    reply = _method(http, "frappe.desk.form.save.savedocs", "reader",
                    form={"doc": json.dumps(doc, default=str), "action": "Save"})
    _refused(reply)
    with http.context() as frappe:
        assert frappe.db.get_value("RT Note", http._desk_note, "title") == "desk note"


def test_savedocs_checks_the_permission_hook_as_a_rest_put_does(http):
    """Without an app guard (MedGrid's is tested in test_desk_medgrid.py) Frappe checks the document as
    sent: savedocs answers exactly what PUT /api/resource answers for the same change."""
    with http.context() as frappe:
        first = frappe.get_doc({"doctype": "RT Hash", "label": "hidden-a"}).insert()
        second = frappe.get_doc({"doctype": "RT Hash", "label": "hidden-b"}).insert()
        sent = first.as_dict(convert_dates_to_str=True)
    reply = _method(http, "frappe.desk.form.save.savedocs", "admin",
                    form={"doc": json.dumps(sent, default=str), "action": "Save"})
    put = http.request("PUT", f"/api/resource/RT%20Hash/{second.name}", auth=http.token("admin"), json_body={})
    assert reply.status == put.status == 403, (reply.text, put.text)
    with http.context() as frappe:
        assert frappe.db.get_value("RT Hash", first.name, "label") == "hidden-a"


@pytest.mark.parametrize(("form", "status"), [
    ({"doc": "{not json", "action": "Save"}, 400),
    ({"doc": json.dumps(["a list"]), "action": "Save"}, 417),
    ({"doc": json.dumps({"doctype": "No Such Type"}), "action": "Save"}, 404),
    ({"doc": _new_note_json(), "action": "Destroy"}, 417),
])
def test_savedocs_bad_input_is_a_4xx_and_stores_nothing(http, form, status):
    with http.context() as frappe:
        before = frappe.db.count("RT Note")
    reply = _method(http, "frappe.desk.form.save.savedocs", "admin", form=form)
    assert reply.status == status, reply.text
    with http.context() as frappe:
        assert frappe.db.count("RT Note") == before


@pytest.mark.parametrize("who", [None, "website", "reader"])
def test_cancel_refuses_callers_without_cancel(http, who):
    with http.context() as frappe:
        doc = frappe.get_doc({"doctype": "RT Note", "title": "to cancel"}).insert()
        doc.submit()
        name = doc.name
    _refused(_method(http, "frappe.desk.form.save.cancel", who, form={"doctype": "RT Note", "name": name}))
    with http.context() as frappe:
        assert frappe.db.get_value("RT Note", name, "docstatus") == 1


# ---------------------------------------------------------------- search_link / validate_link

def _search(http, who, doctype, txt, **extra):
    return _method(http, "frappe.desk.search.search_link", who, form={"doctype": doctype, "txt": txt, **extra})


def test_search_link_finds_by_title_and_describes_with_search_columns(http):
    reply = _search(http, "reader", "RT Note", "desk note")
    assert reply.status == 200, reply.text
    results = reply.json()["message"]
    assert {"value": http._desk_note, "description": "desk note"} in results


def test_search_link_rows_are_the_rest_lists_rows(http):
    for who in ("admin", "reader"):
        reply = _search(http, who, "RT Hash", "")
        listed = http.get("/api/resource/RT%20Hash?limit_page_length=100", auth=http.token(who))
        assert reply.status == listed.status, (reply.text, listed.text)
        if who == "reader":  # RT Reader has no right on RT Hash
            assert reply.status == 403
            continue
        assert sorted(r["value"] for r in reply.json()["message"]) == sorted(r["name"] for r in listed.json()["data"])
        assert http._desk_private_hash not in reply.text


@pytest.mark.parametrize("who", [None, "website"])
def test_search_link_refuses_callers_without_read(http, who):
    reply = _search(http, who, "RT Note", "desk")
    assert reply.status == 403, reply.text
    assert http._desk_note not in reply.text


def test_search_link_ignore_user_permissions_does_not_widen_the_rows(http):
    reply = _search(http, "admin", "RT Hash", "", ignore_user_permissions="1")
    assert reply.status == 200, reply.text
    assert http._desk_private_hash not in reply.text


def test_search_link_query_must_be_whitelisted(http):
    reply = _search(http, "admin", "RT Note", "x", query="frappe.client.insert_doc")
    assert reply.status == 403, reply.text


def test_search_link_very_long_text_finds_nothing(http):
    reply = _search(http, "admin", "RT Note", "A" * 61440)
    assert reply.status == 200, reply.text
    assert reply.json() == {"message": []}


def test_search_link_bad_searchfield_is_a_4xx(http):
    reply = _search(http, "admin", "RT Note", "x", searchfield="no_such_field")
    assert reply.status == 417, reply.text


def test_validate_link_answers_name_and_readable_fields_only(http):
    reply = _method(http, "frappe.client.validate_link", "reader",
                    get={"doctype": "RT%20Note", "docname": http._desk_note,
                         "fields": json.dumps(["title", "approved_by"])})
    assert reply.status == 200, reply.text
    message = reply.json()["message"]
    assert message["name"] == http._desk_note and message["title"] == "desk note"
    assert "approved_by" not in message and "the-approver" not in reply.text
    missing = _method(http, "frappe.client.validate_link", "reader", get={"doctype": "RT%20Note", "docname": "nope"})
    assert missing.json() == {"message": {"name": None}}


@pytest.mark.parametrize("who", [None, "website"])
def test_validate_link_refuses_callers_without_read_or_select(http, who):
    reply = _method(http, "frappe.client.validate_link", who, get={"doctype": "RT%20Note", "docname": http._desk_note})
    assert reply.status == 403, reply.text


def test_rest_reads_drop_the_permlevel_field_as_getdoc_does(http):
    """The REST read paths call Document.apply_fieldlevel_read_permissions too (Frappe's rule)."""
    for path in (f"/api/resource/RT%20Note/{http._desk_note}", f"/api/v2/document/RT%20Note/{http._desk_note}",
                 f"/api/method/frappe.client.get?doctype=RT%20Note&name={http._desk_note}"):
        reader = http.get(path, auth=http.token("reader"))
        assert reader.status == 200, reader.text
        assert "the-approver" not in reader.text, path
        assert '"item":"first"' in reader.text.replace(" ", ""), "child rows keep their permlevel-0 fields"
        admin = http.get(path, auth=http.token("admin"))
        assert "the-approver" in admin.text, path


def test_a_child_row_read_on_its_own_follows_the_parents_permlevels(http):
    with http.context() as frappe:
        from frappe.desk.form.utils import apply_fieldlevel_read_permissions

        row = frappe.get_doc("RT Note", http._desk_note).items[0]
        frappe.set_user(http_user("reader"))
        apply_fieldlevel_read_permissions(row)
        assert row.item == "first" and row.qty == 1
        frappe.set_user("Administrator")


def http_user(key: str) -> str:
    from http_helpers import USERS

    return USERS[key][0]


# ---------------------------------------------------------------- compression and asset caching

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_api_answers_leave_the_app_as_frappe_answers_them(http):
    """No compression and no Vary on /api (as Frappe's app: the setup-production nginx gzips JSON)."""
    path = "/api/method/frappe.desk.form.load.getdoctype?doctype=RT%20Note"
    plain = http.get(path, auth=http.token("reader"))
    asked = http.get(path, auth=http.token("reader"), headers=GZIP)
    assert plain.status == asked.status == 200
    for answer in (plain, asked):
        assert "Content-Encoding" not in answer.headers and "Vary" not in answer.headers
    assert asked.json() == plain.json()


def test_assets_are_gzipped_only_for_clients_that_accept_it(http):
    import gzip

    packed = http.get("/assets/frappe/js/desk/core.js?v=123", headers=GZIP)
    plain = http.get("/assets/frappe/js/desk/core.js?v=123", headers={"Accept-Encoding": "gzip;q=0"})
    assert packed.status == plain.status == 200
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.body) == plain.body


def test_versioned_assets_are_cached_long_and_gzipped_html_pages_are_not_compressed(http):
    import gzip

    versioned = http.get("/assets/frappe/js/desk/core.js?v=123", headers=GZIP)
    assert versioned.status == 200
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["Content-Encoding"] == "gzip"
    assert b"frappe.model.with_doctype" in gzip.decompress(versioned.body)
    # without a version the file may change under the same URL: the short cache stays
    unversioned = http.get("/assets/frappe/js/desk/core.js")
    assert unversioned.headers["Cache-Control"] == "max-age=3600" and "Content-Encoding" not in unversioned.headers
    # HTML carries the CSRF token next to reflected text: never compressed (BREACH)
    page = http.get("/login", headers=GZIP)
    assert page.status == 200 and "Content-Encoding" not in page.headers
    missing = http.get("/assets/frappe/js/desk/no-such.js?v=1", headers=GZIP)
    assert missing.status == 404 and missing.headers.get("Cache-Control") != "public, max-age=31536000, immutable"
