"""Development through Vite (issue 8): the demo site on the Vite dev server, Annex behind its proxy.

The two commands of docs/frontend.md, for real: ``flask --app core run`` (after ``flask migrate``,
as ``make run`` does) and ``npx vite`` with ``frontend/vite.config.js``, which serves ``site/``, its
``/api`` and ``/members`` proxied to Flask through ``ANNEX_BACKEND_URL``. Vite comes from
``frontend/package.json`` and ``frontend/package-lock.json`` (tooling stays out of the served
``site/``), installed with ``npm ci`` into a temporary folder.
The browser talks to the Vite port only: every request to another origin is aborted and counted.
The complete vite.config.js of docs/frontend.md is copied out of the page into a project with an
``annex init`` site, and runs as it is there: ``npx vite`` in front of ``annex run``, and a build.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import servers
from tests.conftest import require
from tests.e2e.conftest import PASSWORD
from tests.servers import free_port, write_toml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
FLASK = Path(sys.executable).with_name("flask")
#: Vite 8 runs on Node ^20.19 or >= 22.12 (its "engines").
NODE_MINIMUM = (20, 19)
#: Seconds for `npm ci`, and for a server to answer after it was started (the machine is shared).
NPM_TIMEOUT = 600
START_TIMEOUT = 90
EMAIL = "alice@example.com"


@dataclass
class Origin:
    """What ``new_context`` needs: the one origin the browser may reach."""

    url: str


def _node_version() -> tuple[int, ...] | None:
    try:
        result = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\s*", result.stdout)
    return tuple(int(part) for part in match.groups()) if match else None


def _environment(**extra: str) -> dict[str, str]:
    """The process environment without the developer's ANNEX_* settings, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANNEX")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def vite_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding frontend/package.json, package-lock.json and the node_modules of `npm ci`."""
    for tool in ("node", "npm", "npx"):
        require(shutil.which(tool) is not None, f"{tool} is not installed (Node.js 20.19 or later)")
    version = _node_version()
    require(
        version is not None and version[:2] >= NODE_MINIMUM,
        f"Vite needs Node.js {'.'.join(map(str, NODE_MINIMUM))} or later, not {version}",
    )
    folder = tmp_path_factory.mktemp("vite")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(FRONTEND / name, folder / name)
    try:
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"],
            cwd=folder,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm ci took longer than {NPM_TIMEOUT} s")
    assert result.returncode == 0, f"npm ci failed:\n{result.stdout}{result.stderr}"
    assert (folder / "node_modules" / ".bin" / "vite").exists(), result.stdout
    return folder


def _start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in a process group of its own (npx starts Vite as a child)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the whole process group, then kill what is left of it."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    deadline = time.monotonic() + 5
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            break
        if time.monotonic() > deadline:
            os.killpg(group, signal.SIGKILL)
            break
        time.sleep(0.1)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=15)


