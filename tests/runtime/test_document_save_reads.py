"""What a save reads (issue 17, submit): the stored copy of a document loaded under its row lock is built from
the rows of that load while nothing in the transaction has written them since, a child table none of whose
stored rows was dropped is not DELETEd from, and the links of a document and its rows are looked up in one
statement — with Frappe's results in every case where the shortcut does not hold."""

from __future__ import annotations

import pytest

from tests.runtime.test_erpnext_subset import company, masters  # noqa: F401 (fixtures)
from tests.statement_log import StatementLog, drivers_logging_to


@pytest.fixture()
def log(site):
    """Statements counted from here on (SQLite reports through a trace set when it connects: reconnect)."""
    import frappe

    with drivers_logging_to(StatementLog()) as statements:
        frappe.db.close()
        frappe.connect()
        frappe.set_user("Administrator")
        yield statements
        if frappe.db.db_type == "sqlite":
            frappe.db._conn.set_trace_callback(None)


STORED_NOTES: list[str] = []
CUSTOMERS = ("Save Reads One", "Save Reads Two")


@pytest.fixture(autouse=True)
def forget_what_was_committed(site):
    """The notes and customers these tests commit are deleted again (before the site fixture lets go of the
    connection): other modules count rows."""
    yield
    import frappe

    frappe.db.rollback()
    for name in STORED_NOTES:
        frappe.db.sql("delete from `tabRT Note Item` where `parent`=%s", (name,))
        frappe.db.sql("delete from `tabRT Note` where `name`=%s", (name,))
    STORED_NOTES.clear()
    frappe.db.sql("delete from `tabCustomer` where `name` in (%s, %s)", CUSTOMERS)
    frappe.db.commit()


def customer(name: str) -> str:
    import frappe

    if not frappe.db.exists("Customer", name):
        frappe.get_doc({"doctype": "Customer", "customer_name": name, "customer_type": "Company",
                        "customer_group": "Commercial"}).insert()
    return name


def stored_note() -> str:
    """A committed RT Note with two rows, linking two customers."""
    import frappe

    one, two = customer(CUSTOMERS[0]), customer(CUSTOMERS[1])
    doc = frappe.get_doc({"doctype": "RT Note", "title": "stored", "customer": one, "remarks": "as stored",
                          "items": [{"item": "a", "qty": 1, "link_customer": one},
                                    {"item": "b", "qty": 2, "link_customer": two}]}).insert()
    frappe.db.commit()
    STORED_NOTES.append(doc.name)
    return doc.name


def full_reads(log: StatementLog) -> list[str]:
    """The document's loads among the statements (PostgreSQL's are logged with placeholders, not names)."""
    return log.matching(r"^select \* from `tabRT Note( Item)?` where ")


def repeats_under_lock() -> bool:
    import frappe

    return frappe.db.reads_repeat_under_lock


def test_engines_that_repeat_reads_under_a_lock():
    from frappe.database.mariadb import MariaDBDatabase
    from frappe.database.postgres import PostgresDatabase
    from frappe.database.sqlite import SQLiteDatabase

    # PostgreSQL reads committed: another transaction's child rows would show in the second read
    assert (MariaDBDatabase.reads_repeat_under_lock, SQLiteDatabase.reads_repeat_under_lock,
            PostgresDatabase.reads_repeat_under_lock) == (True, True, False)


def test_the_stored_copy_of_a_locked_load_is_built_from_its_rows(log):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    doc.title = "changed"
    doc.items[0].qty = 5
    with log.counting():
        doc.save()
    before = doc.get_doc_before_save()
    assert before.title == "stored" and before.remarks == "as stored"
    assert [(r.item, r.qty, r.link_customer) for r in before.items] == [
        ("a", 1, "Save Reads One"), ("b", 2, "Save Reads Two")]
    assert before.items[0].parent_doc is before and before.items[0].name == doc.items[0].name
    assert before.modified < doc.modified == frappe.db.get_value("RT Note", name, "modified")
    assert doc.has_value_changed("title") and not doc.has_value_changed("remarks")
    # Frappe reads the parent and each child table again; where reads repeat under the lock, nothing is read
    assert len(full_reads(log)) == (0 if repeats_under_lock() else 2)
    frappe.db.commit()
    assert frappe.db.get_value("RT Note", name, "title") == "changed"
    assert frappe.get_all("RT Note Item", {"parent": name}, ["item", "qty"], order_by="idx asc") == [
        {"item": "a", "qty": 5}, {"item": "b", "qty": 2}]


