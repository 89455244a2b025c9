"""The starter login page that ``annex init`` copies asks for the second factor (issue 19): a user
with an authenticator app types its code, or a recovery code, after the password; a wrong code
is said next to the field. In Chromium against gunicorn from the config ``init`` wrote, with the
totp plugin enabled by an environment override as a site owner could.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from tests import servers
from tests.conftest import require
from tests.e2e.conftest import GUNICORN, PASSWORD, Server
from tests.e2e.test_init_site import INDEX, MEMBERS, annex
from tests.e2e.test_site import expect, watch

pytestmark = pytest.mark.e2e


@pytest.fixture
def starter_with_totp(tmp_path: Path) -> Iterator[Server]:
    require(GUNICORN.exists(), f"gunicorn is not installed next to {sys.executable}")
    project = tmp_path / "site-owner"
    (project / "site").mkdir(parents=True)
    (project / "site" / "index.html").write_text(INDEX)
    (project / "protected").mkdir()
    (project / "protected" / "index.html").write_text(MEMBERS)
    port = servers.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNEX", "FLASK"))}
    annex(project, env, "init", "site")
    overrides = {
        "ANNEX__SITE__URL": f"http://127.0.0.1:{port}",
        "ANNEX__PLUGINS__ENABLED": '["auth", "profile", "content", "totp"]',
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
        url = f"http://127.0.0.1:{port}"
        yield Server(
            url=url, mail_dir=project / "instance" / "mail", gunicorn=running, config=project / "config.toml"
        )
    finally:
        running.stop()


def log_in(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/login.html?next=%2Fmembers%2F")
    page.get_by_label("Username or email").fill("baker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    expect(page.get_by_label("Authenticator or recovery code")).to_be_focused()


def test_the_starter_login_page_asks_for_the_code(
    starter_with_totp: Server, new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    server = starter_with_totp
    errors: list[str] = []
    page = watch(new_context(server).new_page(), errors)
    page.goto(f"{server.url}/register.html")
    page.get_by_label("Username").fill("baker")
    page.get_by_label("Email").fill("baker@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{server.url}/account.html**")
    setup = page.evaluate("async () => (await import('/annex.js')).totp.setup()")
    app = pyotp.TOTP(setup["secret"])
    codes = page.evaluate("async (code) => (await import('/annex.js')).totp.confirm(code)", app.now())
    page.evaluate("async () => (await import('/annex.js')).logout()")

    # A wrong code is said next to the field; a recovery code signs in and goes to ?next=.
    log_in(page, server)
    page.get_by_label("Authenticator or recovery code").fill("000000" if app.now() != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#code-error")).to_have_text(
        "That code is not right. Try the one your app shows now."
    )
    screenshot(page, "starter-wrong-code")
    page.get_by_label("Authenticator or recovery code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/members/")
    page.evaluate("async () => (await import('/annex.js')).logout()")

    # The authenticator's code of the next time step (the enrolment spent the current one).
    log_in(page, server)
    time.sleep(max(0.0, 30 - time.time() % 30) + 0.2)
    page.get_by_label("Authenticator or recovery code").fill(app.now())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{server.url}/members/")
    assert errors == []
