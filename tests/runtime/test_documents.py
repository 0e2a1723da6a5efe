"""Document lifecycle, hook order, naming, child tables, passwords and validation on the runtime."""

from __future__ import annotations

import datetime

import pytest

import frappe


def new_note(**kwargs):
    values = {"doctype": "RT Note", "title": "hello"}
    values.update(kwargs)
    return frappe.get_doc(values)


def log():
    return list(frappe.flags.get("rt_log") or [])


def test_insert_runs_controller_then_hooks_in_frappes_order(site):
    frappe.flags.rt_log = []
    new_note().insert()
    events = [e[1] for e in log() if e[0] in ("controller", "hook")]
    assert events == [
        "before_insert", "before_insert", "before_naming", "before_naming",
        "before_validate", "before_validate", "validate", "validate", "before_save", "before_save",
        "after_insert", "after_insert", "on_update", "on_update", "on_change", "on_change",
    ]
    assert ("controller", "validate") == log()[6] and ("hook", "validate") == log()[7]
    assert ("star", "on_update", "RT Note") in log()


def test_submit_cancel_and_update_after_submit_hook_order(site):
    doc = new_note().insert()
    frappe.flags.rt_log = []
    doc.submit()
    assert [e[1] for e in log() if e[0] == "controller"] == [
        "before_validate", "validate", "before_submit", "on_update", "on_submit", "on_change"]
    assert frappe.db.get_value("RT Note", doc.name, "docstatus") == 1

    frappe.flags.rt_log = []
    doc.remarks = "changed after submit"
    doc.save()
    assert [e[1] for e in log() if e[0] == "controller"] == [
        "before_update_after_submit", "on_update_after_submit", "on_change"]

    frappe.flags.rt_log = []
    doc.cancel()
    assert [e[1] for e in log() if e[0] == "controller"] == ["before_cancel", "on_cancel", "on_change"]
    assert frappe.db.get_value("RT Note", doc.name, "docstatus") == 2


def test_failing_validate_stops_before_hooks_and_writes_nothing(site):
    frappe.flags.rt_log = []
    with pytest.raises(frappe.ValidationError):
        new_note(title="fail in validate").insert()
    events = log()
    assert events[-1] == ("controller", "validate")
    assert ("hook", "validate") not in events
    assert not frappe.db.exists("RT Note", {"title": "fail in validate"})


def test_docstatus_transitions_refused_as_frappe(site):
    doc = new_note().insert()
    doc.docstatus = 2
    with pytest.raises(frappe.DocstatusTransitionError, match=r"0 \(Draft\) to 2 \(Cancelled\)"):
        doc.save()
    doc = frappe.get_doc("RT Note", doc.name)
    doc.submit()
    doc.docstatus = 0
    with pytest.raises(frappe.DocstatusTransitionError, match=r"1 \(Submitted\) to 0 \(Draft\)"):
        doc.save()
    doc = frappe.get_doc("RT Note", doc.name)
    doc.cancel()
    with pytest.raises(frappe.ValidationError, match="Cannot edit cancelled document"):
        frappe.get_doc("RT Note", doc.name).save()


def test_update_after_submit_only_for_allow_on_submit_fields(site):
    doc = new_note().insert()
    doc.submit()
    doc.title = "changed"
    with pytest.raises(frappe.UpdateAfterSubmitError, match="Not allowed to change"):
        doc.save()


def test_stale_save_raises_timestamp_mismatch(site):
    doc = new_note().insert()
    first = frappe.get_doc("RT Note", doc.name)
    second = frappe.get_doc("RT Note", doc.name)
    first.title = "first"
    first.save()
    second.title = "second"
    with pytest.raises(frappe.TimestampMismatchError):
        second.save()


def test_naming_series_counter_per_year_and_revert_on_delete(site):
    year = datetime.date.today().year
    a = new_note().insert()
    b = new_note().insert()
    assert a.name.startswith(f"RTN-{year}-") and len(a.name) == len(f"RTN-{year}-00001")
    assert int(b.name[-5:]) == int(a.name[-5:]) + 1
    key = f"RTN-{year}-"
    current = frappe.db.sql("select `current` from `tabSeries` where `name`=%s", (key,))[0][0]
    assert current == int(b.name[-5:])
    frappe.delete_doc("RT Note", b.name)
    assert frappe.db.sql("select `current` from `tabSeries` where `name`=%s", (key,))[0][0] == current - 1
    other = new_note(naming_series="RTX-.MM.-").insert()
    assert other.name == f"RTX-{datetime.date.today():%m}-{1:05d}" or other.name.startswith(
        f"RTX-{datetime.date.today():%m}-")


