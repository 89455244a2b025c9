"""What the Chromium tests do on the demo's pages again and again: Playwright's ``expect``,
collecting a page's uncaught errors, logging in and out through the forms."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Server


def expect(target: Any) -> Any:
    """Playwright's ``expect``, imported when a test runs (Playwright is optional)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def watch(page: Any, errors: list[str]) -> Any:
    """Collect the page's uncaught exceptions into ``errors`` (a broken module script shows up there)."""
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return page


def log_in(page: Any, server: Server, username: str, password: str) -> None:
    """Fill and send the demo's login form (what follows is the test's to check)."""
    page.goto(f"{server.url}/login.html")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Any, server: Server) -> None:
    """Log out from the account page and wait for the login page."""
    page.goto(f"{server.url}/account.html")
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url(f"{server.url}/login.html")
