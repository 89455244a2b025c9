"""Two-step verification and who may register, through the demo pages in real Chromium (issue 18,
points 5 to 7).

TOTP: enrolment on the account page (the secret read from the page, codes computed by pyotp as an
authenticator app would), the ten recovery codes shown once and copied, a password sign-in that
asks for the code, one with a recovery code, new recovery codes, and turning it off after the
sign-in stopped being recent (the step-up dialog, answered with a code). Registration: the
register page by invitation (the link of ``annex users invite``) and closed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.conftest import require
from tests.e2e.conftest import PASSWORD, ROOT, Server
from tests.e2e.pages import expect, log_in, log_out, watch

pytestmark = pytest.mark.e2e

#: Seconds a sign-in counts as recent on the TOTP test's server (step-up after that).
REAUTH_MAX_AGE = 8
PHONE = {"width": 390, "height": 844}
ANNEX = Path(sys.executable).with_name("annex")


def register(page: Any, server: Server, username: str, email: str) -> None:
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def on_a_phone(page: Any, screenshot: Callable[..., Path], name: str) -> None:
    """The page at 390 px wide fits without sideways scrolling; a screenshot, then back."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, name)
    page.set_viewport_size(size)


class Authenticator:
    """An authenticator app: RFC 6238 codes of one secret, each time step used once (the server
    refuses a code it accepted before, so the next code is the next step's)."""

    def __init__(self, secret: str) -> None:
        import pyotp

        self.totp = pyotp.TOTP(secret)
        self.last_step = -1

    def code(self) -> str:
        """The code of the first unused step the server accepts now (one step ahead is)."""
        while self.last_step + 1 > int(time.time()) // 30 + 1:
            time.sleep(0.5)  # both acceptable steps are used: wait for the next one
        step = max(int(time.time()) // 30, self.last_step + 1)
        self.last_step = step
        return self.totp.at(step * 30)

    def wrong(self) -> str:
        """Six digits that are none of the codes the server would accept now."""
        now = time.time()
        accepted = {self.totp.at(now + drift * 30) for drift in (-1, 0, 1, 2)}
        return next(
            code for code in ("000000", "111111", "222222", "333333", "444444") if code not in accepted
        )


def test_two_step_verification_through_the_demo_pages(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = make_server(plugins=["totp"], auth_settings=f"reauth_max_age = {REAUTH_MAX_AGE}")
    context = new_context(server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    errors: list[str] = []
    page = watch(context.new_page(), errors)

    register(page, server, "bob", "bob@example.com")
    page.wait_for_url(f"{server.url}/account.html")
    section = page.locator("#totp-section")
    expect(section).to_be_visible()
    expect(page.locator("#totp-badge")).to_have_text("off")
    expect(page.locator("#passkeys-section")).to_be_hidden()  # that plugin is off on this site

    # Enrol: a QR code drawn in the page, the key as text; a wrong code first.
    page.get_by_role("button", name="Set up an authenticator app").click()
    qr = page.locator("#totp-qr")
    expect(qr).to_be_visible()
    assert page.locator("#totp-qr path").get_attribute("d")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    app = Authenticator(secret)
    page.get_by_label("2. Enter the 6-digit code the app shows").fill(app.wrong())
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.locator("#totp-code-error")).to_have_text(
        "That code is not right. Enter the code the app shows now."
    )
    section.scroll_into_view_if_needed()
    screenshot(page, "totp-enrol")
    page.get_by_label("2. Enter the 6-digit code the app shows").fill(app.code())
    page.get_by_role("button", name="Turn on two-step verification").click()

    # The ten recovery codes, shown this once, copied to the clipboard.
    panel = page.locator("#recovery-codes")
    expect(panel).to_be_visible()
    expect(page.locator("#recovery-list li")).to_have_count(10)
    codes = page.locator("#recovery-list code").all_inner_texts()
    assert len(set(codes)) == 10, codes
    expect(page.locator("#totp-badge")).to_have_text("on")
    expect(page.locator("#totp-summary")).to_contain_text("10 recovery codes left")
    expect(page.locator("#totp-status")).to_have_text(
        "Two-step verification is on. Your other sessions have ended."
    )
    screenshot(page, "totp-recovery-codes")
    on_a_phone(page, screenshot, "totp-recovery-codes-phone")
    page.get_by_role("button", name="Copy the codes").click()
    expect(page.locator("#totp-status")).to_have_text("The recovery codes were copied.")
    assert page.evaluate("navigator.clipboard.readText()") == "\n".join(codes)
    page.get_by_role("button", name="I have saved them").click()
    expect(panel).to_be_hidden()
    page.reload()
    expect(page.locator("#totp-badge")).to_have_text("on")
    expect(page.locator("#recovery-codes")).to_be_hidden()  # never shown again
    expect(page.locator("#activity-list")).to_contain_text("Two-step verification turned on")

    # Password, then the code step: a wrong code is said next to its field, the right one signs in.
    log_out(page, server)
    log_in(page, server, "bob", PASSWORD)
    mfa = page.locator("#mfa-form")
    expect(mfa).to_be_visible()
    expect(page.locator("#login-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Use a passkey")).to_be_hidden()
    screenshot(page, "login-code-step")
    on_a_phone(page, screenshot, "login-code-step-phone")
    page.get_by_label("Authenticator code").fill("12345")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#mfa-code-error")).to_have_text(
        "That code is not right. Enter the code your app shows now."
    )
    screenshot(page, "login-code-wrong")
    page.get_by_label("Authenticator code").fill(app.code())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#p-name")).to_have_text("bob")
    expect(page.locator("#sessions-list")).to_contain_text("with password and authenticator code")

    # A recovery code instead; it works once.
    log_out(page, server)
    log_in(page, server, "bob", PASSWORD)
    page.get_by_role("button", name="Use a recovery code instead").click()
    expect(page.get_by_label("Recovery code")).to_be_visible()
    expect(page.get_by_label("Authenticator code")).to_be_hidden()
    page.get_by_label("Recovery code").fill(codes[0])
    screenshot(page, "login-recovery-code")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#totp-summary")).to_contain_text("9 recovery codes left")
    expect(page.locator("#activity-list")).to_contain_text("Signed in with a recovery code")
    log_out(page, server)
    log_in(page, server, "bob", PASSWORD)
    page.get_by_role("button", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#recovery-code-error")).to_have_text(
        "That recovery code is not right, or it was used already."
    )
    page.get_by_label("Recovery code").fill(codes[1])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/account.html")

    # New recovery codes (the sign-in is recent): shown once more; the old ones are gone.
    page.get_by_role("button", name="New recovery codes").click()
    expect(page.locator("#totp-status")).to_have_text("New recovery codes: the old ones no longer work.")
    expect(page.locator("#recovery-list li")).to_have_count(10)
    fresh = page.locator("#recovery-list code").all_inner_texts()
    assert not set(fresh) & set(codes)
    expect(page.locator("#totp-summary")).to_contain_text("10 recovery codes left")
    page.get_by_role("button", name="I have saved them").click()

    # Once the sign-in is no longer recent, turning it off asks to confirm: here with a code.
    time.sleep(REAUTH_MAX_AGE + 1)
    page.get_by_role("button", name="Turn off two-step verification").click()
    dialog = page.locator("#reauth-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("To turn off two-step verification, confirm it is you.")
    dialog.get_by_role("button", name="Use an authenticator or recovery code instead").click()
    expect(dialog.get_by_label("Your password")).to_be_hidden()
    dialog.get_by_label("Authenticator or recovery code").fill(app.wrong())
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.locator("#reauth-code-error")).to_have_text("That code is not right.")
    screenshot(page, "reauth-with-code", full_page=False)
    dialog.get_by_label("Authenticator or recovery code").fill(app.code())
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#totp-status")).to_have_text("Two-step verification is off.")
    expect(page.locator("#totp-badge")).to_have_text("off")
    expect(page.locator("#activity-list")).to_contain_text("Two-step verification turned off")
    section.scroll_into_view_if_needed()
    screenshot(page, "totp-off")

    # And sign-ins no longer ask for a code.
    log_out(page, server)
    log_in(page, server, "bob", PASSWORD)
    page.wait_for_url(f"{server.url}/account.html")
    assert errors == []


def invite(server: Server, email: str) -> str:
    """``annex users invite EMAIL`` against the server's config: the invitation link it prints."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANNEX")}
    env["ANNEX_CONFIG"] = str(server.config)
    result = subprocess.run(
        [str(ANNEX), "users", "invite", email], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(rf"{re.escape(server.url)}/register\.html\?token=\S+", result.stdout)
    assert match, result.stdout
    return match.group(0)


def test_the_register_page_by_invitation_and_closed(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    require(ANNEX.exists(), f"the annex command is not installed next to {sys.executable}")
    errors: list[str] = []
    by_invitation = make_server(auth_settings='registration = "invite"')
    link = invite(by_invitation, "carol@example.com")
    token = unquote(parse_qs(urlsplit(link).query)["token"][0])
    page = watch(new_context(by_invitation).new_page(), errors)

    # Without an invitation: the page says how this site registers and asks for the code.
    page.goto(f"{by_invitation.url}/register.html")
    expect(page.locator("#invite-note")).to_be_visible()
    expect(page.get_by_label("Invitation code")).to_have_value("")
    page.get_by_label("Username").fill("mallory")
    page.get_by_label("Email").fill("mallory@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#invite-error")).to_have_text("Enter the code from your invitation.")

    # The invitation's link fills it in (and leaves the address bar); another address is refused.
    page.goto(link)
    expect(page.get_by_label("Invitation code")).to_have_value(token)
    assert "token" not in page.url
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("mallory@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    screenshot(page, "register-invite")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#invite-error")).to_contain_text("This invitation does not work")
    screenshot(page, "register-invite-refused")
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{by_invitation.url}/account.html")
    expect(page.locator("#p-name")).to_have_text("carol")

    # Closed: a note instead of the form.
    closed = make_server(auth_settings='registration = "closed"')
    page = watch(new_context(closed).new_page(), errors)
    page.goto(f"{closed.url}/register.html")
    expect(page.locator("#registration-closed")).to_be_visible()
    expect(page.locator("#registration-closed")).to_contain_text("Registration is closed.")
    expect(page.locator("#register-form")).to_be_hidden()
    screenshot(page, "register-closed")
    assert errors == []