def test_another_transactions_child_write_reads_as_a_second_read_would(site):
    """A child row is not covered by the parent's row lock: another transaction may change it after the load.
    The stored copy then holds what a second read in this transaction gives: on MariaDB the repeatable-read
    snapshot (the value of the load), on PostgreSQL (read again) the committed change."""
    import frappe

    if frappe.db.db_type == "sqlite":
        pytest.skip("SQLite's lock is the database's: no other transaction writes meanwhile")
    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    row = doc.items[0].name
    other = type(frappe.local.db)(frappe.local.conf)
    try:
        other.sql("update `tabRT Note Item` set `qty`=42 where `name`=%s", (row,))
        other.commit()
    finally:
        other.close()
    second_read = frappe.db.sql("select `qty` from `tabRT Note Item` where `name`=%s", (row,))[0][0]
    doc.title = "changed"
    doc.save()
    assert doc.get_doc_before_save().items[0].qty == second_read == (1 if frappe.db.db_type == "mariadb" else 42)


def test_a_write_since_the_load_makes_the_save_read_again(log):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    row = doc.items[1].name
    # written in this transaction after the load, without moving `modified` (no timestamp mismatch)
    frappe.db.set_value("RT Note", name, "remarks", "set meanwhile", update_modified=False)
    frappe.db.sql("update `tabRT Note Item` set `qty`=7 where `name`=%s", (row,))
    doc.title = "changed"
    with log.counting():
        doc.save()
    before = doc.get_doc_before_save()
    assert before.remarks == "set meanwhile" and before.items[1].qty == 7
    assert len(full_reads(log)) == 2


def test_a_child_write_alone_makes_the_save_read_again(log):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    frappe.db.sql("update `tabRT Note Item` set `item`='raw' where `parent`=%s and `idx`=1", (name,))
    doc.title = "changed"
    doc.save()
    assert doc.get_doc_before_save().items[0].item == "raw"


def test_a_commit_since_the_load_makes_the_save_read_again(log):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    frappe.db.commit()  # the lock is gone: another transaction may have written the rows since
    frappe.db.sql("update `tabRT Note` set `remarks`='after commit' where `name`=%s", (name,))
    frappe.db.commit()
    doc.title = "changed"
    with log.counting():
        doc.save()
    assert doc.get_doc_before_save().remarks == "after commit"
    assert len(full_reads(log)) == 2


@pytest.mark.parametrize("statement", ["commit", "rollback"])
def test_a_transaction_ended_by_sql_makes_the_save_read_again(log, statement):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    frappe.db.sql(statement)
    doc.title = "changed"
    with log.counting():
        doc.save()
    assert len(full_reads(log)) == 2


def test_a_load_without_the_lock_is_read_again(log):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name)
    doc.title = "changed"
    with log.counting():
        doc.save()
    assert doc.get_doc_before_save().title == "stored"
    assert len(full_reads(log)) == 2


def test_a_stored_copy_outlives_no_pickle_or_deepcopy(site):
    import copy
    import pickle

    import frappe

    doc = frappe.get_doc("RT Note", stored_note(), for_update=True)
    assert copy.deepcopy(doc).title == pickle.loads(pickle.dumps(doc)).title == "stored"


