"""Helpers of the connector tests: a fake clock and readers of what was sent and logged."""

from __future__ import annotations

import json

REAL_START = 1_800_000_000.0  # 2027-01-15, far from any real "now" a mistake could leak into


class FakeClock:
    """Time that moves only when slept on or advanced; records every sleep."""

    def __init__(self, start: float = REAL_START):
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def sent_json(call) -> dict:
    """The JSON body a recorded ``responses`` call sent."""
    body = call.request.body
    return json.loads(body.decode() if isinstance(body, bytes) else body)


def logs_for(reference_name: str, vendor: str | None = None) -> list:
    """Integration log rows pointing at ``reference_name``, oldest first."""
    import frappe

    filters = {"reference_name": reference_name}
    if vendor:
        filters["vendor"] = vendor
    return frappe.get_all("MedGrid Integration Log", filters=filters, fields=["*"], order_by="creation asc, name asc")