def _get(url: str, headers: dict[str, str] | None = None, body: Any = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    """Wait until ``url`` answers 200 while ``process`` (ours, not another on the port) runs."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if _get(url)[0] == 200 and process.poll() is None:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"{what} did not answer {url}:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture
def dev_servers(
    request: pytest.FixtureRequest, vite_install: Path, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """`flask run` and the Vite dev server in front of it: yields (vite URL, flask URL)."""
    require(FLASK.exists(), f"flask is not installed next to {sys.executable}")
    flask_port, vite_port = free_port(), free_port()
    flask_url, vite_url = f"http://127.0.0.1:{flask_port}", f"http://127.0.0.1:{vite_port}"
    secret = secrets.token_urlsafe(48)
    database = f"sqlite:///{tmp_path / 'annex.db'}"
    config = write_toml(
        tmp_path / "config.toml",
        {
            # "vite": mail links lead to the dev server's pages; "backend": `make run`'s config.toml.
            "site": {"url": vite_url if request.param == "vite" else flask_url, "static_dir": ""},
            "security": {"secret_key": secret},
            "database": {"url": database},
            "rate_limits": {"enabled": False},
            "plugins": {
                "enabled": ["auth", "profile", "content"],
                "auth": {
                    "bcrypt_rounds": 4,
                    "mail_backend": "file",
                    "mail_dir": (tmp_path / "mail").as_posix(),
                },
                "content": {
                    "root": (ROOT / "protected").as_posix(),
                    "url_prefix": "/members",
                    "login_url": "/login.html",
                },
            },
        },
    )
    # The variables pin what a stray .env in the work tree could otherwise change.
    flask_env = _environment(
        ANNEX_CONFIG=str(config),
        ANNEX_DATABASE_URL=database,
        ANNEX_SECRET_KEY=secret,
        FLASK_SKIP_DOTENV="1",
        PYTHONUNBUFFERED="1",
    )
    servers.migrate(flask_env)

    flask_log, vite_log = tmp_path / "flask.log", tmp_path / "vite.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            _start(
                [str(FLASK), "--app", "core", "run", "--port", str(flask_port)], ROOT, flask_env, flask_log
            )
        )
        _wait_for(f"{flask_url}/api/health", processes[-1], flask_log, "flask run")
        vite = [
            "npx", "--no", "--", "vite",
            "--config", str(FRONTEND / "vite.config.js"),
            "--host", "127.0.0.1", "--port", str(vite_port), "--strictPort",
        ]  # fmt: skip
        processes.append(_start(vite, vite_install, _environment(ANNEX_BACKEND_URL=flask_url), vite_log))
        _wait_for(f"{vite_url}/", processes[-1], vite_log, "vite")
        yield vite_url, flask_url
    finally:
        for process in reversed(processes):
            _stop(process)
        for log in (flask_log, vite_log):  # shown by pytest when the test failed
            if log.exists():
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")


def expect(page: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(page)


def log_in(page: Any, username: str, password: str) -> None:
    """Fill in the login form of the page that is already open."""
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("dev_servers", ["vite", "backend"], indirect=True, ids=lambda v: f"site-url-{v}")
def test_the_site_through_the_vite_dev_server(
    browser: Any,
    dev_servers: tuple[str, str],
    new_context: Callable[..., Any],
    screenshot: Callable[..., Path],
) -> None:
    vite_url, flask_url = dev_servers

    # The proxy: the API answers through the Vite port; Flask itself serves no pages.
    status, body = _get(f"{vite_url}/api/health")
    assert (status, json.loads(body)["status"]) == (200, "ok")
    assert _get(f"{flask_url}/")[0] == 404

    context = new_context(Origin(vite_url))
    errors: list[str] = []
    elsewhere: list[str] = []  # requests to any other origin (new_context aborts them)
    context.on(
        "request",
        lambda request: (
            elsewhere.append(request.url)
            if urlsplit(request.url).scheme in ("http", "https")
            and urlsplit(request.url).netloc != urlsplit(vite_url).netloc
            else None
        ),
    )
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    # The demo page, served and transformed by Vite.
    page.goto(f"{vite_url}/")
    expect(page.get_by_text("You are not logged in.")).to_be_visible()
    expect(page.locator('script[src="/@vite/client"]')).to_have_count(1)
    screenshot(page, "vite-home")

    # Register: the account page shows the profile read through the proxy.
    page.goto(f"{vite_url}/register.html")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{vite_url}/account.html")
    expect(page.locator("#p-name")).to_have_text("alice")
    expect(page.locator("#p-email")).to_have_text(EMAIL)

    # The cookie transport: HttpOnly tokens and the CSRF cookie, set through the proxy.
    names = {cookie["name"] for cookie in context.cookies()}
    assert {"__Host-annex_access", "__Secure-annex_refresh", "__Host-annex_csrf"} <= names

    # Log out, then in again; the account page reads the profile.
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url(f"{vite_url}/login.html")
    page.goto(f"{vite_url}/account.html")
    page.wait_for_url(re.compile(re.escape(f"{vite_url}/login.html")))
    page.goto(f"{vite_url}/login.html")
    log_in(page, "alice", "not-" + PASSWORD)
    expect(page.locator("#login-form .form-error")).to_have_text("Wrong username or password.")
    log_in(page, "alice", PASSWORD)
    page.wait_for_url(f"{vite_url}/account.html")
    expect(page.locator("#p-name")).to_have_text("alice")
    screenshot(page, "vite-account")

    # A members' page, proxied to Annex's content plugin.
    page.goto(f"{vite_url}/members/")
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()
    screenshot(page, "vite-members")

    # Logged out, the members' page sends to the dev server's login page and back after it.
    page.goto(f"{vite_url}/account.html")
    page.get_by_role("button", name="Log out", exact=True).click()
    page.wait_for_url(f"{vite_url}/login.html")
    page.goto(f"{vite_url}/members/")
    assert page.url == f"{vite_url}/login.html?next=%2Fmembers%2F"
    log_in(page, EMAIL, PASSWORD)
    page.wait_for_url(f"{vite_url}/members/")
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()

    assert errors == []
    assert elsewhere == []  # nothing went around the dev server

    # The account lives in this test's Flask (not in whatever else may listen on the proxy's port).
    status, _ = _get(f"{flask_url}/api/auth/login", body={"username": "alice", "password": PASSWORD})
    assert status == 200

    # Through the proxy, a page of another origin is still refused by Annex's Origin check.
    status, body = _get(
        f"{vite_url}/api/auth/login",
        headers={"Origin": "https://evil.example"},
        body={"username": "alice", "password": PASSWORD},
    )
    assert status == 403, body
    assert json.loads(body)["error"]["code"] == "csrf_failed"


# The vite.config.js of docs/frontend.md, copied alone into a project with an `annex init` site ----

DOCS = ROOT / "docs" / "frontend.md"
ANNEX = Path(sys.executable).with_name("annex")


def docs_vite_config() -> str:
    """The one ```js block of docs/frontend.md that is a whole vite.config.js."""
    blocks = re.findall(r"```js\n(// vite\.config\.js.*?)```", DOCS.read_text(), re.DOTALL)
    assert len(blocks) == 1, "docs/frontend.md should hold one complete vite.config.js block"
    return blocks[0]


def _docs_environment(tmp_path: Path) -> dict[str, str]:
    """What a test machine must pin beside the written config: its own database and key."""
    return _environment(
        ANNEX_DATABASE_URL=f"sqlite:///{tmp_path / 'annex.db'}",
        ANNEX_SECRET_KEY=secrets.token_urlsafe(48),
        ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS="4",
        FLASK_SKIP_DOTENV="1",
        PYTHONUNBUFFERED="1",
    )


def _docs_project(folder: Path, vite_install: Path, env: dict[str, str]) -> Path:
    """A project as the docs set it up: a one-page site after ``annex init site``, members files
    beside it, the docs' vite.config.js and an ES-module package.json (Vite from ``vite_install``)."""
    require(ANNEX.exists(), f"annex is not installed next to {sys.executable}")
    (folder / "site").mkdir(parents=True)
    (folder / "site" / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Home</title></head>"
        "<body><h1>Home</h1><a href='/members/'>Members</a></body></html>"
    )
    (folder / "protected").mkdir()
    (folder / "protected" / "index.html").write_text("<!doctype html><title>In</title><h1>Members only</h1>")
    (folder / "vite.config.js").write_text(docs_vite_config())
    (folder / "package.json").write_text('{"private": true, "type": "module"}\n')
    (folder / "node_modules").symlink_to(vite_install / "node_modules")
    init = subprocess.run([str(ANNEX), "init", "site"], cwd=folder, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stdout + init.stderr
    return folder


@pytest.fixture
def docs_project(vite_install: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``annex run`` and ``npx vite`` in the docs' project; yields (vite URL, Vite's log)."""
    env = _docs_environment(tmp_path)
    project = _docs_project(tmp_path / "project", vite_install, env)
    flask_port, vite_port = free_port(), free_port()
    flask_url, vite_url = f"http://127.0.0.1:{flask_port}", f"http://127.0.0.1:{vite_port}"
    flask_log, vite_log = tmp_path / "annex.log", tmp_path / "vite.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(_start([str(ANNEX), "run", "--port", str(flask_port)], project, env, flask_log))
        _wait_for(f"{flask_url}/api/health", processes[-1], flask_log, "annex run")
        vite = ["npx", "--no", "--", "vite", "--host", "127.0.0.1", "--port", str(vite_port)]
        processes.append(_start(vite, project, _environment(ANNEX_BACKEND_URL=flask_url), vite_log))
        _wait_for(f"{vite_url}/", processes[-1], vite_log, "vite")
        yield vite_url, vite_log
    finally:
        for process in reversed(processes):
            _stop(process)
        for log in (flask_log, vite_log):
            if log.exists():
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")


def test_the_docs_vite_config_copied_alone_serves_an_annex_init_site(
    docs_project: tuple[str, Path], new_context: Callable[..., Any], screenshot: Callable[..., Path]
) -> None:
    vite_url, vite_log = docs_project
    context = new_context(Origin(vite_url))
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

    # Vite serves the site's pages; a members page sends to the starter login page.
    page.goto(f"{vite_url}/members/")
    page.wait_for_url(f"{vite_url}/login.html?next=%2Fmembers%2F")
    expect(page.locator('script[src="/@vite/client"]')).to_have_count(1)

    # Register through the starter page (its module imports /annex.js), and back to /members/.
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{vite_url}/members/")
    expect(page.get_by_role("heading", name="Members only")).to_be_visible()
    page.goto(f"{vite_url}/account.html")
    expect(page.locator("#username")).to_have_text("alice")
    screenshot(page, "docs-vite-account")
    assert errors == []
    assert "error" not in vite_log.read_text(errors="replace").lower()


def test_the_docs_vite_config_builds_every_page_with_the_mailed_token_script(
    vite_install: Path, tmp_path: Path
) -> None:
    env = _docs_environment(tmp_path)
    project = _docs_project(tmp_path / "project", vite_install, env)
    build = subprocess.run(
        ["npx", "--no", "--", "vite", "build"], cwd=project, env=_environment(),
        capture_output=True, text=True, timeout=START_TIMEOUT,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    dist = project / "dist"
    pages = {path.name for path in (project / "site").glob("*.html")}
    assert pages <= {path.name for path in dist.glob("*.html")}
    # The classic script a mailed link's page loads first is there, as it was written.
    assert (dist / "mailed-token.js").read_bytes() == (project / "site" / "mailed-token.js").read_bytes()
    assert '<script src="/mailed-token.js"></script>' in (dist / "reset-password.html").read_text()
    # /annex.js stays an import of the running site's own file, not a bundled copy.
    scripts = "".join(path.read_text() for path in (dist / "assets").glob("*.js"))
    assert 'from"/annex.js"' in scripts.replace(" ", "").replace("'", '"')
    assert "export function createClient" not in scripts
