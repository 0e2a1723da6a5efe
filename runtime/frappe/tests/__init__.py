"""Frappe 15's test API for app tests (``frappe.tests.utils.FrappeTestCase`` and its helpers).

App tests written on it run unchanged under ``bench --site S run-tests --app APP`` on a real bench and
under ``medgrid-runtime --site S run-tests --app APP`` here. Frappe 15 has no ``IntegrationTestCase``
/ ``UnitTestCase`` (those arrive in Frappe 16), so neither does the runtime.
"""
