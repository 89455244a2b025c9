"""Several workers without Redis (issue 8): a real gunicorn with two workers and ``memory://``.

Named limits (logins among them) are counted in the app database (``core.ratelimit_storage``), so
``plugins.auth.limits.login = "4/…"`` allows four attempts in all, not four per worker, and
the count survives a restart. Every request goes over a fresh connection, and gunicorn's access
log (its worker pid on each line) shows that both workers answered.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.servers import Server, migrate, start_gunicorn, write_toml

PASSWORD = "correct horse battery staple"
SECRET = "worker-limits-" + "w" * 40
#: Four attempts per (client IP, username). An hour rather than a minute: the window starts at the
#: first attempt and must outlast the restart below, however slow the machine is today.
LOGIN_LIMIT = "4/hour"
ALLOWED = 4
#: Concurrent refused logins sent until both workers are seen answering.
BURST = 6
#: The worker pid and the request of every access-log line.
ACCESS_LOG = "--access-logfile - --access-logformat 'access %(p)s \"%(r)s\" %(s)s'"
ACCESS_LINE = re.compile(r'^access <(\d+)> "POST /api/auth/login HTTP/1\.1" (\d{3})$', re.MULTILINE)


def _config(tmp_path: Path, database_url: str) -> Path:
    return write_toml(
        tmp_path / "config.toml",
        {
            "site": {"environment": "production", "static_dir": ""},
            "database": {"url": database_url},
            "rate_limits": {"enabled": True, "storage": "memory://", "default": "1000/minute"},
            "plugins": {
                "enabled": ["auth", "profile", "content"],
                "auth": {"bcrypt_rounds": 4, "limits": {"login": LOGIN_LIMIT}},
            },
        },
    )


def _migrate(config: Path) -> None:
    migrate({**os.environ, "ANNEX_CONFIG": str(config), "ANNEX_SECRET_KEY": SECRET})


@contextmanager
def _gunicorn(config: Path, workdir: Path) -> Iterator[Server]:
    """Two gthread workers (tests.servers), with an access log; always stopped."""
    server = start_gunicorn(
        config,
        workdir,
        workers=2,
        # Sync workers answer one request at a time, so concurrent requests must reach both.
        worker_class="sync",
        env={"ANNEX_SECRET_KEY": SECRET, "GUNICORN_CMD_ARGS": ACCESS_LOG},
    )
    try:
        yield server
    finally:
        server.stop()


def _login(server: Server, password: str) -> tuple[int, Any, Any]:
    return server.request(
        "POST",
        "/api/auth/login",
        {"username": "alice", "password": password},
        headers={"Connection": "close"},
    )


def _logged_logins(server: Server, count: int, timeout: float = 30) -> list[tuple[int, int]]:
    """(worker pid, status) of the logins in the access log, once ``count`` are written."""
    deadline = time.monotonic() + timeout
    while True:
        found = [(int(pid), int(status)) for pid, status in ACCESS_LINE.findall(server.log.read_text())]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _assert_limited(response: Any) -> None:
    """A 429 tells when to come back and which limit was reached."""
    retry_after = int(response.getheader("Retry-After"))
    assert 0 < retry_after <= 3600, retry_after
    assert response.getheader("RateLimit-Limit") == str(ALLOWED)
    assert response.getheader("RateLimit-Remaining") == "0"
    assert 0 <= int(response.getheader("RateLimit-Reset")) <= 3600


def test_login_limit_is_exact_across_workers_and_restarts(tmp_path: Path, database_url: str) -> None:
    config = _config(tmp_path, database_url)
    _migrate(config)

    with _gunicorn(config, tmp_path) as server:
        status, body, _ = server.request(
            "POST",
            "/api/auth/register",
            {"username": "alice", "email": "alice@example.com", "password": PASSWORD},
            headers={"Connection": "close"},
        )
        assert status == 201, body

        # Eight wrong passwords: four are checked, the other four refused, whichever worker answers.
        answers = [_login(server, "wrong password") for _ in range(2 * ALLOWED)]
        statuses = [status for status, _, _ in answers]
        assert statuses == [401] * ALLOWED + [429] * ALLOWED, statuses
        for _, body, _ in answers[:ALLOWED]:
            assert body["error"]["code"] == "invalid_credentials"
        # One count for all workers: 3, 2, 1, 0 attempts left.
        remaining = [response.getheader("RateLimit-Remaining") for _, _, response in answers[:ALLOWED]]
        assert remaining == ["3", "2", "1", "0"]
        for _, body, response in answers[ALLOWED:]:
            assert body["error"]["code"] == "rate_limited"
            _assert_limited(response)

        # Both workers answered (or answer now, refusing too): a per-worker count would let the
        # second one check passwords again.
        logged = _logged_logins(server, len(answers))
        # (Threads write their lines in any order.)
        assert sorted(status for _, status in logged) == sorted(statuses), logged
        # Sequential requests may all land on one worker; concurrent ones keep both busy. On a
        # loaded machine one worker can still win many bursts in a row: up to 30 of them.
        extra = 0
        while len({pid for pid, _ in logged}) < 2 and extra < 30 * BURST:
            with ThreadPoolExecutor(max_workers=BURST) as pool:
                burst = list(pool.map(lambda _: _login(server, "wrong password"), range(BURST)))
            for status, body, response in burst:
                assert status == 429, body
                _assert_limited(response)
            extra += BURST
            logged = _logged_logins(server, len(answers) + extra)
        assert len({pid for pid, _ in logged}) == 2, f"one worker answered every request: {logged}"

    # The counters are in the database: after a restart even the right password waits.
    with _gunicorn(config, tmp_path) as server:
        status, body, response = _login(server, PASSWORD)
        assert status == 429, body
        assert body["error"]["code"] == "rate_limited"
        _assert_limited(response)
