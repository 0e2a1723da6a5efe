"""``medgrid-runtime run-tests`` and ``frappe.tests.utils``: app tests on Frappe 15's test API."""

from __future__ import annotations

import contextvars
import json
import os
import sys
import textwrap

import pytest
from click.testing import CliRunner

from medgrid_runtime.cli import cli
from medgrid_runtime.commands.run_tests import find_test_modules

SAMPLE_TESTS = '''
import frappe
from frappe.tests.utils import FrappeTestCase, change_settings, patch_hooks


class TestSample(FrappeTestCase):
    def test_site_is_connected_as_administrator(self):
        self.assertEqual(frappe.session.user, "Administrator")
        self.assertTrue(frappe.flags.in_test)
        self.assertEqual(frappe.db.get_value("Role", "Guest", "name"), "Guest")

    def test_writes_are_rolled_back_after_the_class(self):
        frappe.get_doc({"doctype": "Role", "role_name": "Run Tests Leftover"}).insert(ignore_permissions=True)

    def test_set_user_context(self):
        with self.set_user("Guest"):
            self.assertEqual(frappe.session.user, "Guest")
        self.assertEqual(frappe.session.user, "Administrator")

    def test_document_equal_and_query_count(self):
        doc = frappe.get_doc("Role", "Guest")
        self.assertDocumentEqual({"role_name": "Guest", "desk_access": 0}, doc)
        with self.assertRaises(AssertionError):
            self.assertDocumentEqual({"role_name": "All"}, doc)
        with self.assertQueryCount(5):
            frappe.db.sql("select 1")
        with self.assertRaises(AssertionError):
            with self.assertQueryCount(0):
                frappe.db.sql("select 1")

    @change_settings("System Settings", {"allow_error_traceback": 0})
    def test_change_settings(self):
        self.assertEqual(frappe.db.get_single_value("System Settings", "allow_error_traceback"), 0)

    def test_patch_hooks(self):
        with patch_hooks({"before_tests": ["some.patched.hook"]}):
            self.assertEqual(frappe.get_hooks("before_tests"), ["some.patched.hook"])


class TestOther(FrappeTestCase):
    def test_leftover_of_the_previous_class_is_gone(self):
        self.assertFalse(frappe.db.exists("Role", "Run Tests Leftover"))

    def test_this_one_fails_when_asked(self):
        import os
        if os.environ.get("SAMPLE_SHOULD_FAIL"):
            self.fail("asked to fail")
'''


@pytest.fixture(scope="module")
def sample_package(tmp_path_factory):
    """An importable package ``rt_sample_tests`` with a test module, a nested one and a non-test file."""
    root = tmp_path_factory.mktemp("run_tests_pkg")
    package = root / "rt_sample_tests"
    (package / "sub").mkdir(parents=True)
    (package / "no_package").mkdir()
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "test_sample.py").write_text(textwrap.dedent(SAMPLE_TESTS))
    (package / "sub" / "test_nested.py").write_text("import unittest\n\nclass T(unittest.TestCase):\n"
                                                    "    def test_ok(self):\n        pass\n")
    (package / "sub" / "helpers.py").write_text("")
    (package / "no_package" / "test_unreachable.py").write_text("")
    sys.path.insert(0, str(root))
    yield "rt_sample_tests"
    sys.path.remove(str(root))


def invoke(sites_path, site, *args, env=None):
    runner = CliRunner()
    return contextvars.Context().run(runner.invoke, cli, ["--sites-path", sites_path, "--site", site, *args],
                                     env=env)


def allow_tests(sites_path, site, value=True):
    path = os.path.join(sites_path, site, "site_config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    config["allow_tests"] = value
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)


def test_discovery_finds_test_modules_inside_packages_only(sample_package):
    assert sorted(find_test_modules(sample_package)) == ["rt_sample_tests.sub.test_nested", "rt_sample_tests.test_sample"]


def test_a_site_without_allow_tests_refuses(test_site, sites_path, sample_package):
    allow_tests(sites_path, test_site, False)
    result = invoke(sites_path, test_site, "run-tests", "--module", "rt_sample_tests.test_sample", env={"CI": None})
    assert result.exit_code != 0
    assert "Testing is disabled for the site!" in result.output


def test_a_module_runs_on_the_connected_site(test_site, sites_path, sample_package):
    allow_tests(sites_path, test_site)
    result = invoke(sites_path, test_site, "run-tests", "--module", "rt_sample_tests.test_sample")
    assert result.exit_code == 0, result.output
    assert "run-tests: 8 passed, 0 failed" in result.output


def test_a_failure_fails_the_command(test_site, sites_path, sample_package):
    allow_tests(sites_path, test_site)
    result = invoke(sites_path, test_site, "run-tests", "--module", "rt_sample_tests.test_sample",
                    env={"SAMPLE_SHOULD_FAIL": "1"})
    assert result.exit_code == 1
    assert "run-tests: 7 passed, 1 failed" in result.output


def test_case_and_test_select_methods(test_site, sites_path, sample_package):
    allow_tests(sites_path, test_site)
    result = invoke(sites_path, test_site, "run-tests", "--module", "rt_sample_tests.test_sample",
                    "--case", "TestSample", "--test", "test_set_user_context", "--test", "test_patch_hooks")
    assert result.exit_code == 0, result.output
    assert "run-tests: 2 passed, 0 failed" in result.output
    result = invoke(sites_path, test_site, "run-tests", "--module", "rt_sample_tests.test_sample",
                    "--case", "NoSuchCase")
    assert result.exit_code != 0 and "has no TestCase NoSuchCase" in result.output


def test_an_app_with_no_tests_fails(test_site, sites_path):
    allow_tests(sites_path, test_site)
    result = invoke(sites_path, test_site, "run-tests", "--app", "runtime_test_app")
    assert result.exit_code != 0
    assert "no test ran" in result.output


def test_an_app_that_is_not_installed_is_refused(test_site, sites_path, sample_package):
    allow_tests(sites_path, test_site)
    result = invoke(sites_path, test_site, "run-tests", "--app", sample_package)
    assert result.exit_code != 0 and f"App {sample_package} is not installed" in result.output


def test_an_unknown_doctype_is_refused(test_site, sites_path):
    allow_tests(sites_path, test_site)
    result = invoke(sites_path, test_site, "run-tests", "--doctype", "No Such DocType")
    assert result.exit_code != 0 and "DocType No Such DocType not found" in result.output
