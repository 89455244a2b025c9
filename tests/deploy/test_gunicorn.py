"""gunicorn and Annex's proxy trust, against real gunicorns (issue 15, "also seen").

gunicorn by itself believes ``X-Forwarded-Proto`` (and ``X-Forwarded-Ssl``) from 127.0.0.1, ::1
and unix sockets. Annex's ``security.trusted_proxies`` must be the one thing that decides:
with 0, a loopback client saying "https" does not make the request https (no HSTS, and with
``force_https`` a 403); with 1 (nginx in front), it does. Checked through deploy/entrypoint.sh
(core/gunicorn_config.py), through a bare ``gunicorn`` started where no config file is found
(core/socket_scheme.py alone), and through a bare ``gunicorn`` started in the repository, which
reads ./gunicorn.conf.py (its access log then leaves out query strings).
"""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.conftest import BIN, ROOT, App, free_port, production_env, start_app, stop
from tests.servers import write_toml

pytestmark = pytest.mark.deploy

HTTPS_CLAIMS = [{"X-Forwarded-Proto": "https"}, {"X-Forwarded-Ssl": "on"}, {"X-Forwarded-Protocol": "ssl"}]


def get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", path, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer
    finally:
        connection.close()


@pytest.fixture(scope="module")
def entrypoint_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, App]]:
    """The production app through deploy/entrypoint.sh, with trusted_proxies 0 and 1."""
    folder = tmp_path_factory.mktemp("gunicorn")
    apps: dict[int, App] = {}
    try:
        for hops in (0, 1):
            env = production_env(
                folder,
                "https://127.0.0.1",
                folder / f"annex{hops}.db",
                ANNEX__SECURITY__TRUSTED_PROXIES=str(hops),
                ANNEX__SECURITY__FORCE_HTTPS="false",  # the health wait sends plain requests too
            )
            apps[hops] = start_app(folder / f"app{hops}", env)
        yield apps
    finally:
        for app in apps.values():
            stop(app.process)


@pytest.mark.parametrize("claim", HTTPS_CLAIMS, ids=lambda claim: next(iter(claim)))
def test_with_no_trusted_proxy_a_loopback_https_claim_changes_nothing(entrypoint_apps, claim) -> None:
    answer = get(entrypoint_apps[0].port, "/api/health", claim)
    assert answer.status == 200
    assert answer.getheader("Strict-Transport-Security") is None


def test_with_one_trusted_proxy_its_forwarded_proto_is_believed(entrypoint_apps) -> None:
    trusted = entrypoint_apps[1].port
    assert get(trusted, "/api/health", {"X-Forwarded-Proto": "https"}).getheader("Strict-Transport-Security")
    # Only X-Forwarded-Proto, the header nginx sets: not gunicorn's other spellings.
    assert (
        get(trusted, "/api/health", {"X-Forwarded-Ssl": "on"}).getheader("Strict-Transport-Security") is None
    )


def _bare_gunicorn(cwd: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """``gunicorn 'core:create_app()'`` with no option about proxies, started in ``cwd``."""
    config = write_toml(
        folder / "config.toml",
        {
            "site": {"url": "https://127.0.0.1"},
            "security": {"secret_key": secrets.token_urlsafe(48), "force_https": True, "trusted_proxies": 0},
            "database": {"url": f"sqlite:///{folder / 'annex.db'}"},
            "rate_limits": {"enabled": False},
            "plugins": {"enabled": []},
        },
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANNEX", "GUNICORN"))}
    env.update(ANNEX_CONFIG=str(config), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", HOME=str(folder))
    port = free_port()
    log = folder / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--access-logfile",
                "-",
                "core:create_app()",
            ],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            get(port, "/api/health", {})
            return process, port, log
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise AssertionError(f"gunicorn did not answer:\n{log.read_text(errors='replace')}")


def test_a_bare_gunicorn_without_config_still_cannot_be_told_https(tmp_path: Path) -> None:
    assert not (tmp_path / "gunicorn.conf.py").exists()  # gunicorn finds no config file here
    process, port, _ = _bare_gunicorn(tmp_path, tmp_path)
    try:
        for claim in HTTPS_CLAIMS:
            answer = get(port, "/api/health", claim)
            assert answer.status == 403, claim  # force_https: plain HTTP to /api is https_required
            assert answer.getheader("Strict-Transport-Security") is None
    finally:
        stop(process)


def test_gunicorn_started_in_the_repository_reads_annex_settings(tmp_path: Path) -> None:
    process, port, log = _bare_gunicorn(ROOT, tmp_path)
    try:
        assert get(port, "/api/health?token=mailed-secret", {"X-Forwarded-Proto": "https"}).status == 403
        deadline = time.monotonic() + 10
        while "GET /api/health" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop(process)
    text = log.read_text()
    assert '"GET /api/health HTTP/1.1" 403' in text  # ./gunicorn.conf.py's access log format
    assert "mailed-secret" not in text


def test_a_configuration_that_does_not_start_is_gunicorns_last_line_without_traceback(tmp_path: Path) -> None:
    """gunicorn as tests/servers.py starts it (in the repository: ./gunicorn.conf.py), two workers,
    with a misspelt environment section, then an unreachable PostgreSQL whose URL has a password."""
    url = f"postgresql://annex:hunter2-secret@127.0.0.1:{free_port()}/annex"
    config = tmp_path / "config.toml"
    cases = [
        (
            {"ANNEX__SECURTY__FORCE_HTTPS": "true"},
            'unknown setting securty = {"force_https": true} in environment variable '
            "ANNEX__SECURTY__FORCE_HTTPS. Did you mean security? Fix: rename ANNEX__SECURTY__FORCE_HTTPS "
            "to ANNEX__SECURITY__FORCE_HTTPS.",
        ),
        (
            {"ANNEX_DATABASE_URL": url},
            f'database.url = "{url.replace("hunter2-secret", "***")}" (set in environment variable '
            'ANNEX_DATABASE_URL): cannot connect: connection to server at "127.0.0.1", port',
        ),
    ]
    write_toml(config, {"site": {"static_dir": ""}, "plugins": {"enabled": ["auth"]}})
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANNEX", "GUNICORN"))}
    env.update(ANNEX_CONFIG=str(config), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", HOME=str(tmp_path))
    for extra, message in cases:
        command = [str(BIN / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4", "-b",
                   f"127.0.0.1:{free_port()}", "core:create_app()"]  # fmt: skip
        result = subprocess.run(
            command, cwd=ROOT, env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=60,
        )  # fmt: skip
        log = result.stdout
        assert result.returncode != 0, log
        assert "Traceback" not in log
        assert "hunter2-secret" not in log
        last = log.strip().splitlines()[-1]
        assert f"[ERROR] Annex did not start: {message}" in last, log
