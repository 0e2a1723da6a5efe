"""Log in as each role through /login and open the pages that role may (and may not) see."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

PAGES = {
    # role: (pages it may open, pages it is refused)
    "partner": (["/sales-order"], ["/portal/integrations", "/medgrid-admin/dispatches"]),
    "rep": (["/sales-order"], ["/portal/integrations", "/medgrid-admin/webhook-events"]),
    "vendor": (["/portal/integrations"], ["/sales-order", "/medgrid-admin/dispatches"]),
    "admin": (["/portal/integrations", "/sales-order", "/medgrid-admin/dispatches", "/medgrid-admin/webhook-events"],
              []),
}


def test_a_guest_gets_the_not_permitted_page_whose_login_button_comes_back(stack, page, shot):
    response = page.goto(stack.url + "/portal/integrations")

    assert response.status == 403
    expect(page.locator(".page-card")).to_contain_text("You need to be logged in")
    shot(page, "guest-403")
    page.get_by_role("link", name="Login").click()
    expect(page).to_have_url(re.compile(r"/login\?redirect-to=%2Fportal%2Fintegrations$"))
    page.get_by_label("Email").fill("vendor@vendor.example")
    page.get_by_label("Password").fill("MedGrid-Demo-1")
    page.get_by_role("button", name="Login").click()
    expect(page).to_have_url(stack.url + "/portal/integrations")
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()


def test_a_wrong_password_is_refused_on_the_login_page(stack, page):
    page.goto(stack.url + "/login")
    page.get_by_label("Email").fill("rep@medgrid.example")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Login").click()

    expect(page.locator("#login-error")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))


@pytest.mark.parametrize("role", list(PAGES))
def test_each_role_opens_its_pages_and_is_refused_the_others(stack, page, shot, role):
    allowed, refused = PAGES[role]
    login(page, stack, role)

    for path in allowed:
        response = page.goto(stack.url + path)
        assert response.status == 200, path
        expect(page.locator("nav.mg-nav")).to_be_visible()
        expect(page.locator(f'nav.mg-nav a[href="{path}"]')).to_have_attribute("aria-current", "page")
    shot(page, f"{role}-home")
    for path in refused:
        response = page.goto(stack.url + path)
        assert response.status == 403, path
        expect(page.locator(".page-card")).to_contain_text("Not Permitted")