def test_other_autoname_options(site):
    tag = frappe.get_doc({"doctype": "RT Tag", "tag_name": "  urgent "}).insert()
    assert tag.name == "urgent"
    h = frappe.get_doc({"doctype": "RT Hash", "label": "x"}).insert()
    assert len(h.name) == 10 and set(h.name) <= set("0123456789abcdefghijklmnopqrstuv")
    fmt = frappe.get_doc({"doctype": "RT Format", "label": "lbl"}).insert()
    assert fmt.name.startswith(f"FMT-{datetime.date.today():%m}-lbl-") and fmt.name[-3:].isdigit()
    prompt = frappe.get_doc({"doctype": "RT Prompt", "label": "p", "__newname": "My Name"}).insert()
    assert prompt.name == "My Name"
    auto = frappe.get_doc({"doctype": "RT Auto", "label": "abc"}).insert()
    assert auto.name == "AUTO-ABC"
    with pytest.raises(frappe.ValidationError, match="Tag Name is required"):
        frappe.get_doc({"doctype": "RT Tag"}).insert()


def test_client_supplied_name_is_discarded(site):
    doc = new_note(name="MY-OWN-NAME").insert()
    assert doc.name != "MY-OWN-NAME"


def test_duplicate_field_name_raises_duplicate_entry(site):
    frappe.get_doc({"doctype": "RT Tag", "tag_name": "dup"}).insert()
    with pytest.raises(frappe.DuplicateEntryError):
        frappe.get_doc({"doctype": "RT Tag", "tag_name": "dup"}).insert()


def test_unique_field_violation_raises_unique_validation(site):
    new_note(code="C-1").insert()
    with pytest.raises(frappe.UniqueValidationError):
        new_note(code="C-1").insert()


def test_mandatory_checked_after_validate(site):
    with pytest.raises(frappe.MandatoryError):
        new_note(title=None).insert()
    assert frappe.local.message_log[-1]["message"] == "Error: Value missing for RT Note: Title"
    with pytest.raises(frappe.MandatoryError):
        new_note(items=[{"qty": 1}]).insert()


def test_link_and_select_validation(site):
    with pytest.raises(frappe.LinkValidationError, match="Could not find Customer: Nobody"):
        new_note(customer="Nobody").insert()
    with pytest.raises(frappe.ValidationError, match="cannot be"):
        new_note(status="Weird").insert()


def test_type_coercion(site):
    doc = new_note(amount="12.5", count="7", note_date="2026-03-01").insert()
    assert doc.amount == 12.5 and doc.count == 7
    fresh = frappe.get_doc("RT Note", doc.name)
    assert fresh.amount == 12.5 and isinstance(fresh.amount, float)
    assert fresh.count == 7
    assert fresh.note_date == datetime.date(2026, 3, 1)
    assert isinstance(fresh.creation, datetime.datetime)
    assert fresh.status == "Open"  # first option of a Select without default


def test_child_tables_append_idx_and_replace(site):
    doc = new_note(items=[{"item": "a", "qty": 1}, {"item": "b", "qty": 2}])
    row = doc.append("items", {"item": "c", "qty": 3})
    doc.insert()
    assert [d.idx for d in doc.items] == [1, 2, 3]
    assert row.parent == doc.name and row.parenttype == "RT Note" and row.parentfield == "items"
    fresh = frappe.get_doc("RT Note", doc.name)
    assert [d.item for d in fresh.items] == ["a", "b", "c"]
    fresh.update({"items": [{"item": "only", "qty": 9}]})
    fresh.save()
    rows = frappe.get_all("RT Note Item", filters={"parent": doc.name}, fields=["item"])
    assert [r.item for r in rows] == ["only"]
    as_dict = frappe.get_doc("RT Note", doc.name).as_dict()
    assert as_dict["items"][0]["doctype"] == "RT Note Item"
    assert {"name", "parent", "parentfield", "parenttype", "idx", "docstatus"} <= set(as_dict["items"][0])


