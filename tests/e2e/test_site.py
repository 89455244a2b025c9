"""The demo site and annex.js in a real browser against a real gunicorn (issue 5).

A person's whole path through the site: register, profile, email confirmation, members' pages,
sessions, password change, export, logout and the way back through ?next=, password reset
through the file mail backend, account deletion. Plus: two tabs whose access token expired
refresh once, and ?next= never leads off the site.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect, log_in, watch

pytestmark = pytest.mark.e2e

EMAIL = "alice@example.com"
SECOND_PASSWORD = "amber-Lantern-77-meadow"
THIRD_PASSWORD = "copper-Willow-19-canyon"
PHONE = {"width": 390, "height": 844}
#: Access-token lifetime of the server whose tokens the tests let expire, in seconds.
TTL = 3


def field_error(page: Any, field_id: str) -> Any:
    """The error text tied to a field, after checking aria-invalid and aria-describedby."""
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    assert f"{field_id}-error" in described.split(), described
    return page.locator(f"#{field_id}-error")


def expect_nav(page: Any, signed_in: bool) -> None:
    """The header's links: Account for a member; Log in and Register for a visitor."""
    nav = page.locator("header nav")

    def link(href: str) -> Any:
        return nav.locator(f'a[href="{href}"]')

    for href in ("/", "/members/"):
        expect(link(href)).to_be_visible()
    shown, gone = ["/account.html"], ["/login.html", "/register.html"]
    if not signed_in:
        shown, gone = gone, shown
    for href in shown:
        expect(link(href)).to_be_visible()
    for href in gone:
        expect(link(href)).to_have_count(1)  # still in the page, for visitors without JavaScript
        expect(link(href)).to_be_hidden()


