"""Replay harness for the recorded Frappe v15 HTTP contract (see tests/conformance/README.md)."""
