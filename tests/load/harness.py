"""Servers and services for the load and fault tests: a migrated production gunicorn, its worker
processes, direct reads of its database, and the local PostgreSQL and Redis that some tests stop.

Everything here talks to 127.0.0.1 only. Whatever a test stops is started again by the helper
that stopped it, in a ``finally``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from core.db import normalize_url
from tests import servers
from tests.servers import Server, start_gunicorn, write_toml

SECRET = "load-test-secret-" + "s" * 40
PASSWORD = "correct horse battery staple"
#: The exact command CI uses to (re)start Redis.
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def production_config(workdir: Path, database_url: str, **sections: Any) -> Path:
    """A production config.toml: three plugins, fast bcrypt, no static site, extra sections merged."""
    config: dict[str, Any] = {
        "site": {"environment": "production", "static_dir": ""},
        "database": {"url": database_url},
        "rate_limits": {"enabled": False},
        "plugins": {"enabled": ["auth", "profile", "content"], "auth": {"bcrypt_rounds": 4}},
    }
    for name, values in sections.items():
        config[name] = {**config.get(name, {}), **values}
    return write_toml(workdir / "config.toml", config)


def migrate(config: Path) -> None:
    """``flask --app core migrate``, as an operator runs it before a production start."""
    servers.migrate({**os.environ, "ANNEX_CONFIG": str(config), "ANNEX_SECRET_KEY": SECRET})


@contextlib.contextmanager
def production_server(workdir: Path, database_url: str, **sections: Any) -> Iterator[Server]:
    """A migrated database served by gunicorn (2 gthread workers, 4 threads each); always stopped."""
    config = production_config(workdir, database_url, **sections)
    migrate(config)
    server = start_gunicorn(config, workdir, workers=2, env={"ANNEX_SECRET_KEY": SECRET})
    try:
        yield server
    finally:
        server.stop()


def children(pid: int) -> set[int]:
    """Child processes of ``pid`` (gunicorn's master: its workers)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def wait_for_workers(server: Server, count: int, timeout: float = 30) -> set[int]:
    """The worker pids once ``count`` of them are up and each has loaded the app (its "Worker
    ready" line is in the log): a worker still booting has not served yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = children(server.process.pid)
        log = server.log.read_text()
        if len(workers) == count and all(f"Worker ready (pid: {pid})" in log for pid in workers):
            return workers
        time.sleep(0.1)
    raise AssertionError(
        f"gunicorn has {children(server.process.pid)} workers, expected {count} ready:\n"
        + server.log.read_text()[-3000:]
    )


def engine(database_url: str) -> Engine:
    return create_engine(normalize_url(database_url))


def read_state(database_url: str) -> dict[str, Any]:
    """What the database holds, read directly (not through the app)."""
    db = engine(database_url)
    try:
        with db.connect() as conn:
            users = {
                row.username: row.id for row in conn.execute(text("SELECT id, username FROM auth_users"))
            }
            items = {
                (row.user_id, row.key): (row.etag, row.value)
                for row in conn.execute(text("SELECT user_id, key, etag, value FROM content_items"))
            }
            sessions = {
                row.id: (row.user_id, row.generation, row.revoked_at)
                for row in conn.execute(text("SELECT id, user_id, generation, revoked_at FROM auth_sessions"))
            }
            profiles = {
                row.user_id: {"display_name": row.display_name, "bio": row.bio, "avatar_url": row.avatar_url}
                for row in conn.execute(
                    text("SELECT user_id, display_name, bio, avatar_url FROM profile_profiles")
                )
            }
    finally:
        db.dispose()
    return {"users": users, "items": items, "sessions": sessions, "profiles": profiles}


def sqlite_integrity(database_url: str) -> str | None:
    """``PRAGMA integrity_check`` of a SQLite database (None for another database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    import sqlite3

    conn = sqlite3.connect(url.database)
    try:
        return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------
# PostgreSQL
# ------------------------------------------------------------------------------------------------


def pg_host_port(database_url: str) -> tuple[str, int]:
    url = make_url(database_url)
    return url.host or "127.0.0.1", url.port or 5432


def pg_cluster() -> tuple[str, str] | None:
    """(version, name) of the local Debian cluster, when pg_ctlcluster can drive it."""
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        return None
    versions = sorted(path.name for path in Path("/etc/postgresql").iterdir() if (path / "main").is_dir())
    return (versions[-1], "main") if versions else None


def pg_ready(host: str, port: int) -> bool:
    result = subprocess.run(
        ["pg_isready", "-h", host, "-p", str(port), "-q"], capture_output=True, timeout=10, check=False
    )
    return result.returncode == 0


def pg_ctl(action: str) -> subprocess.CompletedProcess[str]:
    cluster = pg_cluster()
    assert cluster is not None
    return subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def pg_start_and_wait(host: str, port: int, timeout: float = 60) -> None:
    """Start the cluster unless it answers, then wait until it accepts connections."""
    deadline = time.monotonic() + timeout
    if not pg_ready(host, port):
        pg_ctl("start")
    while not pg_ready(host, port):
        if time.monotonic() > deadline:
            raise AssertionError(f"PostgreSQL on {host}:{port} did not come back within {timeout} s")
        time.sleep(0.2)


# ------------------------------------------------------------------------------------------------
# Redis
# ------------------------------------------------------------------------------------------------


def redis_up() -> bool:
    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_stop() -> None:
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while redis_up():
        if time.monotonic() > deadline:
            raise AssertionError("Redis still answers after shutdown")
        time.sleep(0.1)


def redis_start_and_wait(timeout: float = 30) -> None:
    """Start Redis exactly as CI does (unless it answers), then wait for PING."""
    if not redis_up():
        subprocess.run(REDIS_START, capture_output=True, timeout=30, check=False)
    deadline = time.monotonic() + timeout
    while not redis_up():
        if time.monotonic() > deadline:
            raise AssertionError("Redis did not answer PING after restart")
        time.sleep(0.1)
