"""The link page in Debian's Chromium: loading it POSTs nothing and drops the token from the
address bar; the button signs in (cookies); a spent link says so in the page."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import servers
from tests.conftest import require
from tests.plugins.auth.conftest import signup
from tests.plugins.emaillink.conftest import PAGE, mailed

SITE = Path(__file__).resolve().parents[3] / "site"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def served(make_link_app):
    """The app on a free port of 127.0.0.1 (its site.url), in a thread; plain HTTP cookies."""
    require(importlib.util.find_spec("playwright") is not None, "playwright is not installed")
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    port = servers.free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_link_app(auth={"cookie_secure": False}, config={"site": {"static_dir": str(SITE), "url": url}})
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, url
    server.shutdown()
    thread.join(10)


def test_the_page_signs_in_on_the_button_only(served, mail_dir):
    from playwright.sync_api import sync_playwright

    app, url = served
    client = app.test_client(use_cookies=False)
    signup(client, "alice")
    got = mailed(client, mail_dir, site_url=url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            context = browser.new_context()
            page = context.new_page()
            posts: list[str] = []
            page.on("request", lambda sent: posts.append(sent.url) if sent.method == "POST" else None)
            page.goto(f"{url}/{PAGE}?token={got.token}")
            page.wait_for_load_state("networkidle")
            assert posts == []
            assert page.url == f"{url}/{PAGE}"  # the token left the address bar
            page.click("#confirm-button")
            page.wait_for_selector("#link-done:not([hidden])")
            assert "alice" in page.inner_text("#done-text")
            assert {"annex_access", "annex_refresh"} <= {cookie["name"] for cookie in context.cookies()}
            again = context.new_page()
            again.goto(f"{url}/{PAGE}?token={got.token}")
            again.click("#confirm-button")
            again.wait_for_selector("#link-error:not([hidden])")
            assert "already used" in again.inner_text("#link-error")
            bare = browser.new_page()
            bare.goto(f"{url}/{PAGE}")
            assert bare.is_visible("#no-token")
        finally:
            browser.close()
