"""MedGrid runtime tooling: the ``medgrid-runtime`` command line (bench's commands, no bench needed).

The Frappe-compatible library itself is the ``frappe`` package next to this one.
"""

__version__ = "0.1.0"
