"""Onboarding in the browser: a guest requests a Vendor Profile on /vendor-signup, an admin approves it on
/medgrid-admin/vendor-requests (profile and login made, welcome mail sent), another is rejected; the vendor's
/portal/integrations checklist ticks from real state; a rep is refused the requests page."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.backoffice_flows import both_sizes, refused
from tests.browser.conftest import login


def request_profile(page, stack, company: str, email: str, integration: str = "Shopify Store") -> None:
    page.goto(stack.url + "/vendor-signup")
    page.get_by_label("Company *").fill(company)
    page.get_by_label("Your name *").fill("Ada Vendor")
    page.get_by_label("Email *").fill(email)
    page.get_by_label(integration).check()
    page.get_by_label("Anything we should know").fill("We sell peptides from our Shopify store.")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#mg-signup-done")).to_contain_text("reviews every request")


def test_a_guest_asks_and_an_admin_approves_or_rejects(stack, page, shot, browser_context):
    suffix = uuid.uuid4().hex[:6]
    company, email = f"Acme Peptides {suffix}", f"ada-{suffix}@acme.example"

    page.goto(stack.url + "/vendor-signup")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("Fill in: Company")
    page.get_by_label("Company *").fill(company)
    page.get_by_label("Your name *").fill("Ada Vendor")
    page.get_by_label("Email *").fill("not an email")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#mg-messages [role=alert]")).to_contain_text("not a valid email")
    both_sizes(page, shot, "signup-refused")
    request_profile(page, stack, company, email)
    shot(page, "signup-sent")
    request_profile(page, stack, f"Spam Co {suffix}", f"spam-{suffix}@spam.example", "Other")

    admin = browser_context.new_page()
    login(admin, stack, "admin", "/medgrid-admin/vendor-requests")
    card = admin.locator("[data-request]").filter(has_text=company)
    expect(card).to_contain_text(email)
    expect(card.get_by_label("Connector")).to_have_value("shopify")
    both_sizes(admin, shot, "requests")
    card.get_by_role("button", name="Approve").click()
    expect(admin.locator("#mg-messages [role=status]")).to_contain_text(f"Vendor Profile {company}")
    spam = admin.locator("[data-request]").filter(has_text=f"Spam Co {suffix}")
    spam.get_by_role("button", name="Reject").click()
    expect(admin.locator("#mg-messages [role=alert]")).to_contain_text("Give a reason")
    spam.get_by_label("Reason (to reject)").fill("Not a medical supplier")
    spam.get_by_role("button", name="Reject").click()
    expect(admin.locator("#mg-messages [role=status]")).to_contain_text("Rejected")
    admin.goto(stack.url + "/medgrid-admin/vendor-requests?status=Approved")
    expect(admin.locator("[data-request]").filter(has_text=company)).to_contain_text(email)

    session = stack.api("admin")
    profile = session.get(stack.url + f"/api/resource/Vendor Profile/{company}").json()["data"]
    assert (profile["user"], profile["vendor_key"], profile["status"]) == (email, "shopify", "Onboarding")
    # (the welcome mail itself is checked in tests/medgrid/test_onboarding.py, where frappe.sendmail is seen)

    # the new vendor's checklist, as an admin acting for it: profile done, nothing connected yet
    admin.goto(stack.url + f"/portal/integrations?vendor_profile={company}")
    steps = admin.locator("#mg-checklist li")
    expect(steps.filter(has_text="Vendor Profile approved")).to_have_attribute("data-done", "1")
    expect(steps.filter(has_text="An integration is connected")).to_have_attribute("data-done", "0")
    expect(steps.filter(has_text="First order delivered")).to_have_attribute("data-done", "0")
    both_sizes(admin, shot, "checklist")


def test_a_rep_cannot_read_or_decide_requests(stack, page):
    login(page, stack, "rep")
    refused(page, stack, "/medgrid-admin/vendor-requests")
