"""deploy/healthcheck.py, the image's HEALTHCHECK: it asks /api/health where gunicorn listens,
by core/gunicorn_config.py's rule, without importing the app."""

from __future__ import annotations

import http.server
import importlib.util
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from core.gunicorn_config import bind_addresses
from tests.deploy.conftest import DEPLOY, free_port

pytestmark = pytest.mark.deploy

SCRIPT = DEPLOY / "healthcheck.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("annex_healthcheck", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = _load()

ENVIRONMENTS = [
    {},
    {"PORT": "8000"},
    {"PORT": "9000", "GUNICORN_BIND": "127.0.0.1:9100"},
    {"GUNICORN_BIND": "unix:/run/annex.sock, 0.0.0.0:8000"},
    {"GUNICORN_BIND": " , [::]:8080"},
    {"PORT": "8000", "GUNICORN_CMD_ARGS": "--workers 3 -b 127.0.0.2:8200", "GUNICORN_BIND": "x:1"},
    {"GUNICORN_CMD_ARGS": "--bind=0.0.0.0:8300"},
    {"GUNICORN_CMD_ARGS": "-b127.0.0.1:8400 --bind [::1]:8401"},
    {"GUNICORN_CMD_ARGS": "'unbalanced", "PORT": "8500"},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
def test_it_reads_the_bind_as_gunicorn_config_does(environ: dict[str, str]) -> None:
    assert healthcheck.bind_addresses(environ) == bind_addresses(environ)


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("0.0.0.0:8000", ("127.0.0.1", 8000)),
        (":8001", ("127.0.0.1", 8001)),
        ("127.0.0.1:8002", ("127.0.0.1", 8002)),
        ("10.1.2.3:8003", ("10.1.2.3", 8003)),
        ("[::]:8004", ("::1", 8004)),
        ("[::1]:8005", ("::1", 8005)),
        ("tcp://0.0.0.0:8006", ("127.0.0.1", 8006)),
        ("localhost", ("localhost", 8000)),
        ("unix:/run/annex.sock", "/run/annex.sock"),
    ],
)
def test_an_any_address_bind_is_asked_through_loopback(address: str, target: object) -> None:
    assert healthcheck.target(address) == target


class _Health(http.server.BaseHTTPRequestHandler):
    """Answers like the app: 200 for /api/health over https (X-Forwarded-Proto), else 503/404."""

    def do_GET(self) -> None:
        if self.path != "/api/health":
            self.send_response(404)
        elif self.headers.get("X-Forwarded-Proto") != "https":
            self.send_response(301)  # force_https would redirect a plain-http request
        else:
            self.send_response(200 if self.server.healthy else 503)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def server() -> Iterator[http.server.ThreadingHTTPServer]:
    httpd = _Server(("127.0.0.1", free_port()), _Health)
    httpd.healthy = True  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("GUNICORN", "PORT"))}
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env={**base, **env}, capture_output=True, text=True, timeout=30
    )


def test_it_passes_on_200_at_gunicorn_bind_and_fails_on_503(server: http.server.ThreadingHTTPServer) -> None:
    port = server.server_address[1]
    unused = free_port()
    assert _run({"PORT": str(unused), "GUNICORN_BIND": f"0.0.0.0:{port}"}).returncode == 0
    assert _run({"PORT": str(port)}).returncode == 0
    failed = _run({"PORT": str(port), "GUNICORN_BIND": f"127.0.0.1:{unused}"})
    assert failed.returncode == 1
    assert f"127.0.0.1:{unused}/api/health" in failed.stderr
    server.healthy = False  # type: ignore[attr-defined]
    unhealthy = _run({"PORT": str(port)})
    assert unhealthy.returncode == 1
    assert "503" in unhealthy.stderr


def test_it_asks_through_a_unix_socket_bind(tmp_path: Path) -> None:
    path = tmp_path / "gunicorn.sock"
    httpd = _UnixServer(str(path), _Health)
    httpd.healthy = True  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert _run({"GUNICORN_BIND": f"unix:{path}"}).returncode == 0
        assert _run({"GUNICORN_BIND": f"unix:{tmp_path / 'missing.sock'}"}).returncode == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_it_does_not_import_the_app() -> None:
    """It runs every 30 s: importing the app would cost seconds of CPU each time."""
    probe = (
        "import runpy, sys; sys.argv = ['healthcheck']\n"
        f"try:\n    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('core', 'flask', 'sqlalchemy')))"
    )
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}
    command = [sys.executable, "-c", probe]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