def test_password_field_encrypted_at_rest(site):
    doc = new_note(secret="s3cr3t").insert()
    assert frappe.db.get_value("RT Note", doc.name, "secret") == "******"
    stored = frappe.db.sql("select `password` from `__Auth` where `doctype`='RT Note' and `name`=%s", (doc.name,))
    assert stored and "s3cr3t" not in stored[0][0]
    assert frappe.get_doc("RT Note", doc.name).get_password("secret") == "s3cr3t"
    from frappe.utils.password import get_decrypted_password

    assert get_decrypted_password("RT Note", doc.name, "secret") == "s3cr3t"


def test_singles_store_and_read_typed_values(site):
    settings = frappe.get_single("RT Settings")
    assert settings.retries == 3  # default
    settings.api_url = "https://example.test"
    settings.retries = 5
    settings.token = "tok"
    settings.save()
    assert frappe.db.get_single_value("RT Settings", "retries") == 5
    assert frappe.db.get_single_value("RT Settings", "api_url") == "https://example.test"
    assert frappe.get_single("RT Settings").get_password("token") == "tok"
    frappe.db.set_single_value("RT Settings", "enabled", 1)
    assert frappe.db.get_single_value("RT Settings", "enabled") == 1


def test_db_set_skips_validation_and_works_on_submitted(site):
    doc = new_note().insert()
    doc.submit()
    doc.db_set("title", "set directly")
    assert frappe.db.get_value("RT Note", doc.name, "title") == "set directly"


def test_delete_submitted_refused_draft_allowed(site):
    doc = new_note().insert()
    doc.submit()
    with pytest.raises(frappe.ValidationError, match="Submitted Record cannot be deleted"):
        frappe.delete_doc("RT Note", doc.name)
    draft = new_note().insert()
    frappe.flags.rt_log = []
    frappe.delete_doc("RT Note", draft.name)
    assert not frappe.db.exists("RT Note", draft.name)
    assert [e[1] for e in log() if e[0] == "controller"] == ["on_trash", "on_change", "after_delete"]


def test_get_doc_missing_raises_does_not_exist(site):
    with pytest.raises(frappe.DoesNotExistError):
        frappe.get_doc("RT Note", "NOPE")
    assert frappe.local.message_log[-1]["message"] == "RT Note NOPE not found"


def test_new_doc_and_cached_doc(site):
    doc = frappe.new_doc("RT Note")
    assert doc.status == "Open" and doc.docstatus == 0 and doc.is_new()
    doc.title = "x"
    doc.insert()
    first = frappe.get_cached_doc("RT Note", doc.name)
    assert frappe.get_cached_doc("RT Note", doc.name) is first
    first.title = "y"
    first.save()
    assert frappe.get_cached_doc("RT Note", doc.name) is not first


def test_new_document_is_created_by_the_session_user(site):
    doc = new_note(owner="someone@example.com", creation="2020-01-01 00:00:00").insert()
    assert doc.owner == "Administrator"
    assert doc.creation.year != 2020
    assert doc.is_new() is None  # the flag is gone after insert
    assert frappe.get_doc("RT Note", doc.name).is_new() is None
    row = new_note(items=[{"item": "a", "qty": 1}])
    assert row.items[0].is_new() == 1
    row.insert()
    assert row.items[0].is_new() is False
    d = row.as_dict()
    assert "__islocal" not in d and "__unsaved" not in d
    # new rows keep the new-document flag __unsaved, and parent/parentfield/parenttype come last
    assert d["items"][0]["__unsaved"] == 1
    assert list(d["items"][0])[-5:] == ["parent", "parentfield", "parenttype", "doctype", "__unsaved"]


def test_single_never_saved_starts_as_a_new_document(site):
    frappe.db.sql("delete from `tabSingles` where `doctype`='RT Settings'")
    settings = frappe.get_single("RT Settings")
    assert settings.owner == "Administrator" and settings.retries == 3
    settings.save()
    stored = dict(frappe.db.sql("select `field`, `value` from `tabSingles` where `doctype`='RT Settings'"))
    assert "creation" not in stored  # a Single is never new, so it gets no creation
    again = frappe.get_single("RT Settings")
    assert again.idx == "0"  # tabSingles keeps text, as in Frappe
    assert "creation" not in again.as_dict(no_nulls=True)


