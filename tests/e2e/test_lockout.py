"""An account locked by wrong passwords, through the demo pages in Debian's Chromium (issue 20,
points 2 and 3): a stranger's guesses lock it, a browser it does not know is refused its right
password, the "locked" mail's link signs in on login-link.html and remembers that browser (the
account page's Devices section says so), whose password then works despite the lock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect, log_in, log_out, watch

pytestmark = pytest.mark.e2e

EMAIL = "ada@example.org"
WRONG = "not-Her-Password-0"
#: Wrong passwords an account takes before it refuses unknown browsers (the default is 100/hour).
FAILURES = 3
LIMITS = f"""\
limits.login_account_failures = "{FAILURES}/hour"
limits.login = "100/minute"
"""


def test_a_locked_account_signs_in_by_the_mailed_link_and_that_browser_is_remembered(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    # The e2e config turns the rate limits off; the lockout is one.
    server = make_server(auth_settings=LIMITS, environ={"ANNEX__RATE_LIMITS__ENABLED": "true"})
    api = server.gunicorn.request
    account = {"username": "ada", "email": EMAIL, "password": PASSWORD}
    status, body, _ = api("POST", "/api/auth/register", account)
    assert status == 201, body
    # The owner proved the address (a sign-in through an unproved mailbox drops the password).
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert api("POST", "/api/auth/verify-email", {}, headers=bearer)[0] == 202
    verify = server.wait_for_link(EMAIL, "verify-email.html").split("token=", 1)[1]
    assert api("POST", "/api/auth/verify-email/confirm", {"token": verify})[0] == 204
    # Someone else guesses, from outside any browser, until the account's budget is spent.
    for _ in range(FAILURES):
        status, body, _ = api("POST", "/api/auth/login", {"username": "ada", "password": WRONG})
        assert status == 401 and body["error"]["code"] == "invalid_credentials", body

    # The owner, in a browser the account does not know: the right password is refused.
    errors: list[str] = []
    context = new_context(server)
    page = watch(context.new_page(), errors)
    log_in(page, server, "ada", PASSWORD)
    alert = page.locator("#login-form .form-error")
    expect(alert).to_contain_text("Too many attempts")
    expect(alert).to_contain_text("we emailed you a link that signs you in")
    assert page.url == f"{server.url}/login.html"
    screenshot(page, "login-refused-while-locked")

    # The refusal mailed the owner a link; opening it (as a mail scanner would) spends nothing.
    link = server.wait_for_link(EMAIL, "login-link.html")
    token = link.split("token=", 1)[1]
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    page.goto(server.url + link)
    page.wait_for_load_state("networkidle")
    assert [request.method for request in requests if request.method == "POST"] == []
    assert "token" not in page.evaluate("location.href")
    expect(page.get_by_role("heading", name="Sign in to your locked account")).to_be_visible()
    screenshot(page, "login-link-page")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/account.html")
    document, *loaded = requests
    assert token in document.url  # the navigation itself, and in nothing after it
    for request in loaded:
        headers = request.all_headers()
        assert token not in request.url and token not in headers.get("referer", ""), request.url
        if request.method == "POST":
            assert headers.get("origin") == server.url, headers  # not "null": the CSRF check passes
    posted = [request.url for request in loaded if request.method == "POST"]
    assert posted == [f"{server.url}/api/auth/login-link"]

    # The Devices section: this browser, remembered by the link, marked as the current one.
    section = page.locator("section", has=page.get_by_role("heading", name="Devices"))
    current = section.locator("li", has_text="this browser")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Chrome on Linux")
    expect(current).to_contain_text("127.0.0.1 · last used")
    expect(current.get_by_role("button", name="Forget this browser")).to_be_visible()
    # The registration's client (no browser) is remembered too, and is not this one.
    expect(section.locator("li")).to_have_count(2)
    section.scroll_into_view_if_needed()
    screenshot(page, "account-devices", full_page=False)

    # Still locked for strangers, but this browser's password signs in again.
    status, body, _ = api("POST", "/api/auth/login", {"username": "ada", "password": PASSWORD})
    assert status == 429, body
    log_out(page, server)
    log_in(page, server, "ada", PASSWORD)
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#activity-list")).to_contain_text("Account locked after too many wrong passwords")
    # Forgetting the other device leaves this browser's row (a DELETE with the CSRF header).
    devices = page.locator("section", has=page.get_by_role("heading", name="Devices")).locator("li")
    devices.filter(has_text="Unknown device").get_by_role("button", name="Forget").click()
    expect(page.locator("#devices-status")).to_have_text("Unknown device is forgotten.")
    expect(devices).to_have_count(1)
    expect(devices).to_contain_text("this browser")
    expect(page.locator("#activity-list")).to_contain_text("Browser forgotten")
    assert errors == []
