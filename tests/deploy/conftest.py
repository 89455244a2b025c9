"""Helpers for the deployment tests: the production app started the way the container starts it.

``start_app`` runs deploy/entrypoint.sh (migrations, then gunicorn) with deploy/config.toml, the
production configuration the image ships, overridden through the environment as an operator
would. Everything listens on 127.0.0.1 and lives under the test's temporary folder.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONTAINERFILE = ROOT / "Containerfile"
BIN = Path(sys.executable).parent
#: Seconds to wait for /api/health after starting the entrypoint.
START_TIMEOUT = 40
#: A password no common-password list holds.
PASSWORD = "violet-Kettle-42-harbor"


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of a Containerfile, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n(\s*#.*\n)*", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class App:
    """A running entrypoint (gunicorn after migrations)."""

    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def production_env(folder: Path, site_url: str, database: Path, **extra: str) -> dict[str, str]:
    """The environment of a production instance: deploy/config.toml plus the operator's overrides.

    No ANNEX_* variable of the developer's shell leaks in, and the working directory is
    ``folder``, so a stray .env in the work tree cannot either.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANNEX", "GUNICORN"))}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        HOME=str(folder),  # gunicorn's control socket goes under $HOME
        PYTHONUNBUFFERED="1",
        ANNEX_CONFIG=str(DEPLOY / "config.toml"),
        ANNEX_SECRET_KEY=secrets.token_urlsafe(48),
        ANNEX_DATABASE_URL=f"sqlite:///{database}",
        ANNEX__SITE__URL=f'"{site_url}"',
        ANNEX__PLUGINS__CONTENT__ROOT=f'"{ROOT / "protected"}"',
        ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS="4",
        ANNEX_MIGRATE_RETRIES="1",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
        GUNICORN_TMP_DIR=str(folder),
        GUNICORN_GRACEFUL_TIMEOUT="3",
    )
    env.update(extra)
    return env


def start_app(folder: Path, env: dict[str, str], port: int | None = None) -> App:
    """Run deploy/entrypoint.sh on 127.0.0.1:``port``; return once /api/health answers 200."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log = folder / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["/bin/sh", str(DEPLOY / "entrypoint.sh")],
            cwd=folder,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = App(port=port, log=log, process=process)
    try:
        wait_healthy(app)
    except BaseException:
        stop(process)
        raise
    return app


def wait_healthy(app: App) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    request = urllib.request.Request(
        f"http://127.0.0.1:{app.port}/api/health", headers={"X-Forwarded-Proto": "https"}
    )
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise AssertionError(
                f"the entrypoint exited with {app.process.returncode}:\n{app.log_text()[-6000:]}"
            )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"the app did not become healthy in {START_TIMEOUT} s:\n{app.log_text()[-6000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started (gunicorn and nginx stop gracefully on SIGTERM/SIGQUIT)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
