"""Shared steps of the back-office browser tests (approval, mapping, onboarding, order flow)."""

from __future__ import annotations

import contextlib

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DEMO_STORE = "Vitality Peptide Store"   # medgrid/setup/demo.py: a vendor store with products waiting


def both_sizes(page, shot, label: str) -> None:
    """A screenshot at desktop width and one at 390 px (a phone); the page is left at desktop width."""
    shot(page, f"{label}-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)  # charts redraw for the new width (frappe-charts' ResizeObserver)
    shot(page, f"{label}-390px")
    page.set_viewport_size(DESKTOP)


def refused(page, stack, path: str) -> None:
    """The page answers 403 (Frappe's "Not Permitted" page) and shows none of its content."""
    response = page.goto(stack.url + path)
    assert response.status == 403, (path, response.status)
    assert "data-mg-page" not in page.content()


@contextlib.contextmanager
def demo_store_of_the_vendor(stack):
    """For the block, the demo store's profile belongs to the demo vendor login; then it has no login again
    (other tests expect the vendor to manage exactly one profile)."""
    admin = stack.api("admin")
    url = stack.url + f"/api/resource/Vendor Profile/{DEMO_STORE}"
    response = admin.put(url, json={"user": "vendor@vendor.example"})
    assert response.ok, response.text
    try:
        yield
    finally:
        admin.put(url, json={"user": None}).raise_for_status()
