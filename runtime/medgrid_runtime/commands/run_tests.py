"""``medgrid-runtime --site SITE run-tests``: bench's ``run-tests`` for app tests on ``FrappeTestCase``.

The options keep bench's names (Frappe 15 ``frappe/commands/utils.py``): ``--app`` runs every
``test_*.py`` of the app package, ``--module`` one dotted test module, ``--doctype`` the test module of
one doctype (``<app>/<module>/doctype/<name>/test_<name>.py``), ``--case`` one TestCase class of
``--module``, ``--test`` single test methods, ``--failfast`` stops at the first failure and
``--skip-before-tests`` skips the ``before_tests`` hooks.

Differences from bench, both so that a test command can trust the exit code: a site without
``allow_tests`` (and no ``CI`` in the environment) is an error, not a message with exit 0; and a run
that finds no test fails.
"""

from __future__ import annotations

import importlib
import os
import sys
import unittest

import click

import frappe
from medgrid_runtime.cli import _open_site, get_site, pass_context

SKIPPED_FOLDERS = {"node_modules", "__pycache__", "public", "templates", "www"}


def find_test_modules(app: str) -> list[str]:
    """Dotted names of every ``test_*.py`` module in the app's package, in a stable order."""
    package = importlib.import_module(app)
    root = os.path.dirname(os.path.abspath(package.__file__))
    base = os.path.dirname(root)
    modules = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_FOLDERS and not d.startswith("."))
        if not os.path.exists(os.path.join(folder, "__init__.py")):
            subfolders[:] = []  # not a package: nothing below can be imported as a test module
            continue
        for name in sorted(files):
            if name.startswith("test_") and name.endswith(".py"):
                relative = os.path.relpath(os.path.join(folder, name[:-3]), base)
                modules.append(relative.replace(os.sep, "."))
    return modules


def doctype_test_module(doctype: str) -> str:
    """The dotted test module of a doctype (``<app>.<module>.doctype.<name>.test_<name>``)."""
    from frappe.model.meta import get_doctype_index

    try:
        app, module, _path = get_doctype_index()[doctype]
    except KeyError:
        raise click.ClickException(f"DocType {doctype} not found") from None
    name = frappe.scrub(doctype)
    return f"{app}.{frappe.scrub(module)}.doctype.{name}.test_{name}"


def build_suite(app=None, module=None, doctype=None, case=None, tests=()) -> unittest.TestSuite:
    loader = unittest.TestLoader()
    if case and not module:
        raise click.UsageError("--case needs --module")
    if module or doctype:
        module_name = module or doctype_test_module(doctype)
        test_module = importlib.import_module(module_name)
        if case:
            test_case = getattr(test_module, case, None)
            if not isinstance(test_case, type) or not issubclass(test_case, unittest.TestCase):
                raise click.ClickException(f"{module_name} has no TestCase {case}")
            if tests:
                return unittest.TestSuite(test_case(name) for name in tests)
            return loader.loadTestsFromTestCase(test_case)
        if tests:
            return loader.loadTestsFromNames(tests, test_module)
        return loader.loadTestsFromModule(test_module)
    if not app:
        raise click.UsageError("give --app, --module or --doctype")
    if app not in frappe.get_installed_apps():
        raise click.ClickException(f"App {app} is not installed on site {frappe.local.site}")
    suite = unittest.TestSuite()
    for module_name in find_test_modules(app):
        suite.addTests(loader.loadTestsFromModule(importlib.import_module(module_name)))
    return suite


@click.command("run-tests")
@click.option("--app", help="Every test_*.py of this app.")
@click.option("--module", help="One test module (dotted path).")
@click.option("--doctype", help="The test module of this DocType.")
@click.option("--case", help="One TestCase class of --module.")
@click.option("--test", "tests", multiple=True, help="One test method (repeatable; with --case, its method names).")
@click.option("--failfast", is_flag=True, default=False, help="Stop at the first failure.")
@click.option("--skip-before-tests", is_flag=True, default=False, help="Do not run the before_tests hooks.")
@pass_context
def run_tests(context, app, module, doctype, case, tests, failfast, skip_before_tests):
    """Run app tests (unittest, FrappeTestCase) on the site, as `bench run-tests` does."""
    site = get_site(context)
    conf = frappe.get_site_config(context.sites_path, os.path.join(context.sites_path, site))
    if not (conf.get("allow_tests") or os.environ.get("CI")):
        raise click.ClickException(f"Testing is disabled for the site! Enable it with: "
                                   f"medgrid-runtime --site {site} set-config allow_tests true")
    try:
        _open_site(context, site)
        frappe.flags.in_test = True
        frappe.set_user("Administrator")
        if not skip_before_tests:
            for method in frappe.get_hooks("before_tests", app_name=app) if app else frappe.get_hooks("before_tests"):
                frappe.get_attr(method)()
        suite = build_suite(app=app, module=module, doctype=doctype, case=case, tests=tests)
        result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2 if context.verbose else 1,
                                         failfast=failfast).run(suite)
    finally:
        frappe.destroy()
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    summary = f"run-tests: {passed} passed, {failed} failed"
    if result.skipped:
        summary += f", {len(result.skipped)} skipped"
    click.echo(summary)
    if result.testsRun == 0:
        raise click.ClickException("no test ran")
    if failed:
        sys.exit(1)


commands = [run_tests]
