"""Fixtures and helpers for the emaillink plugin's HTTP tests (api-v2.md, "`emaillink` plugin").

Apps enable ``auth`` and ``emaillink`` with the file mail backend; the tests read the .eml files
it writes, take the link's token and the code out of them as a person would, and talk to the
app only through HTTP.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import deep_merge
from tests.plugins.auth.conftest import (
    JWT_KEY,
    SITE_URL,
    link_token,
    mails,
    post,
    text_of,
    update_rows,
)

#: The page of the link, by default.
PAGE = "email-link.html"
CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def make_link_app(make_app: Callable[..., Any], mail_dir: Path) -> Callable[..., Any]:
    """``make_link_app(emaillink={...}, auth={...}, config={...}, plugins=[...], rate_limits=False)``."""

    def build(
        emaillink: Mapping[str, Any] | None = None,
        auth: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        plugins: Iterable[Any] = (),
        rate_limits: bool = False,
        enabled: Iterable[str] = ("auth", "emaillink"),
    ) -> Any:
        auth_settings = deep_merge(
            {"bcrypt_rounds": 4, "jwt_key": JWT_KEY, "mail_backend": "file", "mail_dir": str(mail_dir)},
            auth or {},
        )
        overrides = deep_merge(
            {
                "plugins": {
                    "enabled": list(enabled),
                    "auth": auth_settings,
                    "emaillink": dict(emaillink or {}),
                },
                "rate_limits": {"enabled": rate_limits},
            },
            config or {},
        )
        return make_app(overrides, plugins=list(plugins))

    return build


@pytest.fixture
def app(make_link_app: Callable[..., Any]) -> Any:
    return make_link_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client(use_cookies=False)


def ask(client: Any, address: str, **kwargs: Any) -> Any:
    return post(client, "/api/emaillink", {"email": address}, **kwargs)


def confirm(client: Any, **body: Any) -> Any:
    return post(client, "/api/emaillink/confirm", body)


class Mailed:
    """One sign-in mail: the message, its link's token and its code."""

    def __init__(self, message: EmailMessage, site_url: str = SITE_URL) -> None:
        self.message = message
        self.text = text_of(message)
        self.token = link_token(message, site_url)
        codes = CODE.findall(self.text.replace(self.token, ""))
        assert codes, f"no 6-digit code in:\n{self.text}"
        self.code = codes[0]


def mailed(
    client: Any, mail_dir: Path, address: str = "alice@example.com", site_url: str = SITE_URL, **kwargs: Any
) -> Mailed:
    """Ask for a sign-in mail for ``address`` and return it (fails unless one arrives). Only
    this plugin's messages count: a security notice of an earlier sign-in may land meanwhile."""
    before = len(link_mails(mail_dir))
    response = ask(client, address, **kwargs)
    assert response.status_code == 202, response.get_data(as_text=True)
    deadline = time.monotonic() + 5
    while len(link_mails(mail_dir)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    found = link_mails(mail_dir)
    assert len(found) > before, f"no sign-in mail for {address} in {mail_dir}"
    return Mailed(found[-1], site_url)


def link_mails(mail_dir: Path) -> list[EmailMessage]:
    """This plugin's messages, oldest first."""
    subjects = ("Your sign-in link", "Create your account")
    return [message for message in mails(mail_dir) if message["Subject"] in subjects]


def link_rows(app: Any) -> list[dict[str, Any]]:
    """Every row of the plugin's tables (``emaillink_*``), as stored."""
    database = app.extensions["annex"].db
    try:
        found = []
        for table in database.tables:
            if table.startswith("emaillink"):
                found.extend(dict(row) for row in database.query(f'SELECT * FROM "{table}"'))
        return found
    finally:
        database.release()


def age_links(app: Any, seconds: float) -> None:
    """Move every link's expiry ``seconds`` into the past (as if that long had gone by)."""
    statement = "UPDATE emaillink_links SET expires_at = expires_at - :s, created_at = created_at - :s"
    update_rows(app, statement, s=seconds)
