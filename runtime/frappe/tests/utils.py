"""``frappe.tests.utils``: the base test case and helpers of Frappe 15 (same names and signatures).

A test class on :class:`FrappeTestCase` runs inside a connected site (the ``run-tests`` command
connects it, as bench does). Whatever a test class leaves uncommitted is rolled back after the
class, and the request-local state (flags, message log, config) is put back as it was.
"""

from __future__ import annotations

import copy
import datetime
import signal
import unittest
from collections.abc import Sequence
from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.utils import cint

_DATE_TYPES = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)


class FrappeTestCase(unittest.TestCase):
    """Base class of app tests: connected site, rollback after the class, Frappe's assertions.

    A subclass that defines ``setUpClass`` must call ``super().setUpClass()``.
    """

    TEST_SITE = "test_site"
    SHOW_TRANSACTION_COMMIT_WARNINGS = False
    maxDiff = 10_000

    @classmethod
    def setUpClass(cls) -> None:
        if getattr(frappe.local, "db", None) is None:
            raise RuntimeError("FrappeTestCase needs a connected site: run the tests with "
                               "`medgrid-runtime --site SITE run-tests` (or `bench --site SITE run-tests`)")
        cls.TEST_SITE = getattr(frappe.local, "site", None) or cls.TEST_SITE
        cls.ADMIN_PASSWORD = frappe.local.conf.get("admin_password")
        cls._primary_connection = frappe.local.db
        cls._secondary_connection = None
        # what earlier classes left open must not be rolled back with this class's work
        frappe.db.commit()
        if cls.SHOW_TRANSACTION_COMMIT_WARNINGS:
            frappe.db.before_commit.add(_warn_on_commit)
        # class cleanups run last-in first-out: roll back, then restore the request-local state
        cls.addClassCleanup(_restore_local_state, copy.copy(frappe.local.flags), frappe.session.user)
        cls.addClassCleanup(_rollback)
        super().setUpClass()

    def assertSequenceSubset(self, larger: Sequence, smaller: Sequence, msg=None):
        """Every item of ``smaller`` is in ``larger``."""
        self.assertTrue(set(smaller).issubset(set(larger)), msg=msg)

    def assertDocumentEqual(self, expected, actual):
        """The fields given in ``expected`` (a dict or document) have these values in ``actual``;
        child tables row by row, floats to the field's precision."""
        if hasattr(expected, "as_dict"):
            expected = expected.as_dict()
        for fieldname, value in expected.items():
            if isinstance(value, list):
                rows = actual.get(fieldname) or []
                self.assertEqual(len(value), len(rows), msg=f"{fieldname} should have {len(value)} rows")
                for expected_row, actual_row in zip(value, rows):
                    self.assertDocumentEqual(expected_row, actual_row)
            else:
                self._assert_field_equal(value, actual.get(fieldname), actual, fieldname)

    def _assert_field_equal(self, expected, actual, doc, fieldname):
        message = f"{fieldname} should be the same"
        if isinstance(expected, float):
            places = doc.precision(fieldname) if hasattr(doc, "precision") else None
            self.assertAlmostEqual(expected, actual, places=places or 7, msg=message)
        elif isinstance(expected, bool | int):
            self.assertEqual(expected, cint(actual), msg=message)
        elif isinstance(expected, _DATE_TYPES):
            self.assertEqual(str(expected), str(actual), msg=message)
        else:
            self.assertEqual(expected, actual, msg=message)

    @contextmanager
    def assertQueryCount(self, count):
        """The block runs at most ``count`` SQL statements through ``frappe.db.sql``."""
        db_class = frappe.db.__class__
        original = db_class.sql
        queries = []

        def counting_sql(db, query, *args, **kwargs):
            queries.append(str(query))
            return original(db, query, *args, **kwargs)

        db_class.sql = counting_sql
        try:
            yield
        finally:
            db_class.sql = original
        self.assertLessEqual(len(queries), count, msg="Queries executed:\n" + "\n\n".join(queries))

    @contextmanager
    def set_user(self, user: str):
        """Run the block as ``user``, then as the previous user again."""
        previous = frappe.session.user
        try:
            frappe.set_user(user)
            yield
        finally:
            frappe.set_user(previous)

    @contextmanager
    def primary_connection(self):
        """Run the block on the class's own database connection."""
        current = frappe.local.db
        try:
            frappe.local.db = self._primary_connection
            yield
        finally:
            frappe.local.db = current

    @contextmanager
    def secondary_connection(self):
        """Run the block on a second connection to the same site (another session's view)."""
        if self._secondary_connection is None:
            current = frappe.local.db
            frappe.connect()
            self._secondary_connection = frappe.local.db
            frappe.local.db = current
        current = frappe.local.db
        try:
            frappe.local.db = self._secondary_connection
            yield
        finally:
            frappe.local.db = current
            self.addCleanup(self._rollback_connections)

    def _rollback_connections(self):
        self._primary_connection.rollback()
        if self._secondary_connection is not None:
            self._secondary_connection.rollback()


def _warn_on_commit():
    import traceback

    print("Warning: transaction committed during tests.")
    traceback.print_stack(limit=10)


def _rollback():
    frappe.db.value_cache = {}
    frappe.db.rollback()


def _restore_local_state(flags, user):
    frappe.local.flags = flags
    frappe.local.message_log = []
    frappe.local.error_log = []
    frappe.local.conf = frappe._dict(frappe.get_site_config())
    frappe.local.cache = {}
    frappe.local.lang = "en"
    frappe.set_user(user)


@contextmanager
def change_settings(doctype, settings_dict=None, /, commit=False, **settings):
    """Change fields of a Single (``change_settings("System Settings", {"x": 1})`` or ``x=1``) for
    the block or decorated test, and put the previous values back afterwards, failure or not."""
    values = settings_dict if settings_dict is not None else settings
    doc = frappe.get_doc(doctype)
    previous = {key: doc.get(key) for key in values}
    try:
        doc.update(values)
        doc.save(ignore_permissions=True)
        frappe.db.value_cache = {}
        if commit:
            frappe.db.commit()
        yield
    finally:
        doc = frappe.get_doc(doctype)
        doc.update(previous)
        doc.save(ignore_permissions=True)
        frappe.db.value_cache = {}
        if commit:
            frappe.db.commit()


@contextmanager
def patch_hooks(overridden_hooks: dict):
    """Answer ``frappe.get_hooks(name)`` with ``overridden_hooks[name]`` inside the block."""
    original = frappe.get_hooks

    def patched(hook=None, default="_KEEP_DEFAULT_LIST", app_name=None):
        if hook in overridden_hooks:
            return overridden_hooks[hook]
        return original(hook, default, app_name)

    with patch.object(frappe, "get_hooks", patched):
        yield


def timeout(seconds=30, error_message="Test timed out."):
    """Fail the decorated test when it runs longer than ``seconds`` (``@timeout`` alone: 30 s).
    Uses SIGALRM, so only in the main thread on POSIX, as Frappe's."""
    bare = callable(seconds)
    limit = 30 if bare else int(seconds)

    def decorator(func):
        def on_alarm(signum, frame):
            raise Exception(error_message)

        def wrapper(*args, **kwargs):
            previous = signal.signal(signal.SIGALRM, on_alarm)
            signal.alarm(limit)
            try:
                return func(*args, **kwargs)
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        return wrapper

    return decorator(seconds) if bare else decorator
