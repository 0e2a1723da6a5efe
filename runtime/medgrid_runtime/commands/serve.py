"""Registers ``medgrid-runtime serve`` (see medgrid_runtime.serve)."""

from medgrid_runtime.serve import commands, serve  # noqa: F401
