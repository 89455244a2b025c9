"""Signing in with an OpenID Connect provider through the demo pages, in Debian's Chromium
(issue 19, points 2 and 4).

The provider is the real one of tests/plugins/oidc (the certified ``oidc-provider`` package,
started on a free port of 127.0.0.1 with redirect URIs on this test's gunicorn); the browser clicks
the login page's "Sign in with …" button, types into the provider's own login and consent pages
and comes back signed in. Also: a refusal at the provider lands on the login page with a
sentence, and a password account links (and unlinks) the provider from the account page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import servers
from tests.conftest import require
from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect, watch
from tests.plugins.oidc import provider as harness

pytestmark = pytest.mark.e2e

#: What the buttons say: ``label`` of the configured provider.
LABEL = "Test ID"


@pytest.fixture
def oidc_site(
    make_server: Callable[..., Server], tmp_path: Path
) -> Iterator[tuple[Server, harness.Provider]]:
    """A gunicorn with the oidc plugin, and the provider whose only redirect URIs are on it.

    The provider's port is chosen first: the server's config names the issuer, and the
    provider's clients name the server's callback."""
    require(harness.available(), "node and npm are needed to run the OpenID Provider (tests/oidc_provider)")
    port = servers.free_port()
    issuer = f"http://127.0.0.1:{port}"
    extra = f"""
[plugins.oidc]
login_url = "/login.html"

[[plugins.oidc.providers]]
name = "test"
label = "{LABEL}"
issuer = "{issuer}"
client_id = "annex"
client_secret = "{harness.CLIENTS["annex"]["secret"]}"
"""
    server = make_server(plugins=["oidc"], extra=extra)
    folder = tmp_path / "provider"
    folder.mkdir()
    running = harness.start(folder, port=port, sites=(server.url,))
    try:
        yield server, running
    finally:
        running.stop()


@pytest.fixture
def open_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """``open_context(server, provider)``: a fresh profile that may reach those two and nothing else."""
    contexts: list[Any] = []

    def create(server: Server, provider: harness.Provider) -> Any:
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        context.set_default_timeout(15_000)
        allowed = {urlsplit(server.url).netloc, urlsplit(provider.issuer).netloc}

        def only_these(route: Any) -> None:
            parts = urlsplit(route.request.url)
            if parts.scheme in ("http", "https") and parts.netloc not in allowed:
                route.abort("blockedbyclient")  # e.g. the provider pages' web font
            else:
                route.continue_()

        context.route("**/*", only_these)
        contexts.append(context)
        return context

    yield create
    for context in contexts:
        context.close()


def at_the_provider(
    page: Any, provider: harness.Provider, account: str, screenshot: Callable[..., Path]
) -> None:
    """The provider's login page (any password), then its consent page."""
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    expect(page.locator("input[name=login]")).to_be_visible()
    screenshot(page, "provider-login")
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_sign_in_with_the_provider_button_and_a_refusal(
    oidc_site: tuple[Server, harness.Provider],
    open_context: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    server, provider = oidc_site
    errors: list[str] = []
    page = watch(open_context(server, provider).new_page(), errors)

    page.goto(f"{server.url}/login.html")
    button = page.get_by_role("link", name=f"Sign in with {LABEL}")
    expect(button).to_be_visible()
    assert button.get_attribute("href") == "/api/oidc/test/start?next=%2Faccount.html"
    expect(page.get_by_role("button", name="Email me a sign-in link")).to_be_hidden()  # emaillink is off
    screenshot(page, "login-with-provider-button")
    button.click()

    at_the_provider(page, provider, "ada", screenshot)
    page.wait_for_url(f"{server.url}/account.html")
    expect(page.locator("#account")).to_be_visible()
    expect(page.locator("#p-name")).to_have_text("ada")
    expect(page.locator("#p-email")).to_have_text("ada@example.com")
    expect(page.locator("#p-verified")).to_have_text("confirmed")
    linked = page.locator("#identities-list li")
    expect(linked).to_have_count(1)
    expect(linked).to_contain_text(LABEL)
    expect(linked).to_contain_text("ada@example.com")
    expect(page.locator("#sessions-list")).to_contain_text("with another site")
    expect(page.locator("#activity-list")).to_contain_text("Account created")
    # No password yet: the page offers to set one by mail, not to change it.
    expect(page.get_by_role("heading", name="Set a password")).to_be_visible()
    expect(page.get_by_label("Current password")).to_be_hidden()
    page.get_by_role("button", name="Email me a link").click()
    expect(page.locator("#set-password-status")).to_contain_text("on its way to ada@example.com")

    # The provider is this account's only way in: unlinking it is refused, in words.
    page.get_by_role("button", name="Unlink Test ID (ada@example.com)").click()
    expect(page.locator("#oidc-status")).to_contain_text("the only way you can sign in")
    expect(linked).to_have_count(1)
    page.locator("#oidc-section").scroll_into_view_if_needed()
    screenshot(page, "account-linked-identity")

    # Another browser refuses at the provider: the login page says so, and nobody is signed in.
    other = watch(open_context(server, provider).new_page(), errors)
    other.goto(f"{server.url}/login.html")
    other.get_by_role("link", name=f"Sign in with {LABEL}").click()
    other.wait_for_url(f"{provider.issuer}/interaction/**")
    other.get_by_role("link", name="[ Cancel ]").click()
    other.wait_for_url(f"{server.url}/login.html?error=oidc_denied")
    notice = other.locator("#login-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_text("The sign-in was cancelled at the other site, so you are not signed in.")
    assert "{" not in other.locator("main").inner_text()
    expect(other.locator("#already")).to_be_hidden()
    expect(other.get_by_role("button", name="Log in")).to_be_visible()
    screenshot(other, "login-after-refusal")
    assert errors == []


def test_a_password_account_links_and_unlinks_the_provider_on_the_account_page(
    oidc_site: tuple[Server, harness.Provider],
    open_context: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    server, provider = oidc_site
    errors: list[str] = []
    page = watch(open_context(server, provider).new_page(), errors)
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("gracie")
    page.get_by_label("Email").fill("gracie@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html**")

    expect(page.locator("#oidc-section")).to_be_visible()
    expect(page.locator("#identities-list")).to_have_text("No linked accounts yet.")
    page.get_by_role("button", name=f"Link {LABEL}").click()

    at_the_provider(page, provider, "grace", screenshot)
    page.wait_for_url(f"{server.url}/account.html*")
    expect(page.locator("#oidc-status")).to_have_text(
        f"Your {LABEL} account is linked: you can sign in with it now."
    )
    assert page.url == f"{server.url}/account.html"  # ?linked= was tidied away
    expect(page.locator("#p-name")).to_have_text("gracie")  # still the password account
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    linked = page.locator("#identities-list li")
    expect(linked).to_have_count(1)
    expect(linked).to_contain_text("grace@example.com")
    expect(page.locator("#activity-list")).to_contain_text("Account at another site linked")
    page.locator("#oidc-section").scroll_into_view_if_needed()
    screenshot(page, "account-after-linking")

    # The sign-in is recent, and a password remains: unlinking needs nothing more.
    page.get_by_role("button", name="Unlink Test ID (grace@example.com)").click()
    expect(page.locator("#oidc-status")).to_have_text(
        f"Your {LABEL} account is unlinked: it no longer signs you in here."
    )
    expect(page.locator("#identities-list")).to_have_text("No linked accounts yet.")
    expect(page.locator("#activity-list")).to_contain_text("Account at another site unlinked")
    assert errors == []
