"""Signing in with a link or a code by mail through the demo pages, in Debian's Chromium (issue 19,
point 4): the login page's "Email me a sign-in link" form, the mail read from the file backend,
the link page's button; then the code typed on the login page, a wrong one first, and the second
factor it leads to for a user with an authenticator app.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect, log_out, watch

pytestmark = pytest.mark.e2e

EMAIL = "ada@example.org"


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return part.get_content()


def sign_in_mail(server: Server, count: int, timeout: float = 10) -> str:
    """The plain text of the ``count``-th sign-in mail to ``EMAIL`` (text and HTML, so not
    ``Server.wait_for_link``, which reads single-part messages)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = [m for m in server.mails() if m["To"] == EMAIL and m["Subject"] == "Your sign-in link"]
        if len(mails) >= count:
            return text_of(mails[count - 1])
        time.sleep(0.1)
    raise AssertionError(f"no sign-in mail #{count} to {EMAIL}")


def mailed_code(server: Server, count: int) -> str:
    found = re.search(r"where you asked for it: (\d{6})", sign_in_mail(server, count))
    assert found
    return found.group(1)


def mailed_link(server: Server, count: int) -> str:
    """The path and query of the mail's link to the link page."""
    found = re.search(
        rf"{re.escape(server.url)}(/email-link\.html\?token=[A-Za-z0-9_\-%.~]+)", sign_in_mail(server, count)
    )
    assert found
    return found.group(1)


def ask_for_a_link(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/login.html")
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("#emailcode-text")).to_have_text(
        f"If an account exists for {EMAIL}, we sent it a sign-in link and a code. "
        "Open the link in this browser, or enter the code here."
    )


def test_sign_in_by_the_mailed_link_then_by_the_code_and_a_second_factor(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = make_server(plugins=["emaillink", "totp"])
    errors: list[str] = []
    page = watch(new_context(server).new_page(), errors)
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html**")
    log_out(page, server)

    # The link: asked for on the login page, opened from the mail, spent by the button.
    ask_for_a_link(page, server)
    screenshot(page, "login-code-entry")
    link = mailed_link(server, 1)
    posts: list[str] = []
    page.on("request", lambda sent: posts.append(sent.url) if sent.method == "POST" else None)
    page.goto(server.url + link)
    page.wait_for_load_state("networkidle")
    assert posts == []  # opening the link (as a mail scanner does) spends nothing
    assert "token=" not in page.url
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#done-text")).to_have_text("You are signed in as ada.")
    expect(page.get_by_role("navigation").get_by_role("link", name="Account")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_hidden()
    screenshot(page, "link-page-signed-in")
    spent = new_context(server).new_page()
    spent.goto(server.url + link)
    spent.get_by_role("button", name="Sign in").click()
    expect(spent.locator("#link-error")).to_contain_text("already used")
    spent.goto(f"{server.url}/email-link.html")
    expect(spent.locator("#no-token")).to_be_visible()
    spent.close()
    page.get_by_role("link", name="Go to your account").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#sessions-list")).to_contain_text("with emailed link")

    # An authenticator app, enrolled through annex.js as the account page does it.
    setup = page.evaluate("async () => (await import('/annex.js')).totp.setup()")
    app = pyotp.TOTP(setup["secret"])
    page.evaluate("async (code) => (await import('/annex.js')).totp.confirm(code)", app.now())
    log_out(page, server)

    # The code: a wrong one is refused in words, the right one asks for the second factor.
    ask_for_a_link(page, server)
    code = mailed_code(server, 2)
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("Code from the email").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#emailcode-code-error")).to_contain_text("That code is not right")
    screenshot(page, "login-wrong-code")
    # A wrong code ends nothing but itself: ask again, and use the newest mail's code.
    page.get_by_role("button", name="Use another address or send a new link").click()
    page.get_by_role("button", name="Send me a link").click()
    code = mailed_code(server, 3)
    page.get_by_label("Code from the email").fill(f"{code[:3]} {code[3:]}")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(page.get_by_label("Authenticator code")).to_be_focused()
    screenshot(page, "login-second-factor-after-code")
    # The step after a previous code's time step (the enrolment used the current one).
    time.sleep(max(0.0, 30 - time.time() % 30) + 0.2)
    page.get_by_label("Authenticator code").fill(app.now())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#sessions-list")).to_contain_text("with emailed link and authenticator code")
    assert errors == []
