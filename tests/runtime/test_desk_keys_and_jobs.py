"""Issue 13: API keys from the User form (generate_keys) and the background jobs view, as attackers too.

HTTP test site callers: ``admin`` (System Manager), ``reader`` (RT Reader, no System Manager),
``website`` (Website User), ``None`` (Guest).
"""

from __future__ import annotations

import pytest

from http_helpers import USERS, get_http_site

KEYS = "/api/method/frappe.core.doctype.user.user.generate_keys"
JOBS = "/api/method/frappe.core.page.background_jobs.background_jobs.get_info"


@pytest.fixture()
def http(sites_path):
    return get_http_site(sites_path)


def _me(http, key, secret):
    return http.get("/api/method/frappe.auth.get_logged_user", auth=f"token {key}:{secret}")


def test_system_manager_generates_keys_for_another_user_once(http):
    target = USERS["website"][0]
    first = http.post(KEYS, auth=http.token("admin"), form={"user": target})
    assert first.status == 200, first.text
    keys = first.json()["message"]
    assert _me(http, keys["api_key"], keys["api_secret"]).json()["message"] == target

    second = http.post(KEYS, auth=http.token("admin"), form={"user": target}).json()["message"]
    assert second["api_key"] == keys["api_key"], "the API key is kept"
    assert second["api_secret"] != keys["api_secret"], "a new secret every call"
    assert _me(http, keys["api_key"], keys["api_secret"]).status == 401, "the old secret stops working"
    assert _me(http, second["api_key"], second["api_secret"]).status == 200
    http.keys["website"] = (second["api_key"], second["api_secret"])

    # never readable afterwards: not in the User document, not through get_password
    user = http.get(f"/api/resource/User/{target}", auth=http.token("admin"))
    assert second["api_secret"] not in user.text
    password = http.post("/api/method/frappe.client.get_password", auth=http.token("admin"),
                         form={"doctype": "User", "name": target, "fieldname": "api_secret"})
    assert password.status == 403, password.text
    assert second["api_secret"] not in password.text


@pytest.mark.parametrize("who", [None, "website", "reader"])
def test_keys_of_another_user_are_refused(http, who):
    target = USERS["admin"][0]
    before = http.keys["admin"]
    reply = http.post(KEYS, auth=http.token(who) if who else None, form={"user": target})
    assert reply.status == 403, reply.text
    assert "api_secret" not in reply.text
    assert _me(http, *before).status == 200, "the victim's secret still works"


@pytest.mark.parametrize("who", ["reader", "website"])
def test_a_user_regenerates_its_own_secret(http, who):
    reply = http.post(KEYS, auth=http.token(who), form={"user": USERS[who][0]})
    assert reply.status == 200, reply.text
    keys = reply.json()["message"]
    assert keys["api_key"] == http.keys[who][0]
    assert _me(http, keys["api_key"], keys["api_secret"]).json()["message"] == USERS[who][0]
    http.keys[who] = (keys["api_key"], keys["api_secret"])


def test_generate_keys_is_post_only_and_needs_a_user(http):
    assert http.get(f"{KEYS}?user={USERS['admin'][0]}", auth=http.token("admin")).status in (403, 405)
    missing = http.post(KEYS, auth=http.token("admin"), form={"user": "nobody@example.com"})
    assert missing.status == 404, missing.text


# ---------------------------------------------------------------- background jobs

def test_background_jobs_show_this_sites_failed_job_with_its_traceback(http):
    with http.context() as frappe:
        from frappe.utils.background_jobs import wait_for_in_process_jobs

        frappe.enqueue("frappe.throw", msg="desk-job-failure", queue="short", enqueue_after_commit=False)
    with http.context():
        wait_for_in_process_jobs(30)
    reply = http.get(f"{JOBS}?job_status=failed", auth=http.token("admin"))
    assert reply.status == 200, reply.text
    jobs = reply.json()["message"]
    failed = [j for j in jobs if "desk-job-failure" in (j.get("exc_info") or "")]
    assert failed, jobs
    job = failed[0]
    assert job["status"] == "failed" and job["color"] == "red" and job["queue"] == "short"
    assert job["job_name"] == "frappe.throw"
    assert "Traceback (most recent call last)" in job["exc_info"]
    assert http.sites_path not in job["exc_info"], "server paths are rewritten as a bench prints them"


@pytest.mark.parametrize("who", [None, "website", "reader"])
def test_background_jobs_are_for_system_managers_only(http, who):
    reply = http.get(JOBS, auth=http.token(who) if who else None)
    assert reply.status == 403, reply.text
    assert "exc_info" not in reply.text


def test_background_jobs_bad_status_is_a_4xx(http):
    assert http.get(f"{JOBS}?job_status=everything", auth=http.token("admin")).status == 417


@pytest.mark.parametrize("doctype", ["Error Log", "Scheduled Job Log"])
@pytest.mark.parametrize("who", [None, "website", "reader"])
def test_error_and_job_logs_are_for_system_managers_only(http, doctype, who):
    path = "/api/resource/" + doctype.replace(" ", "%20")
    assert http.get(path, auth=http.token(who) if who else None).status == 403
    assert http.get(path, auth=http.token("admin")).status == 200
