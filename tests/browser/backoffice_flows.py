"""Shared steps of the back-office browser tests (approval, mapping, onboarding, order flow)."""

from __future__ import annotations

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DEMO_STORE = "Demo Peptide Store"   # medgrid/setup/demo.py: a vendor store with products waiting


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


def give_demo_store_to_the_vendor(stack) -> None:
    """The demo store's profile belongs to the demo vendor login (the demo data is made before the users)."""
    admin = stack.api("admin")
    response = admin.put(stack.url + f"/api/resource/Vendor Profile/{DEMO_STORE}",
                         json={"user": "vendor@vendor.example"})
    assert response.ok, response.text