def test_missing_documents_and_doctypes(site):
    frappe.local.message_log = []
    with pytest.raises(frappe.DoesNotExistError):
        frappe.delete_doc("RT Note", "RTN-NOPE", ignore_missing=False)
    assert frappe.local.message_log == []  # raised bare, as in Frappe
    with pytest.raises(ImportError, match="No module named 'frappe.core.doctype.no_such_doctype'"):
        frappe.get_doc("No Such Doctype", "x")
    with pytest.raises(frappe.DoesNotExistError):
        frappe.get_list("No Such Doctype")
    assert frappe.local.message_log[-1]["message"] == "DocType No Such Doctype not found"
    frappe.local.message_log = []
    with pytest.raises(frappe.DoesNotExistError):
        frappe.db.get_value("No Such Doctype", "x")
    assert frappe.local.message_log == []  # like Frappe's "table doesn't exist": no message
    assert frappe.db.exists("DocType", "RT Note") == "RT Note"
    assert frappe.db.get_value("DocType", "RT Settings", "issingle") == 1
    assert frappe.db.exists("DocType", "No Such Doctype") is None


def test_select_defaults_and_messages(site):
    meta = frappe.get_meta("RT Note")
    from frappe.model.create_new import get_static_default_value

    blank_first = frappe._dict(fieldtype="Select", options="\nA\nB", fieldname="x")
    assert get_static_default_value(blank_first) == ""
    with pytest.raises(frappe.ValidationError) as info:
        new_note(status="Weird").insert()
    assert str(info.value) == ' Status cannot be "Weird". It should be one of "Open", "Closed"'
    assert meta.get_field("status").options == "Open\nClosed"


def test_document_naming_settings_update_series_writes_property_setters(site):
    year = datetime.date.today().year
    settings = frappe.get_single("Document Naming Settings")
    assert settings.default_amend_naming == "Amend Counter"
    assert settings.owner == "Administrator" and settings.idx == "0"  # saved once at install
    assert "RT Note" in settings.get_transactions_and_prefixes()["transactions"]
    settings.transaction_type = "RT Note"
    settings.naming_series_options = "RTZ-.YYYY.-\nRTN-.YYYY.-"
    frappe.local.message_log = []
    settings.update_series()
    assert frappe.local.message_log[-1] == {"message": "Series Updated for RT Note", "title": "Message",
                                            "indicator": "green", "alert": 1}
    setters = dict(frappe.db.sql("select `name`, `value` from `tabProperty Setter` where `doc_type`='RT Note'"))
    assert setters["RT Note-naming_series-options"] == "RTZ-.YYYY.-\nRTN-.YYYY.-"
    assert setters["RT Note-naming_series-default"] == "RTZ-.YYYY.-"
    assert frappe.get_meta("RT Note").get_field("naming_series").default == "RTZ-.YYYY.-"
    doc = new_note().insert()
    assert doc.naming_series == "RTZ-.YYYY.-" and doc.name == f"RTZ-{year}-00001"
    settings.prefix = f"RTZ-.YYYY.-"
    assert settings.get_current() == 1
    settings.current_value = 41
    settings.update_series_start()
    assert new_note().insert().name == f"RTZ-{year}-00042"
    settings.try_naming_series = "RTZ-.YYYY.-"
    assert settings.preview_series().split("\n") == [f"RTZ-{year}-{n:05d}" for n in (43, 44, 45)]
    # a user who must always pick: the options start blank and there is no default
    settings.user_must_always_select = 1
    settings.update_series()
    assert frappe.get_meta("RT Note").get_field("naming_series").options == "\nRTZ-.YYYY.-\nRTN-.YYYY.-"
    with pytest.raises(frappe.ValidationError, match="already used in"):
        other = frappe.get_single("Document Naming Settings")
        other.transaction_type = "Sales Order"
        other.naming_series_options = "RTZ-.YYYY.-"
        other.update_series()
    frappe.db.delete("Property Setter", {"doc_type": "RT Note"})
    frappe.clear_cache(doctype="RT Note")



def test_doc_before_save_and_has_value_changed(site):
    doc = new_note(title="before").insert()
    assert doc.get_doc_before_save() is None  # a new document has no stored copy
    doc.title = "after"
    doc.save()
    assert doc.get_doc_before_save().title == "before"
    assert doc.has_value_changed("title") and not doc.has_value_changed("status")
