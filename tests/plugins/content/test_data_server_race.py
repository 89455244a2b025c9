"""The If-Match race through a real server: gunicorn, 2 worker processes with 4 threads each.

Several processes share only the database, so this proves the compare-and-swap lives there and
not in a per-process lock. Requests go to 127.0.0.1 only; the server always stops.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.plugins.content.conftest import PASSWORD, run_parallel

GUNICORN = Path(sys.executable).parent / "gunicorn"
THREADS = 8
ROUNDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


class Server:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """One request on a fresh connection (so requests spread over both workers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            all_headers = dict(headers or {})
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                all_headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            payload = (
                json.loads(raw)
                if raw and response.getheader("Content-Type", "").startswith("application/json")
                else None
            )
            return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
        finally:
            conn.close()


@pytest.fixture
def server(make_content_app, database_url: str, root: Path, tmp_path: Path) -> Iterator[Server]:
    require(GUNICORN.exists(), f"gunicorn is not installed at {GUNICORN}")
    make_content_app()  # migrate the database first, as `flask migrate` would before a deploy
    port = free_port()
    config = tmp_path / "server.toml"
    config.write_text(
        "\n".join(
            [
                "[site]",
                'static_dir = ""',
                "[security]",
                f"secret_key = {toml_string('gunicorn-test-secret-' + 'k' * 40)}",
                "[database]",
                f"url = {toml_string(database_url)}",
                "[rate_limits]",
                "enabled = false",
                "[plugins]",
                'enabled = ["auth", "profile", "content"]',
                "[plugins.auth]",
                "bcrypt_rounds = 4",
                "[plugins.content]",
                f"root = {toml_string(str(root))}",
                "",
            ]
        )
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANNEX")}
    env["ANNEX_CONFIG"] = str(config)
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "core:create_app()",
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        server = Server(port)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {(tmp_path / 'gunicorn.log').read_text()[-3000:]}")
            try:
                if server.request("GET", "/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer: {(tmp_path / 'gunicorn.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def register(server: Server, username: str) -> dict[str, str]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    status, _, payload = server.request("POST", "/api/auth/register", body)
    assert status == 201, payload
    return {"Authorization": f"Bearer {payload['access_token']}"}


def test_if_match_race_through_gunicorn_has_exactly_one_winner(server: Server):
    auth = register(server, "alice")
    status, headers, _ = server.request("PUT", "/api/user/data/doc", {"value": {"round": -1}}, auth)
    assert status == 201
    etag = headers["etag"]
    for round_ in range(ROUNDS):

        def write(i: int, etag: str = etag, round_: int = round_) -> Any:
            body = {"value": {"round": round_, "writer": i}}
            return server.request("PUT", "/api/user/data/doc", body, {**auth, "If-Match": etag})

        results = run_parallel(THREADS, write)
        assert not [r for r in results if isinstance(r, Exception)], results
        codes = [status for status, _, _ in results]
        assert sorted(codes) == [200] + [412] * (THREADS - 1), (round_, codes)
        winner = codes.index(200)
        status, headers, payload = server.request("GET", "/api/user/data/doc", headers=auth)
        assert payload["value"] == {"round": round_, "writer": winner}
        assert headers["etag"] == results[winner][1]["etag"]
        etag = headers["etag"]


def test_counter_through_gunicorn_loses_no_increment(server: Server):
    auth = register(server, "bob")
    server.request("PUT", "/api/user/data/counter", {"value": 0}, auth)
    increments = 5

    def worker(_: int) -> int:
        done = 0
        while done < increments:
            status, headers, payload = server.request("GET", "/api/user/data/counter", headers=auth)
            assert status == 200
            status, _, _ = server.request(
                "PUT",
                "/api/user/data/counter",
                {"value": payload["value"] + 1},
                {**auth, "If-Match": headers["etag"]},
            )
            assert status in (200, 412), status
            done += status == 200
        return done

    results = run_parallel(THREADS, worker, timeout=300)
    assert results == [increments] * THREADS, results
    assert server.request("GET", "/api/user/data/counter", headers=auth)[2]["value"] == THREADS * increments


def test_if_none_match_race_through_gunicorn_creates_once(server: Server):
    auth = register(server, "carol")
    for round_ in range(ROUNDS):

        def create(i: int, round_: int = round_) -> Any:
            path = f"/api/user/data/new-{round_}"
            return server.request("PUT", path, {"value": i}, {**auth, "If-None-Match": "*"})

        codes = [status for status, _, _ in run_parallel(THREADS, create)]
        assert sorted(codes) == [201] + [412] * (THREADS - 1), (round_, codes)
