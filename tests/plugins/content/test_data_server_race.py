"""The If-Match race through a real server: gunicorn, 2 worker processes with 4 threads each.

Several processes share only the database, so this proves the compare-and-swap lives there and
not in a per-process lock. Requests go to 127.0.0.1 only; the server always stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.content.conftest import PASSWORD, run_parallel
from tests.servers import start_gunicorn, write_toml

THREADS = 8
ROUNDS = 20


class Server:
    """Speaks JSON to a running gunicorn; answers are ``(status, lower-cased headers, body)``.
    Each request has its own connection, so requests spread over both workers."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        status, payload, response = self.server.request(method, path, body, headers)
        return status, {k.lower(): v for k, v in response.getheaders()}, payload


@pytest.fixture
def server(make_content_app, database_url: str, root: Path, tmp_path: Path) -> Iterator[Server]:
    make_content_app()  # migrate the database first, as `flask migrate` would before a deploy
    config = write_toml(
        tmp_path / "server.toml",
        {
            "site": {"static_dir": ""},
            "security": {"secret_key": "gunicorn-test-secret-" + "k" * 40},
            "database": {"url": database_url},
            "rate_limits": {"enabled": False},
            "plugins": {
                "enabled": ["auth", "profile", "content"],
                "auth": {"bcrypt_rounds": 4},
                "content": {"root": str(root)},
            },
        },
    )
    running = start_gunicorn(config, tmp_path)
    try:
        yield Server(running)
    finally:
        running.stop()


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
