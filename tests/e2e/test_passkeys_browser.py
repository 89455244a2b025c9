"""Passkeys through the demo pages in real Chromium, with its virtual authenticator (issue 18,
points 6 and 7).

The authenticator is the DevTools protocol's ``WebAuthn.addVirtualAuthenticator`` (CTAP2, built
in, resident keys, user verification), driven through Playwright's CDP session: the pages run
``navigator.credentials.create/get`` through annex.js exactly as with a real one. The site lives
at ``http://localhost:<port>``: a relying party id is a domain, never an IP address, and
localhost is a secure context.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect, log_out, watch

pytestmark = pytest.mark.e2e

#: Seconds a sign-in counts as recent on this test's server (step-up after that).
REAUTH_MAX_AGE = 6


def virtual_authenticator(context: Any, page: Any) -> tuple[Any, str]:
    """A platform authenticator for ``page`` that verifies the user at once (no prompt)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, answer["authenticatorId"]


def test_passkeys_through_the_demo_pages(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = make_server(
        plugins=["totp", "passkeys"], host="localhost", auth_settings=f"reauth_max_age = {REAUTH_MAX_AGE}"
    )
    context = new_context(server)
    errors: list[str] = []
    page = watch(context.new_page(), errors)
    cdp, authenticator = virtual_authenticator(context, page)

    # Register; the account page offers passkeys, none yet.
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html")
    section = page.locator("#passkeys-section")
    expect(section).to_be_visible()
    expect(page.locator("#passkeys-list")).to_have_text("No passkeys yet.")

    # Add one: the virtual authenticator now holds a discoverable credential for localhost.
    page.get_by_label("Name of the new passkey").fill("Test laptop")
    page.get_by_role("button", name="Add a passkey").click()
    added = "Passkey “Test laptop” added. You can sign in with it now."
    expect(page.locator("#passkeys-status")).to_have_text(added)
    expect(page.locator("#passkeys-list li")).to_have_count(1)
    expect(page.locator("#passkeys-list")).to_contain_text("Test laptop")
    expect(page.locator("#passkeys-list")).to_contain_text("not used yet")
    expect(page.locator("#activity-list")).to_contain_text("Passkey added")
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"
    section.scroll_into_view_if_needed()
    screenshot(page, "passkey-added")

    # Sign out, then back in with the passkey alone: no username, no password, no code.
    log_out(page, server)
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    screenshot(page, "login-with-passkey-offer")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#p-name")).to_have_text("alice")
    expect(page.locator("#passkeys-list")).to_contain_text("Test laptop")
    expect(page.locator("#passkeys-list")).to_contain_text("last used")
    expect(page.locator("#sessions-list")).to_contain_text("with passkey")

    # Rename it inline.
    page.get_by_role("button", name="Rename Test laptop").click()
    page.get_by_label("New name for Test laptop").fill("Work laptop")
    screenshot(page, "passkey-rename")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#passkeys-status")).to_have_text("Passkey renamed.")
    expect(page.locator("#passkeys-list")).to_contain_text("Work laptop")

    # A password sign-in now asks for the passkey as a second factor (the user has no TOTP).
    log_out(page, server)
    page.get_by_label("Username or email").fill("alice")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    mfa = page.locator("#mfa-form")
    expect(mfa).to_be_visible()
    expect(mfa).to_contain_text("Use your passkey to finish signing in.")
    expect(page.locator("#mfa-code")).to_be_hidden()
    screenshot(page, "login-passkey-second-factor")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#p-name")).to_have_text("alice")
    expect(page.locator("#sessions-list")).to_contain_text("with password and passkey")

    # Removing it after the sign-in stopped being recent asks to confirm, inline, then works.
    time.sleep(REAUTH_MAX_AGE + 1)
    page.get_by_role("button", name="Remove Work laptop").click()
    dialog = page.locator("#reauth-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("To remove the passkey “Work laptop”, confirm it is you.")
    dialog.get_by_label("Your password").fill("not-my-password")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.locator("#reauth-password-error")).to_have_text("That is not your password.")
    screenshot(page, "reauth-dialog", full_page=False)
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#passkeys-status")).to_have_text("The passkey “Work laptop” was removed.")
    expect(page.locator("#passkeys-list")).to_have_text("No passkeys yet.")
    expect(page.locator("#activity-list")).to_contain_text("Passkey removed")

    # The authenticator still holds the credential, but the site has forgotten it.
    log_out(page, server)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#login-form .form-error")).to_have_text(
        "This site does not know that passkey. Log in with your password."
    )
    screenshot(page, "login-unknown-passkey")
    assert errors == []
