"""A tiny Frappe app used by the HTTP tests (tests/runtime/test_http_*.py)."""

__version__ = "0.0.1"
