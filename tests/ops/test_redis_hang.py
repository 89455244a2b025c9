"""A hung Redis does not hang the API (issue 15, point 16).

A Redis that stops answering (SIGSTOP: it still accepts connections, it never replies) used to
freeze every /api request. This test runs its own redis-server on a free port (never the shared
one), stops it under a real gunicorn, and checks that requests answer as
``rate_limits.on_storage_error = "default"`` says (the general limit lets health through, the
fail-closed login limit answers 503), that the log holds one warning for the outage and no
traceback, and that service resumes by itself once Redis answers again.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.servers import Server, free_port, start_gunicorn, write_toml

PASSWORD = "correct horse battery staple"
#: Longer than any answer may take: before the fix a request waited for Redis forever.
BOUND = 5
#: Requests sent while Redis is stopped.
ROUNDS = 8


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """A redis-server of this test alone; continued and stopped whatever happens."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    require(os.path.exists(binary), "redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--logfile", str(tmp_path / "redis.log")],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while (
            subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        yield process, port
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(redis_server, tmp_path: Path) -> Iterator[Server]:
    _, port = redis_server
    config = write_toml(
        tmp_path / "config.toml",
        {
            "site": {"static_dir": ""},
            "database": {"url": f"sqlite:///{tmp_path / 'annex.db'}"},
            "rate_limits": {"storage": f"redis://127.0.0.1:{port}", "on_storage_error": "default"},
            "plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 4}},
        },
    )
    # Gunicorn's own logging set-up, which also lets the app's INFO lines into the log.
    logconfig = tmp_path / "logging.json"
    logconfig.write_text(json.dumps({"version": 1, "disable_existing_loggers": False}))
    server = start_gunicorn(
        config, tmp_path, workers=1, env={"GUNICORN_CMD_ARGS": f"--log-config-json {logconfig}"}
    )
    try:
        yield server
    finally:
        server.stop()


def call(server: Server, method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
    """One request on a fresh connection that gives up after ``BOUND`` seconds."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=BOUND)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None, response
    finally:
        conn.close()


def login(server: Server) -> tuple[int, Any, Any]:
    return call(server, "POST", "/api/auth/login", {"username": "alice", "password": PASSWORD})


def outage_lines(server: Server) -> list[str]:
    return [line for line in server.log.read_text().splitlines() if "rate limit storage" in line]


def test_a_stopped_redis_costs_a_bounded_wait_and_one_warning(redis_server, server):
    process, _ = redis_server
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert call(server, "POST", "/api/auth/register", body)[0] == 201
    assert login(server)[0] == 200

    os.kill(process.pid, signal.SIGSTOP)
    try:
        for _ in range(ROUNDS):
            assert call(server, "GET", "/api/health")[0] == 200  # the general limit fails open
            status, data, response = login(server)  # the login limits fail closed
            assert status == 503, data
            assert data["error"]["code"] == "unavailable"
            assert int(response.getheader("Retry-After")) >= 1
    finally:
        os.kill(process.pid, signal.SIGCONT)

    deadline = time.monotonic() + 20
    while login(server)[0] != 200:
        assert time.monotonic() < deadline, "service did not resume after Redis answered again"
        time.sleep(0.2)
    lines = outage_lines(server)
    warnings = [line for line in lines if "[WARNING]" in line]
    assert len(warnings) == 1, lines
    assert "failed" in warnings[0] and "on_storage_error = default" in warnings[0]
    assert [line for line in lines if "[INFO]" in line and "answers again" in line], lines
    assert "Traceback" not in server.log.read_text()
