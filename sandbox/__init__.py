"""Local vendor sandboxes for MedGrid: one small HTTP server per fulfilment vendor.

Each sandbox speaks the part of its vendor's API that MedGrid's connectors use (see
``shared/vendors/``), keeps its state in memory and plays each order's story back to MedGrid as
signed webhooks, so a whole order flows end to end on one machine. MedGrid only ever sees a base
URL; nothing in the app knows it talks to a sandbox. ``python -m sandbox`` starts all five. Which sandboxes
exist is the vendor registry's (each descriptor names its sandbox class, ``medgrid.vendors``).
"""

from __future__ import annotations

import importlib
import os

# Apps whose vendors get sandboxes besides medgrid's (comma-separated; e.g. a test app adding a vendor)
APPS_ENV = "SANDBOX_APPS"


def vendor_apps(extra=None) -> list[str]:
    apps = ["medgrid"]
    for app in list(extra or []) + [a.strip() for a in os.environ.get(APPS_ENV, "").split(",")]:
        if app and app not in apps:
            apps.append(app)
    return apps


def sandbox_paths(apps=None) -> dict[str, str]:
    """sandbox name → dotted path of its class, from the vendor registry of ``apps`` (several vendors may share
    one sandbox: Exoceuticals and the vendor stores both speak to the Shopify one)."""
    from medgrid.vendors import app_vendor_paths, descriptors_from

    out: dict[str, str] = {}
    for descriptor in descriptors_from(app_vendor_paths(vendor_apps(apps))).values():
        if descriptor.sandbox:
            out.setdefault(descriptor.sandbox_name, descriptor.sandbox)
    return out


VENDORS = tuple(sandbox_paths())


def sandbox_class(vendor: str, apps=None):
    """The sandbox class of a sandbox name (imported lazily: Shopify needs graphql-core)."""
    paths = sandbox_paths(apps)
    if vendor not in paths:
        raise KeyError(f"unknown vendor {vendor!r}; expected one of {tuple(paths)}")
    module, _, name = paths[vendor].rpartition(".")
    return getattr(importlib.import_module(module), name)
