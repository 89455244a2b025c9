"""A browser never shows raw JSON for a page (issue 17): the demo's premium link opened by a
member without the role (403), a page that does not exist (404) and a page whose handler fails
(500, through the pagefaults test plugin) are HTML pages with a way back to the home page,
styled under the app's real Content-Security-Policy. The same URLs still answer fetch() in JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, Server
from tests.e2e.pages import expect

pytestmark = pytest.mark.e2e

#: The demo's --bg and --accent colours, as Chromium computes them.
BACKGROUND = "rgb(246, 247, 249)"
ACCENT = "rgb(36, 83, 214)"


def test_forbidden_missing_and_failing_pages_are_html_pages(
    make_server: Callable[..., Server], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = make_server(test_plugins=["pagefaults"])
    page = new_context(server).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # A style the CSP blocked would show up here ("Refused to apply inline style …"); the error
    # statuses themselves are logged as "Failed to load resource", which is expected.
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and problems.append(message.text)
        ),
    )

    # A member without the premium role follows the home page's premium link.
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html")
    page.goto(f"{server.url}/")
    with page.expect_navigation() as navigation:
        page.get_by_role("link", name="premium page").click()
    response = navigation.value
    assert response is not None and response.status == 403
    assert response.headers["content-type"].startswith("text/html")
    assert page.url == f"{server.url}/members/premium/"
    expect(page).to_have_title("Access denied")
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
    expect(page.get_by_text("You do not have access to this page.")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text('"error"')
    screenshot(page, "forbidden")

    # Its inline style applies under the app's CSP: the demo's background and button colours.
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    home = page.get_by_role("link", name="Go to the home page")
    assert body == BACKGROUND, body
    assert home.evaluate("link => getComputedStyle(link).backgroundColor") == ACCENT

    # A page that does not exist.
    response = page.goto(f"{server.url}/no-such-page.html")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("There is no page at this address.")).to_be_visible()
    screenshot(page, "not-found")

    # The way back leads home.
    page.get_by_role("link", name="Go to the home page").click()
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_role("heading", name="Accounts for a static site")).to_be_visible()

    # A page whose handler fails: nothing of the failure is shown.
    response = page.goto(f"{server.url}/broken/")
    assert response is not None and response.status == 500
    expect(page.get_by_role("heading", name="Something went wrong")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("secret detail")
    screenshot(page, "server-error")

    # The same URLs, fetched by a script (Accept: */*), still answer in JSON.
    codes = page.evaluate(
        """async () => {
            const codes = [];
            for (const path of ['/members/premium/', '/no-such-page.html', '/broken/']) {
                const answer = await fetch(path);
                codes.push([answer.status, (await answer.json()).error.code]);
            }
            return codes;
        }"""
    )
    assert codes == [[403, "forbidden"], [404, "not_found"], [500, "internal_error"]]
    assert problems == []
