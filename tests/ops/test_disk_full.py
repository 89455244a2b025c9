"""A full disk is survived (issue 15, point 13), on SQLite under a real gunicorn.

The database lives on a small tmpfs the test mounts. With the disk full, writes (register, a
data PUT, login) answer ``503 unavailable`` with ``Retry-After`` and health says 503; a failed
commit is rolled back, so once the space is freed every worker thread serves again by itself
(before, each thread answered one 503 and then 500 for good). The database stays intact.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.servers import Server, start_gunicorn, write_toml

PASSWORD = "correct horse battery staple"
#: Rounds of writes while the disk is full, and after: more than the worker's four threads.
ROUNDS = 8
#: A stored value big enough to need new pages.
NOTE = {"note": "x" * 2000}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs, unmounted at the end."""
    require(os.geteuid() == 0, "mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    require(mounted.returncode == 0, f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def server(small_disk: Path, tmp_path: Path) -> Iterator[Server]:
    config = write_toml(
        tmp_path / "config.toml",
        {
            "site": {"static_dir": ""},
            "database": {"url": f"sqlite:///{small_disk / 'annex.db'}"},
            "plugins": {"enabled": ["auth", "profile", "content"], "auth": {"bcrypt_rounds": 4}},
        },
    )
    server = start_gunicorn(config, tmp_path, workers=1)
    try:
        yield server
    finally:
        server.stop()


def fill(folder: Path) -> Path:
    """Write a file until the disk is full."""
    filler = folder / "filler"
    with filler.open("wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    return filler


def writes(server: Server, token: str, name: str) -> dict[str, tuple[int, Any, Any]]:
    """One register, one data PUT and one login, by name."""
    bearer = {"Authorization": f"Bearer {token}"}
    account = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return {
        "register": server.request("POST", "/api/auth/register", account),
        "data PUT": server.request("PUT", f"/api/user/data/{name}", {"value": NOTE}, headers=bearer),
        "login": server.request("POST", "/api/auth/login", {"username": "alice", "password": PASSWORD}),
    }


def until(check, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_full_disk_is_503_and_service_resumes_when_space_is_back(small_disk, server):
    account = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    assert server.request("POST", "/api/auth/register", account)[0] == 201
    login = {"username": "alice", "password": PASSWORD}
    token = server.request("POST", "/api/auth/login", login)[1]["access_token"]
    assert server.request("GET", "/api/health")[0] == 200

    filler = fill(small_disk)
    for round_ in range(ROUNDS):
        for name, (status, body, response) in writes(server, token, f"full{round_}").items():
            assert status == 503, (name, status, body)
            assert body["error"]["code"] == "unavailable"
            assert int(response.getheader("Retry-After")) >= 1
        status, body, _ = server.request("GET", "/api/health")
        assert (status, body["status"]) == (503, "unavailable")

    filler.unlink()
    until(lambda: server.request("GET", "/api/health")[0] == 200, "health did not recover")
    until(lambda: writes(server, token, "probe")["login"][0] == 200, "login did not recover")
    for round_ in range(ROUNDS):  # every thread of the worker: none is stuck on its failed commit
        answers = writes(server, token, f"back{round_}")
        assert answers["register"][0] == 201, answers["register"][1]
        assert answers["data PUT"][0] in (200, 201), answers["data PUT"][1]
        assert answers["login"][0] in (200, 429), answers["login"][1]  # 429: the login limit
    assert (
        server.request(
            "GET", f"/api/user/data/back{ROUNDS - 1}", headers={"Authorization": f"Bearer {token}"}
        )[0]
        == 200
    )
    assert "unhandled error" not in server.log.read_text()

    server.stop()
    with contextlib.closing(sqlite3.connect(small_disk / "annex.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = {name for (name,) in conn.execute("SELECT username FROM auth_users")}
    assert not {name for name in names if name.startswith("full")}  # nothing half-written
    assert {"alice", "probe", *(f"back{r}" for r in range(ROUNDS))} <= names