def test_child_rows_dropped_are_deleted_and_untouched_tables_are_not_deleted_from(log):
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    doc.title = "rows kept"
    with log.counting():
        doc.save()
    deletes = log.matching(r"^delete from `tabRT Note Item`")
    assert len(deletes) == (0 if repeats_under_lock() else 1)
    assert len(frappe.get_all("RT Note Item", {"parent": name})) == 2

    doc = frappe.get_doc("RT Note", name, for_update=True)
    doc.set("items", [doc.items[1]])
    with log.counting():
        doc.save()
    assert len(log.matching(r"^delete from `tabRT Note Item`")) == 1
    assert [r.item for r in frappe.get_all("RT Note Item", {"parent": name}, ["item"])] == ["b"]


def test_a_row_added_behind_the_documents_back_is_still_deleted(site):
    """Frappe's save leaves exactly the document's rows: one inserted by SQL after the load goes too."""
    import frappe

    name = stored_note()
    doc = frappe.get_doc("RT Note", name, for_update=True)
    frappe.db.sql("insert into `tabRT Note Item` (`name`, `parent`, `parenttype`, `parentfield`, `idx`, `item`) "
                  "values ('save-reads-extra', %s, 'RT Note', 'items', 3, 'extra')", (name,))
    doc.title = "changed"
    doc.save()
    assert sorted(r.item for r in frappe.get_all("RT Note Item", {"parent": name}, ["item"])) == ["a", "b"]


def test_links_of_a_document_and_its_rows_are_looked_up_in_one_statement(log):
    import frappe

    one, two = customer("Save Reads One"), customer("Save Reads Two")
    note = frappe.get_doc({"doctype": "RT Note", "title": "links", "customer": one, "territory": "All Territories",
                           "items": [{"item": "a", "link_customer": one}, {"item": "b", "link_customer": two},
                                     {"item": "c", "link_customer": two}]})
    with log.counting():
        note.insert()
    lookups = log.matching(r"`tab(Customer|Territory)`")
    assert len(lookups) == 1 and " union all " in lookups[0]


def test_invalid_links_are_refused_as_before(site):
    import frappe

    one = customer("Save Reads One")
    note = frappe.get_doc({"doctype": "RT Note", "title": "bad link", "customer": one,
                           "items": [{"item": "a", "link_customer": one}, {"item": "b", "link_customer": "Nobody"}]})
    with pytest.raises(frappe.LinkValidationError, match="Could not find Row #2: Link Customer: Nobody"):
        note.insert()


def test_a_link_matched_only_by_the_collation_is_checked_on_its_own(site):
    """An engine whose collation finds "save reads one" as "Save Reads One" accepts it and the link keeps the
    stored case; one comparing exactly refuses it — as each field's own lookup decides."""
    import frappe

    one = customer("Save Reads One")
    found = frappe.db.get_value("Customer", {"name": one.lower()}, "name")
    note = frappe.get_doc({"doctype": "RT Note", "title": "case", "customer": one.lower(),
                           "items": [{"item": "a", "link_customer": one}]})
    if found:
        note.insert()
        assert note.customer == one
    else:
        with pytest.raises(frappe.LinkValidationError):
            note.insert()


def test_a_link_to_a_cancelled_document_is_refused(masters):  # noqa: F811
    import frappe

    def receipt(**row):
        return frappe.get_doc({"doctype": "Stock Entry", "stock_entry_type": "Material Receipt",
                               "company": masters.company,
                               "items": [{"item_code": masters.item["syringe"], "qty": 1,
                                          "t_warehouse": masters.stores, "basic_rate": 0.5, **row}]})

    cancelled = receipt().insert()
    cancelled.submit()
    cancelled.cancel()
    # nothing cached: the statement unites targets without a docstatus (Company, Item, Warehouse, UOM) with one
    # that has it (PostgreSQL matches each column's type across the parts)
    frappe.db.value_cache.clear()
    with pytest.raises(frappe.CancelledLinkError, match="Cannot link cancelled document"):
        receipt(against_stock_entry=cancelled.name).insert()
    frappe.db.value_cache.clear()
    receipt(against_stock_entry=masters.receipt).insert()  # a submitted one is fine