def test_a_visitor_uses_the_whole_site(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = make_server()
    context = new_context(server)
    errors: list[str] = []
    page = watch(context.new_page(), errors)

    # Home page, not logged in.
    page.goto(f"{server.url}/")
    expect(page.get_by_text("You are not logged in.")).to_be_visible()
    expect_nav(page, signed_in=False)
    screenshot(page, "home-anonymous")

    # Register: a common password is refused next to its field, then the account is created.
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Create account").click()
    expect(field_error(page, "password")).to_contain_text("common")
    screenshot(page, "register-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html")

    # The secure cookies survive on http://127.0.0.1 (Chromium counts it as a secure context).
    names = {cookie["name"] for cookie in context.cookies()}
    assert {"__Host-annex_access", "__Secure-annex_refresh", "__Host-annex_csrf"} <= names

    # The account page shows the profile; the header offers Account, not Log in.
    expect_nav(page, signed_in=True)
    expect(page.locator("#p-name")).to_have_text("alice")
    expect(page.locator("#p-email")).to_have_text(EMAIL)
    expect(page.locator("#p-verified")).to_have_text("not confirmed")
    expect(page.locator("#sessions-list li")).to_have_count(1)
    expect(page.locator("#activity-list")).to_contain_text("Account created")
    screenshot(page, "account-new")

    # An invalid avatar URL: the server's error is shown next to that field, nothing is saved.
    page.get_by_label("Display name").fill("Alice Liddell")
    page.get_by_label("About you").fill("Curious.")
    page.get_by_label("Avatar URL").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save profile").click()
    expect(field_error(page, "avatar_url")).to_have_text("Must be an http or https URL.")
    expect(page.locator("#profile-status")).to_be_empty()
    screenshot(page, "profile-error")

    # A valid one is saved, and survives a reload.
    avatar = f"{server.url}/favicon.svg"
    page.get_by_label("Avatar URL").fill(avatar)
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#profile-status")).to_have_text("Profile saved.")
    expect(page.locator("#avatar_url")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#avatar_url-error")).to_have_count(0)
    page.reload()
    expect(page.locator("#p-name")).to_have_text("Alice Liddell")
    expect(page.get_by_label("Display name")).to_have_value("Alice Liddell")
    expect(page.get_by_label("About you")).to_have_value("Curious.")
    expect(page.get_by_label("Avatar URL")).to_have_value(avatar)
    expect(page.locator("#avatar")).to_be_visible()
    screenshot(page, "profile-saved")

    # Email confirmation through the file mail backend.
    page.get_by_role("button", name="Send me a confirmation link").click()
    expect(page.locator("#verify-status")).to_contain_text("We sent a link")
    page.goto(server.url + server.wait_for_link(EMAIL, "verify-email.html"))
    expect(page.locator("#verify-status")).to_have_text("Thank you: your email address is confirmed.")
    assert "token=" not in page.url
    screenshot(page, "verify-email")
    page.goto(f"{server.url}/account.html")
    expect(page.locator("#p-verified")).to_have_text("confirmed")
    expect(page.locator("#verify-row")).to_be_hidden()

    # A private note (per-user data) is stored and read back.
    page.get_by_label("Only you can read this").fill("Remember the white rabbit.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator("#note-status")).to_have_text("Note saved.")
    page.reload()
    expect(page.get_by_label("Only you can read this")).to_have_value("Remember the white rabbit.")

    # Members' pages: the members page is visible, the premium page is forbidden.
    page.goto(f"{server.url}/members/")
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()
    screenshot(page, "members")
    response = page.goto(f"{server.url}/members/premium/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()  # a page, not JSON
    screenshot(page, "premium-forbidden")

    # Another device logs in; this one ends that session, which asks for the password.
    other = watch(new_context(server).new_page(), errors)
    log_in(other, server, "alice", PASSWORD)
    other.wait_for_url(f"{server.url}/account.html")
    page.goto(f"{server.url}/account.html")
    expect(page.locator("#sessions-list li")).to_have_count(2)
    page.get_by_role("button", name="End session").click()
    dialog = page.locator("#password-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Your password").fill("not-my-password")
    dialog.get_by_role("button", name="End session").click()
    expect(field_error(page, "dialog-password")).to_have_text("That is not your password.")
    screenshot(page, "dialog-wrong-password")
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="End session").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#sessions-status")).to_have_text("The session has ended.")
    expect(page.locator("#sessions-list li")).to_have_count(1)
    other.goto(f"{server.url}/members/")
    assert "/login.html?next=" in other.url

    # Change the password: a wrong current password is shown next to that field.
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password", exact=True).fill(SECOND_PASSWORD)
    page.get_by_label("Repeat the new password").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(field_error(page, "current_password")).to_have_text("That is not your current password.")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-status")).to_contain_text("Password changed.")

    # Export: a JSON download with a section per plugin and no secrets.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data").click()
    exported = Path(download_info.value.path()).read_text()
    document = json.loads(exported)
    assert {"auth", "profile", "content"} <= set(document)
    assert document["profile"]["display_name"] == "Alice Liddell"
    assert "password_hash" not in exported and "$2b$" not in exported
    expect(page.locator("#data-status")).to_have_text("Your data was downloaded.")

    # Log out; the members page then sends to the login page with ?next=, and back after it.
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url(f"{server.url}/login.html")
    # Every session cookie goes; the device cookie stays (this browser is remembered).
    assert {c["name"] for c in context.cookies()} & names == {"__Host-annex_device"}
    expect_nav(page, signed_in=False)
    page.goto(f"{server.url}/members/")
    assert page.url == f"{server.url}/login.html?next=%2Fmembers%2F"
    screenshot(page, "login-with-next")
    log_in_here(page, "alice", SECOND_PASSWORD)
    page.wait_for_url(f"{server.url}/members/")
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()

    # Password reset through the mailed link, on a browser that forgot everything.
    visitor = watch(new_context(server).new_page(), errors)
    visitor.goto(f"{server.url}/forgot-password.html")
    visitor.get_by_label("Email").fill(EMAIL)
    visitor.get_by_role("button", name="Send the link").click()
    expect(visitor.locator("#reset-request-status")).to_contain_text("a link is on its way")
    screenshot(visitor, "forgot-password")
    link = server.wait_for_link(EMAIL, "reset-password.html")
    visitor.goto(server.url + link)
    visitor.get_by_label("New password", exact=True).fill(THIRD_PASSWORD)
    visitor.get_by_label("Repeat the new password").fill(THIRD_PASSWORD + "x")
    visitor.get_by_role("button", name="Set the password").click()
    expect(field_error(visitor, "confirm_password")).to_have_text("The two passwords differ.")
    visitor.get_by_label("Repeat the new password").fill(THIRD_PASSWORD)
    screenshot(visitor, "reset-password")
    visitor.get_by_role("button", name="Set the password").click()
    expect(visitor.locator("#reset-done")).to_be_visible()
    screenshot(visitor, "reset-done")
    # The link works once.
    visitor.goto(server.url + link)
    visitor.get_by_label("New password", exact=True).fill(THIRD_PASSWORD)
    visitor.get_by_label("Repeat the new password").fill(THIRD_PASSWORD)
    visitor.get_by_role("button", name="Set the password").click()
    expect(visitor.locator("#reset-form .form-error")).to_contain_text("expired or was already used")

    # The reset ended every session: the members page asks to log in again; the old password fails.
    page.goto(f"{server.url}/members/")
    assert "/login.html?next=" in page.url
    log_in_here(page, "alice", SECOND_PASSWORD)
    expect(page.locator("#login-form .form-error")).to_have_text("Wrong username or password.")
    screenshot(page, "login-failed")
    page.get_by_label("Password", exact=True).fill(THIRD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/members/")

    # The security log tells the story.
    page.goto(f"{server.url}/account.html")
    activity = page.locator("#activity-list")
    for entry in ("Password reset by email", "Failed login attempt", "Password changed", "Session ended"):
        expect(activity).to_contain_text(entry)
    screenshot(page, "account-activity")

    # The same pages on a phone.
    phone = watch(new_context(server, viewport=PHONE, device_scale_factor=1).new_page(), errors)
    log_in(phone, server, EMAIL, THIRD_PASSWORD)
    phone.wait_for_url(f"{server.url}/account.html")
    expect(phone.locator("#p-name")).to_have_text("Alice Liddell")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "account-phone", full_page=False)
    phone.goto(f"{server.url}/login.html")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "login-phone", full_page=False)
    phone.goto(f"{server.url}/account.html")

    # Delete the account: it asks for the password, then the account is gone.
    page.get_by_role("button", name="Delete my account").click()
    page.locator("#password-dialog").get_by_label("Your password").fill(THIRD_PASSWORD)
    page.locator("#password-dialog").get_by_role("button", name="Delete my account").click()
    page.wait_for_url(f"{server.url}/?account=deleted")
    expect(page.locator("#home-status")).to_have_text("Your account and all its data have been deleted.")
    screenshot(page, "deleted")
    log_in(page, server, "alice", THIRD_PASSWORD)
    expect(page.locator("#login-form .form-error")).to_have_text("Wrong username or password.")
    phone.goto(f"{server.url}/members/")
    assert "/login.html?next=" in phone.url

    assert errors == []


def log_in_here(page: Any, username: str, password: str) -> None:
    """Fill in the login form of the page that is already open."""
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_two_tabs_with_an_expired_token_refresh_once(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    # Tokens expire at a whole second, so a 3-second token lives 2 to 3 seconds.
    server = make_server(access_token_ttl=TTL)
    context = new_context(server)
    errors: list[str] = []
    first = watch(context.new_page(), errors)
    first.goto(f"{server.url}/register.html")
    first.get_by_label("Username").fill("bob")
    first.get_by_label("Email").fill("bob@example.com")
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Create account").click()
    first.wait_for_url(f"{server.url}/account.html")
    second = watch(context.new_page(), errors)
    second.goto(f"{server.url}/account.html")
    expect(second.locator("#p-name")).to_have_text("bob")
    for page in (first, second):  # nothing of the page loads left in flight
        page.wait_for_load_state("networkidle")

    refreshes: list[str] = []
    for page in (first, second):
        page.on(
            "request",
            lambda request: (
                refreshes.append(request.url)
                if request.method == "POST" and request.url.endswith("/api/auth/refresh")
                else None
            ),
        )

    time.sleep(TTL + 1)  # past the access token
    start = """() => {
        window.__calls = import('/annex.js').then((annex) =>
            Promise.all([annex.me(), annex.sessions(), annex.activity()]).then(
                ([profile, sessions, events]) => ({ok: true, username: profile.username,
                                                   sessions: sessions.length, events: events.length}),
                (error) => ({ok: false, status: error.status, code: error.code})));
    }"""
    first.evaluate(start)
    second.evaluate(start)
    results = [page.evaluate("() => window.__calls") for page in (first, second)]

    assert results == [{"ok": True, "username": "bob", "sessions": 1, "events": 1}] * 2
    assert len(refreshes) == 1, refreshes
    # The session lives on: the refreshed cookies work in both tabs.
    for page in (first, second):
        page.reload()
        expect(page.locator("#p-name")).to_have_text("bob")
    screenshot(first, "after-refresh")

    # A members page opened with an expired access token: the server cannot refresh (the refresh
    # cookie only goes to /api/auth), so it sends to the login page, which refreshes and comes back.
    time.sleep(TTL + 1)
    first.goto(f"{server.url}/members/")
    first.wait_for_url(f"{server.url}/members/")
    expect(first.get_by_role("heading", name="Members only")).to_be_visible()
    assert errors == []


def test_login_follows_next_only_on_this_site(
    make_server: Callable[..., Server], new_context: Callable[..., Any]
) -> None:
    server = make_server()
    errors: list[str] = []
    page = watch(new_context(server).new_page(), errors)
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html")

    # Loopback addresses only: should the page follow one, nothing leaves the machine.
    outside = [
        "//127.0.0.2:9/x",
        "https://127.0.0.2:9/x",
        "/\\127.0.0.2:9/x",
        "javascript:alert(1)",
        "members/",
    ]
    for next_path, landing in [*((path, "/account.html") for path in outside), ("/members/", "/members/")]:
        page.goto(f"{server.url}/account.html")
        page.get_by_role("button", name="Log out", exact=True).click()
        page.wait_for_url(f"{server.url}/login.html")
        page.goto(f"{server.url}/login.html?{urlencode({'next': next_path})}")
        log_in_here(page, "carol", PASSWORD)
        page.wait_for_url(f"{server.url}{landing}")
    assert errors == []


def test_mailed_links_leave_their_token_in_no_address_bar_referer_or_later_request(
    make_server: Callable[..., Server], new_context: Callable[..., Any]
) -> None:
    """Issue 15 point 8: the reset and verification pages send no Referer, take the token out of
    the address bar before they load anything, and still work (their POST carries a real Origin)."""
    server = make_server()
    api = server.gunicorn.request
    status, body, _ = api(
        "POST", "/api/auth/register", {"username": "mallory", "email": EMAIL, "password": PASSWORD}
    )
    assert status == 201, body
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert api("POST", "/api/auth/verify-email", {}, headers=bearer)[0] == 202
    assert api("POST", "/api/auth/password-reset", {"email": EMAIL})[0] == 202
    errors: list[str] = []

    def open_link(page_name: str) -> tuple[Any, list[Any], str]:
        link = server.wait_for_link(EMAIL, page_name)
        token = link.split("token=", 1)[1]
        page = watch(new_context(server).new_page(), errors)
        requests: list[Any] = []
        page.on("request", lambda request: requests.append(request))
        page.goto(server.url + link)
        return page, requests, token

    def assert_no_leak(page: Any, requests: list[Any], token: str) -> None:
        assert "token" not in page.evaluate("location.href")
        assert page.evaluate("document.referrer") == ""
        document, *loaded = requests
        assert token in document.url  # the navigation itself, and nothing after it
        assert loaded, "the page loaded nothing?"
        for request in loaded:
            headers = request.all_headers()
            assert token not in request.url, request.url
            assert token not in headers.get("referer", ""), (request.url, headers.get("referer"))
            if request.method == "POST":
                assert headers.get("origin") == server.url, headers  # not "null": the CSRF check passes

    verify, requests, token = open_link("verify-email.html")
    expect(verify.locator("#verify-status")).to_have_text("Thank you: your email address is confirmed.")
    assert_no_leak(verify, requests, token)
    assert any(request.method == "POST" for request in requests)

    reset, requests, token = open_link("reset-password.html")
    reset.get_by_label("New password", exact=True).fill(SECOND_PASSWORD)
    reset.get_by_label("Repeat the new password").fill(SECOND_PASSWORD)
    reset.get_by_role("button", name="Set the password").click()
    expect(reset.locator("#reset-done")).to_be_visible()
    assert_no_leak(reset, requests, token)
    assert any(request.method == "POST" for request in requests)
    assert errors == []
    assert api("POST", "/api/auth/login", {"username": "mallory", "password": SECOND_PASSWORD})[0] == 200
