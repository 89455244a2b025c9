"""``annex init [DIR]`` (issue 17): an existing site set up for Annex on the first try.

The command is run for real (the console script once, click's runner on the same command
otherwise) in a folder with no configuration, and the config.toml it writes is then loaded by
``create_app`` and serves the site, its starter pages and /annex.js.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import client
from client.init import init_command
from core import create_app
from core.state import app_state

ANNEX = Path(sys.executable).with_name("annex")
STARTER = Path(client.__file__).parent / "starter"
CORE_PAGES = Path(__file__).resolve().parents[2] / "core" / "pages"
INDEX = "<!doctype html><title>Home</title><h1>My own site</h1>"


def starter_names() -> set[str]:
    return {path.name for path in STARTER.iterdir() if path.is_file()}


def error_pages() -> set[str]:
    return {name for name in ("403.html", "404.html") if (CORE_PAGES / name).is_file()}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with an existing one-page site in ``site/``, and nothing else; the working directory."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(INDEX)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(init_command, list(args))
    return result.exit_code, result.output


@pytest.fixture
def served(project: Path) -> Iterator[object]:
    """A test client of the app built from the config.toml that ``annex init site`` wrote."""
    assert run_init("site")[0] == 0
    environ = {
        "ANNEX_DATABASE_URL": f"sqlite:///{project / 'annex.db'}",
        "ANNEX_SECRET_KEY": secrets.token_urlsafe(48),
        "ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS": "4",
    }
    app = create_app(project / "config.toml", environ=environ, instance_path=project / "instance")
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        app_state(app).db.close()


def test_the_console_script_sets_up_a_site_in_a_folder_without_config(project: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANNEX", "FLASK"))}
    # An app built from any config would open (create) this database at start-up.
    env["ANNEX_DATABASE_URL"] = f"sqlite:///{project / 'annex.db'}"
    result = subprocess.run(
        [str(ANNEX), "init", "site"], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "wrote    config.toml" in result.stdout
    assert "wrote    site/login.html" in result.stdout
    assert (project / "config.toml").is_file() and (project / ".env.example").is_file()
    assert not (project / "annex.db").exists()  # no app was built: init needs none


def test_init_writes_the_config_the_env_example_and_every_starter_page(project: Path):
    code, output = run_init("site")
    assert code == 0, output
    site = project / "site"
    expected = starter_names() | error_pages()
    assert {"login.html", "register.html", "forgot-password.html", "reset-password.html",
            "verify-email.html", "login-link.html", "account.html",
            "mailed-token.js"} <= expected  # fmt: skip
    assert {path.name for path in site.iterdir()} == expected | {"index.html"}
    for name in starter_names():
        assert (site / name).read_bytes() == (STARTER / name).read_bytes()
        assert f"wrote    site/{name}" in output
    for name in error_pages():
        assert (site / name).read_bytes() == (CORE_PAGES / name).read_bytes()
    assert (site / "index.html").read_text() == INDEX
    config = (project / "config.toml").read_text()
    assert re.search(r'(?m)^static_dir = "site"$', config)
    assert "ANNEX_SECRET_KEY=" in (project / ".env.example").read_text()
    assert f"{len(expected) + 2} file(s) written, 0 skipped" in output


def test_init_never_overwrites_and_says_what_it_skipped(project: Path):
    (project / "config.toml").write_text("# mine\n")
    (project / "site" / "login.html").write_text("<p>my login page</p>")
    code, output = run_init("site")
    assert code == 0, output
    assert (project / "config.toml").read_text() == "# mine\n"
    assert (project / "site" / "login.html").read_text() == "<p>my login page</p>"
    assert "skipped  config.toml (exists; left as it is)" in output
    assert "skipped  site/login.html (exists; left as it is)" in output
    assert "wrote    site/register.html" in output


def test_a_second_run_skips_everything(project: Path):
    run_init("site")
    before = {path: path.read_bytes() for path in project.rglob("*") if path.is_file()}
    code, output = run_init("site")
    assert code == 0, output
    lines = [line for line in output.splitlines() if line.startswith(("wrote", "skipped"))]
    assert lines and all(line.startswith("skipped") for line in lines)
    assert len(lines) == len(starter_names() | error_pages()) + 2
    assert "0 file(s) written" in output
    assert {path: path.read_bytes() for path in project.rglob("*") if path.is_file()} == before


def test_init_refuses_a_missing_folder_or_one_that_would_serve_the_config(project: Path):
    code, output = run_init("stie")
    assert code != 0 and "stie is not a folder" in output
    code, output = run_init(".")
    assert code != 0 and "the site would serve them" in output
    assert not (project / "config.toml").exists()


def test_the_written_config_serves_the_site_the_pages_and_annex_js(served):
    client = served.test_client()
    home = client.get("/")
    assert home.status_code == 200 and home.text == INDEX
    login = client.get("/login.html")
    assert login.status_code == 200
    assert "from '/annex.js'" in login.text and 'id="login-form"' in login.text
    script = client.get("/annex.js")
    assert script.status_code == 200 and "export function createClient" in script.text
    # A mailed link's page sends no Referer (core reads the page's meta tag).
    assert client.get("/reset-password.html").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/verify-email.html").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/login-link.html").headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/login.html").headers["Referrer-Policy"] != "no-referrer"


def test_the_pages_the_plugins_link_to_are_there(served, project: Path):
    state = app_state(served)
    auth = state.plugin_settings["auth"]
    for page in (auth.reset_page, auth.verify_page, auth.login_link_page):
        assert (project / "site" / page).is_file(), page
    login_url = state.plugin_settings["content"].login_url
    assert (project / "site" / login_url.lstrip("/")).is_file()
    # A visitor without a session who opens a members page lands on the starter login page.
    members = served.test_client().get("/members/", headers={"Accept": "text/html"})
    assert members.status_code == 302
    assert members.headers["Location"] == f"{login_url}?next=%2Fmembers%2F"


def test_every_variable_the_env_example_mentions_is_a_setting(project: Path):
    run_init("site")
    lines = (project / ".env.example").read_text().splitlines()
    named = [re.match(r"#?\s*(ANNEX_[A-Z_]+)=(.*)", line) for line in lines]
    environ = {match[1]: match[2] for match in named if match and match[1] != "ANNEX_CONFIG"}
    assert "ANNEX__PLUGINS__AUTH__SMTP_HOST" in environ
    environ |= {
        "ANNEX_SECRET_KEY": secrets.token_urlsafe(48),
        "ANNEX_DATABASE_URL": f"sqlite:///{project / 'annex.db'}",
    }
    app = create_app(project / "config.toml", environ=environ, instance_path=project / "instance")
    try:
        assert app_state(app).settings.site.url == "https://www.example.com"
        assert app_state(app).plugin_settings["auth"].smtp_port == 587
    finally:
        app_state(app).db.close()


def test_the_starter_files_and_templates_ship_with_the_package():
    # What a wheel holds besides modules is pyproject's package data: every file init copies
    # must match one of client's globs, or an installed Annex would copy nothing.
    pyproject = tomllib.loads((Path(client.__file__).parents[1] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["client"]
    shipped = {path for pattern in globs for path in client.FILES.glob(pattern) if path.is_file()}
    needed = {path for folder in ("starter", "templates") for path in (client.FILES / folder).iterdir()}
    assert needed and needed <= shipped, sorted(map(str, needed - shipped))
