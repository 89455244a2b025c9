"""Browser end-to-end tests: the demo site and annex.js, in Debian's Chromium, against gunicorn.

Each server is a real ``gunicorn -w 2 -k gthread`` on a free port of 127.0.0.1 with its own
config file, SQLite database and mail folder under the test's ``tmp_path``. The browser may
reach that server and nothing else: every other request is aborted.
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import servers
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CHROMIUM = Path(os.environ.get("ANNEX_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: Seconds to wait for /api/health after starting gunicorn.
START_TIMEOUT = 30
#: A password no common-password list holds.
PASSWORD = "violet-Kettle-42-harbor"

CONFIG = """\
[site]
url = "{url}"
static_dir = "{site}"

[security]
secret_key = "{secret}"

[database]
url = "sqlite:///{database}"

[rate_limits]
enabled = false

[plugins]
enabled = {enabled}

[plugins.auth]
bcrypt_rounds = 4
mail_backend = "file"
mail_dir = "{mail_dir}"
cookie_secure = {cookie_secure}
access_token_ttl = {access_token_ttl}
{auth_settings}

[plugins.content]
root = "{protected}"
url_prefix = "/members"
login_url = "/login.html"

[[plugins.content.rules]]
pattern = "premium/*"
roles = ["premium"]
{extra}
"""


@dataclass
class Server:
    """A running gunicorn serving the site and the API."""

    url: str
    mail_dir: Path
    gunicorn: servers.Server
    config: Path

    def mails(self) -> list[EmailMessage]:
        """Every message the file backend wrote, oldest first."""
        files = sorted(self.mail_dir.glob("*.eml")) if self.mail_dir.exists() else []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for path in files
        ]

    def wait_for_link(self, to: str, page: str, count: int = 1, timeout: float = 10) -> str:
        """The path and query of the link to ``page`` in the ``count``-th message to ``to``."""
        deadline = time.monotonic() + timeout
        pattern = re.compile(rf"{re.escape(self.url)}(/{re.escape(page)}\?token=[A-Za-z0-9_\-%.~]+)")
        while time.monotonic() < deadline:
            links = [
                match.group(1)
                for message in self.mails()
                if message["To"] == to
                for match in [pattern.search(message.get_body(preferencelist=("plain",)).get_content())]
                if match
            ]
            if len(links) >= count:
                return links[count - 1]
            time.sleep(0.1)
        raise AssertionError(f"no message #{count} with a link to {page} for {to} in {self.mail_dir}")


def _environment(database: Path, secret: str) -> dict[str, str]:
    # With clean_env no ANNEX_* setting of the developer's shell leaks in; these pin what a
    # stray .env in the work tree could otherwise change.
    return {
        "ANNEX_DATABASE_URL": f"sqlite:///{database}",
        "ANNEX_SECRET_KEY": secret,
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``make_server(access_token_ttl=900, cookie_secure=True, test_plugins=())``: start gunicorn;
    stopped at teardown. ``test_plugins`` names modules of tests/testplugins to enable besides
    the built-ins, installed for the server through an entry point as a third party's would be.
    ``plugins`` adds built-in plugins (``totp``, ``passkeys``), ``auth_settings`` lines to
    ``[plugins.auth]``, ``extra`` whole tables; ``host="localhost"`` for WebAuthn, whose relying
    party cannot be an IP address; ``environ`` adds environment variables (``ANNEX__…``
    settings the config file does not set)."""
    require(GUNICORN.exists(), f"gunicorn is not installed next to {sys.executable}")
    started: list[Server] = []

    def start(
        access_token_ttl: int = 900,
        cookie_secure: bool = True,
        test_plugins: Sequence[str] = (),
        plugins: Sequence[str] = (),
        auth_settings: str = "",
        extra: str = "",
        host: str = "127.0.0.1",
        environ: Mapping[str, str] | None = None,
    ) -> Server:
        folder = tmp_path / f"server{len(started)}"
        folder.mkdir()
        port = servers.free_port()
        url = f"http://{host}:{port}"
        secret = secrets.token_urlsafe(48)
        database = folder / "annex.db"
        config = folder / "config.toml"
        config.write_text(
            CONFIG.format(
                url=url,
                site=(ROOT / "site").as_posix(),
                secret=secret,
                database=database.as_posix(),
                mail_dir=(folder / "mail").as_posix(),
                cookie_secure=str(cookie_secure).lower(),
                access_token_ttl=access_token_ttl,
                protected=(ROOT / "protected").as_posix(),
                enabled=json.dumps(["auth", "profile", "content", *plugins, *test_plugins]),
                auth_settings=auth_settings,
                extra=extra,
            )
        )
        env = {**_environment(database, secret), **(environ or {})}
        if test_plugins:
            env["PYTHONPATH"] = os.pathsep.join([str(_entry_points(folder, test_plugins)), str(ROOT)])
        # Migrate first, as `make run` and a deployment do: two workers then start on a ready
        # database instead of racing to create it.
        servers.migrate({**{k: v for k, v in os.environ.items() if not k.startswith("ANNEX")}, **env,
                  "ANNEX_CONFIG": str(config)})  # fmt: skip
        running = servers.start_gunicorn(config, folder, env=env, port=port, clean_env=True)
        server = Server(url=url, mail_dir=folder / "mail", gunicorn=running, config=config)
        started.append(server)
        return server

    yield start
    for server in started:
        server.gunicorn.stop()


def _entry_points(folder: Path, names: Sequence[str]) -> Path:
    """A folder for sys.path whose one distribution declares ``names`` as Annex plugins."""
    path = folder / "plugins"
    dist = path / "annex_e2e_testplugins-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: annex-e2e-testplugins\nVersion: 1.0\n")
    lines = "".join(f"{name} = tests.testplugins.{name}\n" for name in names)
    (dist / "entry_points.txt").write_text(f"[annex]\n{lines}")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Python Playwright (never a downloaded browser)."""
    require(
        importlib.util.find_spec("playwright") is not None,
        "playwright is not installed (pip install playwright)",
    )
    require(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """``new_context(server, **options)``: a fresh browser profile that may reach only ``server``."""
    contexts: list[Any] = []

    def create(server: Server, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1100, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        allowed = urlsplit(server.url).netloc

        def only_the_server(route: Any) -> None:
            parts = urlsplit(route.request.url)
            if parts.scheme in ("http", "https") and parts.netloc != allowed:
                route.abort("blockedbyclient")
            else:
                route.continue_()

        context.route("**/*", only_the_server)
        contexts.append(context)
        return context

    yield create
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Any, str], Path]:
    """``screenshot(page, name, full_page=True)``: a PNG under ``tmp_path/screenshots``, numbered in order."""
    folder = tmp_path / "screenshots"
    taken: list[Path] = []

    def take(page: Any, name: str, full_page: bool = True) -> Path:
        folder.mkdir(exist_ok=True)
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        taken.append(path)
        return path

    return take
