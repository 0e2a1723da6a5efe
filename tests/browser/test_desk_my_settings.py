"""My Settings in the runtime's Desk: a Sales Rep (no right on User but Desk User's select) opens and
saves its own User form through the User's DocShare with itself; roles and keys stay out of the page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import USERS, login


def test_rep_edits_its_own_user_form_without_seeing_roles_or_keys(stack, page, shot):
    rep = stack.api("rep")
    own = stack.url + "/api/resource/User/" + USERS["rep"].replace("@", "%40")
    location_before = rep.get(own).json()["data"].get("location") or ""
    new_location = "Desk-edited " + location_before[:20]
    try:
        login(page, stack, "rep", "/app/user/" + USERS["rep"].replace("@", "%40"))
        page.wait_for_selector("body[data-ready='1']")
        first_name = page.get_by_label("First Name")
        expect(first_name).to_be_editable()
        # permlevel-1 fields (roles, user type, API keys) are not drawn for a user without a role on them
        expect(page.get_by_text("Roles Assigned")).to_have_count(0)
        expect(page.get_by_label("API Key")).to_have_count(0)
        page.get_by_label("Location").fill(new_location)
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#desk-alerts")).to_contain_text("Saved")
        shot(page, "rep-my-settings-saved")
        saved = rep.get(own).json()["data"]
        assert saved["location"] == new_location
        assert saved.get("roles") == [] and "api_key" not in saved
    finally:
        rep.put(own, json={"location": location_before})
