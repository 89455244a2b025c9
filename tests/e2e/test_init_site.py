"""Bring your own site (issue 17): ``annex init`` on a one-page site, then the starter pages in
Chromium against gunicorn started from the config.toml that ``init`` wrote, in the site's folder.

A visitor opens a members page, is sent to the starter login page, registers through it and
lands on the members page; confirms the address through the mailed link, logs out from the
starter account page, asks for a password reset, follows the mailed link (its token leaves the
address bar) and logs in with the new password.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import servers
from tests.conftest import require
from tests.e2e.conftest import GUNICORN, PASSWORD, Server
from tests.e2e.test_site import expect, field_error, watch

pytestmark = pytest.mark.e2e

ANNEX = Path(sys.executable).with_name("annex")
EMAIL = "baker@example.com"
NEW_PASSWORD = "amber-Lantern-77-meadow"
INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The Bakery</title></head>
<body><h1>The Bakery</h1><p><a href="/members/">Recipes for members</a></p></body></html>
"""
MEMBERS = "<!doctype html><title>Recipes</title><h1>Secret recipes</h1>"


def annex(project: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(ANNEX), *args], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"annex {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture
def bakery(tmp_path: Path) -> Iterator[Server]:
    """The one-page site after ``annex init site``, served by gunicorn from its own folder."""
    require(GUNICORN.exists(), f"gunicorn is not installed next to {sys.executable}")
    project = tmp_path / "bakery"
    (project / "site").mkdir(parents=True)
    (project / "site" / "index.html").write_text(INDEX)
    (project / "protected").mkdir()
    (project / "protected" / "index.html").write_text(MEMBERS)
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNEX", "FLASK"))}
    output = annex(project, env, "init", "site")
    assert "wrote    site/login.html" in output
    # Only what differs from the written config on a test machine: the port, and a database
    # and key of the test's own (Annex's instance folder is shared by everything on this checkout).
    overrides = {
        "ANNEX__SITE__URL": url,
        "ANNEX_DATABASE_URL": f"sqlite:///{tmp_path / 'annex.db'}",
        "ANNEX_SECRET_KEY": secrets.token_urlsafe(48),
        "ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS": "4",
        "PYTHONUNBUFFERED": "1",
    }
    annex(project, {**env, **overrides}, "migrate")
    running = servers.start_gunicorn(
        project / "config.toml", tmp_path, env=overrides, port=port, clean_env=True, cwd=project
    )
    try:
        mail = project / "instance" / "mail"  # the written mail_dir, relative to the project
        yield Server(url=url, mail_dir=mail, gunicorn=running, config=project / "config.toml")
    finally:
        running.stop()


def test_a_visitor_registers_and_logs_in_through_the_starter_pages(
    bakery: Server, new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = bakery
    context = new_context(server)
    errors: list[str] = []
    page = watch(context.new_page(), errors)

    # The site's own page is served as it was, and its members link leads to the login page.
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", name="The Bakery")).to_be_visible()
    page.get_by_role("link", name="Recipes for members").click()
    page.wait_for_url(f"{server.url}/login.html?next=%2Fmembers%2F")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")

    # Register (the link keeps ?next=): a common password is refused next to its field.
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url("**/register.html?next=%2Fmembers%2F")
    page.get_by_label("Username").fill("baker")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Create account").click()
    expect(field_error(page, "password")).to_contain_text("common")
    expect(page.locator("#password")).to_be_focused()
    screenshot(page, "register-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/members/")
    expect(page.get_by_role("heading", name="Secret recipes")).to_be_visible()

    # The account page shows who is logged in; logging out leads back to the login page.
    page.goto(f"{server.url}/account.html")
    expect(page.locator("#username")).to_have_text("baker")
    expect(page.locator("#email")).to_have_text(EMAIL)
    expect(page.locator("#verified")).to_have_text("not confirmed yet")
    screenshot(page, "account")

    # Confirm the address: the account page asks for a link; the mailed link's page confirms it.
    page.get_by_role("button", name="Send me a confirmation link").click()
    expect(page.locator("#verify-status")).to_contain_text("is on its way")
    page.goto(server.url + server.wait_for_link(EMAIL, "verify-email.html"))
    expect(page.locator("#verify-status")).to_have_text("Thank you: your email address is confirmed.")
    assert "token" not in page.evaluate("location.href")
    page.get_by_role("link", name="Go to your account").click()
    expect(page.locator("#verified")).to_have_text("confirmed")
    expect(page.get_by_role("button", name="Send me a confirmation link")).to_be_hidden()

    # A wrong current password is said next to its field.
    page.get_by_label("Current password").fill("not-the-password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    expect(field_error(page, "current_password")).to_have_text("This is not your current password.")
    expect(page.locator("#current_password")).to_be_focused()
    screenshot(page, "account-wrong-password")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{server.url}/login.html")

    # A wrong password is said in the form's alert.
    page.get_by_label("Username or email").fill("baker")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")

    # Forgot the password: the mailed link opens the starter reset page, which drops the token.
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email of your account").fill(EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("#forgot-status")).to_contain_text("is on its way")
    link = server.wait_for_link(EMAIL, "reset-password.html")
    token = link.split("token=", 1)[1]
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    page.goto(server.url + link)
    assert "token" not in page.evaluate("location.href")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.locator("#reset-done")).to_be_visible()
    for request in requests[1:]:  # the navigation carried the token; nothing after it did
        assert token not in request.url and token not in request.all_headers().get("referer", "")
    screenshot(page, "reset-done")

    # And in with the new password: no ?next=, so to the account page.
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username or email").fill(EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#username")).to_have_text("baker")
    assert errors == []


def test_a_starter_form_takes_no_click_before_its_script_has_loaded(
    bakery: Server, new_context: Callable[..., Any]
) -> None:
    """A click before the page's module runs would post the form to the static server: the
    page ships the button disabled and the form helper enables it."""
    page = new_context(bakery).new_page()
    held: list[Any] = []
    page.route("**/annex-forms.js", lambda route: held.append(route))  # waits until continued
    page.goto(f"{bakery.url}/register.html", wait_until="commit")  # modules delay DOMContentLoaded
    button = page.get_by_role("button", name="Create account")
    expect(button).to_be_disabled()
    page.wait_for_timeout(300)  # the page has time to run whatever does not need the helper
    assert len(held) == 1
    expect(button).to_be_disabled()
    held[0].continue_()
    expect(button).to_be_enabled()
