"""Changing the email address through the demo pages, in Debian's Chromium (issue 20, point 8):
the account page's "Email address" form, asked again for the password because the sign-in is
old, the confirmation link read from the mail to the new address, its page's button, and the
account page showing the new address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect, watch

pytestmark = pytest.mark.e2e

OLD = "ada@example.org"
NEW = "ada.lovelace@example.net"


def test_change_the_email_address_by_the_mailed_link(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    # A sign-in counts as recent for 2 seconds only: the change asks for the password again.
    server = make_server(auth_settings="reauth_max_age = 2")
    errors: list[str] = []
    page = watch(new_context(server).new_page(), errors)
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill(OLD)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html**")
    section = page.get_by_role("region", name="Email address")
    expect(section).to_contain_text(f"Your address is {OLD}.")

    # The account's own address is refused next to the field.
    section.get_by_label("New email address").fill(OLD.upper())
    section.get_by_role("button", name="Change email address").click()
    expect(page.locator("#new_email-error")).to_have_text("This is already the account's address.")

    time.sleep(3)
    section.get_by_label("New email address").fill(NEW)
    section.get_by_role("button", name="Change email address").click()
    dialog = page.get_by_role("dialog", name="Confirm it is you")
    expect(dialog).to_contain_text("To change your email address, confirm it is you.")
    dialog.get_by_label("Your password").fill(PASSWORD)
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.locator("#email-status")).to_have_text(
        f"We sent a confirmation link to {NEW}; your address changes when you open it."
    )
    expect(page.locator("#new_email-error")).to_have_count(0)
    expect(section).to_contain_text(f"Your address is {OLD}.")  # nothing changed yet
    screenshot(page, "account-email-change-sent")
    notices = [m for m in server.mails() if m["To"] == OLD and NEW in m.get_body(("plain",)).get_content()]
    assert notices, "no notice to the old address"

    # The link, opened in another browser that is not signed in: opening it spends nothing.
    link = server.wait_for_link(NEW, "confirm-email.html")
    other = watch(new_context(server).new_page(), errors)
    posts: list[str] = []
    other.on("request", lambda sent: posts.append(sent.url) if sent.method == "POST" else None)
    other.goto(server.url + link)
    other.wait_for_load_state("networkidle")
    assert posts == []
    assert "token=" not in other.url
    expect(page.locator("#email-current")).to_have_text(OLD)
    other.get_by_role("button", name="Confirm my new address").click()
    expect(other.locator("#done-text")).to_contain_text("Your email address is changed")
    screenshot(other, "confirm-email-done")

    # The same link again: used.
    other.goto(server.url + link)
    other.get_by_role("button", name="Confirm my new address").click()
    expect(other.locator("#confirm-error")).to_contain_text("This link is used, expired or replaced")
    expect(other.get_by_role("button", name="Confirm my new address")).to_be_hidden()
    screenshot(other, "confirm-email-used")

    page.reload()
    expect(page.get_by_role("region", name="Email address")).to_contain_text(f"Your address is {NEW}.")
    expect(page.locator("#p-verified")).to_have_text("confirmed")
    screenshot(page, "account-new-address")
    assert errors == []
