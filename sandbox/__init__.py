"""Local vendor sandboxes for MedGrid: one small HTTP server per fulfilment vendor.

Each sandbox speaks the part of its vendor's API that MedGrid's connectors use (see
``shared/vendors/``), keeps its state in memory and plays each order's story back to MedGrid as
signed webhooks, so a whole order flows end to end on one machine. MedGrid only ever sees a base
URL; nothing in the app knows it talks to a sandbox. ``python -m sandbox`` starts all five.
"""

from __future__ import annotations

VENDORS = ("perfectrx", "shipstation", "sinq", "centre_research", "shopify")


def sandbox_class(vendor: str):
    """The sandbox class of a vendor key (imported lazily: Shopify needs graphql-core)."""
    if vendor == "perfectrx":
        from sandbox.perfectrx import PerfectRxSandbox as cls
    elif vendor == "shipstation":
        from sandbox.shipstation import ShipStationSandbox as cls
    elif vendor == "sinq":
        from sandbox.sinq import SinqSandbox as cls
    elif vendor == "centre_research":
        from sandbox.centre_research import CentreResearchSandbox as cls
    elif vendor == "shopify":
        from sandbox.shopify import ShopifySandbox as cls
    else:
        raise KeyError(f"unknown vendor {vendor!r}; expected one of {VENDORS}")
    return cls
