"""The vendor registry: one descriptor per fulfilment vendor, registered through the ``medgrid_vendors`` hook.

Everything in MedGrid that lists vendors derives from here — the router's connectors, the webhook apply
table, the order of each vendor's statuses, the Sales Order and Item custom fields, the vendor Select
options (set at migrate), the admin pages' filters, the portal's managed integrations, the status polls,
the sandbox runner, the demo and the e2e stack. A vendor is its own module(s) plus one line in an app's
``medgrid_vendors`` hook (see ``docs/adding-a-vendor.md``).

This module imports nothing of Frappe at load time: the sandbox runner reads descriptors without a site.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from types import MappingProxyType

HOOK = "medgrid_vendors"
# A connector may be replaced per vendor key (tests install fake connectors this way; the last app wins)
CONNECTOR_OVERRIDE_HOOK = "medgrid_connectors"

# Statuses every vendor may reach besides its stages (see medgrid.webhooks.status_order)
FINAL_STATUSES = ("Cancelled", "Refunded")
SIDE_STATUSES = ("Failed", "On Hold")


@dataclass(frozen=True)
class OrderFields:
    """The Sales Order fields a vendor owns, by meaning (None when the vendor has no such field)."""

    status: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    tracking_url: str | None = None
    sync_date: str | None = None
    vendor_order_id: str | None = None

    @property
    def tracking(self) -> tuple:
        return (self.tracking_number, self.carrier, self.tracking_url)


@dataclass(frozen=True)
class Statuses:
    """A vendor's status vocabulary: progress ``stages`` (earliest first) and the other statuses it uses."""

    stages: tuple = ()
    others: tuple = ()
    # the first stage at which goods have left the vendor (side statuses no longer apply from there)
    shipped: str | None = None
    # written to the order when its dispatch is created, before the vendor answers
    initial: str | None = None

    @property
    def vocabulary(self) -> tuple:
        return tuple(self.stages) + tuple(s for s in self.others if s not in self.stages)

    @property
    def closed(self) -> tuple:
        """Statuses after which nothing changes any more (polls stop there)."""
        return tuple(self.stages[-1:]) + tuple(s for s in self.vocabulary if s in FINAL_STATUSES)


@dataclass(frozen=True)
class ManagedIntegration:
    """A vendor MedGrid's team configures (a card on the vendor's portal page and its credential checklist)."""

    label: str
    summary: str = ""
    # (settings field, what the vendor hands over)
    credentials: tuple = ()
    # the guide's inbound path, or None when MedGrid polls
    webhook_path: str | None = None
    # settings fields whose newest value is the card's "last sync"; a JSON summary field with ``errors``
    last_sync_fields: tuple = ()
    summary_field: str | None = None


@dataclass(frozen=True)
class Poll:
    """How MedGrid catches what a lost webhook missed (or reads a vendor that has no webhook).

    ``per_order``: the one poll loop asks the connector's ``fetch_status`` for every open dispatch.
    ``accounts``: a dotted path to ``poll(vendor) -> {account: result}`` for vendors that list changes
    per account (ShipStation shipments, Shopify orders updated since a mark).
    """

    every_minutes: int = 15
    per_order: bool = False
    accounts: str | None = None


@dataclass(frozen=True)
class VendorDescriptor:
    """Everything MedGrid knows about one vendor."""

    key: str
    label: str
    connector: str                      # dotted path to the Connector class
    settings_doctype: str | None = None
    # a Single whose ``enabled`` switches the vendor on (and that install touches so its defaults exist)
    settings_is_single: bool = False
    order_fields: OrderFields = field(default_factory=OrderFields)
    statuses: Statuses = field(default_factory=Statuses)
    # the Sales Order section the vendor adds: (prefix, label, ((fieldname, fieldtype, label), …))
    order_section: tuple | None = None
    item_mapping_field: str | None = None
    # Item fields the vendor adds (custom field dicts without insert_after)
    item_fields: tuple = ()
    webhook_apply: str | None = None    # dotted path to apply(event) -> Outcome
    poll: Poll | None = None
    managed: ManagedIntegration | None = None
    sandbox: str | None = None          # dotted path to the sandbox class (see sandbox/framework.py)
    sandbox_key: str | None = None      # the sandbox serving it when several vendors share one

    @property
    def sandbox_name(self) -> str | None:
        return (self.sandbox_key or self.key) if self.sandbox else None


def load_descriptor(path: str) -> VendorDescriptor:
    module, _, name = path.rpartition(".")
    # the registry is read on every connector property: an imported module is taken as it is
    descriptor = getattr(sys.modules.get(module) or importlib.import_module(module), name)
    if not isinstance(descriptor, VendorDescriptor):
        raise TypeError(f"{path} is not a VendorDescriptor")
    return descriptor


def descriptors_from(paths) -> dict[str, VendorDescriptor]:
    """key → descriptor in hook order; a later registration of a key replaces the earlier one."""
    out: dict[str, VendorDescriptor] = {}
    for path in paths:
        descriptor = load_descriptor(path)
        out.pop(descriptor.key, None)
        out[descriptor.key] = descriptor
    return out


def app_vendor_paths(apps) -> list[str]:
    """The hook's entries of the named apps read from their hooks modules (no site needed)."""
    paths: list[str] = []
    for app in apps:
        hooks = importlib.import_module(f"{app}.hooks")
        paths.extend(getattr(hooks, HOOK, None) or [])
    return paths


# registries built, by hook entries: a submit asks ~100 times (every connector property), and the entries
# only change with the installed apps (or a test's patched hooks), which gives another key
_registries: dict[tuple, MappingProxyType] = {}


def get_vendors() -> MappingProxyType:
    """key → descriptor of every installed app's ``medgrid_vendors`` entries (read-only)."""
    import frappe

    paths = tuple(frappe.get_hooks(HOOK) or ())
    registry = _registries.get(paths)
    if registry is None:
        registry = _registries[paths] = MappingProxyType(descriptors_from(paths))
    return registry


def get_vendor(key: str) -> VendorDescriptor | None:
    return get_vendors().get(key)


def vendor_keys() -> tuple:
    return tuple(get_vendors())
