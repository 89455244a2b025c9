"""Several instances over the real PostgreSQL and Redis: one site, whichever instance answers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import PG_URL, require
from tests.servers import ROOT, start_gunicorn, write_toml

FLASK = Path(sys.executable).parent / "flask"

PASSWORD = "correct horse battery staple"
pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def redis_available() -> bool:
    try:
        return redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def two_instances(tmp_path, new_pg_database):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: several instances need PostgreSQL")
    require(redis_available(), "no Redis on 127.0.0.1:6379: several instances share rate limits through it")
    prefix = f"annex_test_{uuid.uuid4().hex[:8]}"
    config = write_toml(
        tmp_path / "config.toml",
        {
            "site": {"environment": "production", "static_dir": ""},
            "database": {"url": new_pg_database()},
            "rate_limits": {
                "storage": "redis://127.0.0.1:6379",
                "key_prefix": prefix,
                "default": "1000/minute",
            },
            "plugins": {
                "enabled": ["auth", "profile", "content"],
                "auth": {"bcrypt_rounds": 4, "limits": {"login": "4/minute"}},
            },
        },
    )
    env = {"ANNEX_SECRET_KEY": "i" * 48}
    # Both instances migrate at once, as replicas starting together would.
    migrate_env = {**os.environ, **env, "ANNEX_CONFIG": str(config)}
    migrations = [
        subprocess.Popen([str(FLASK), "--app", "core", "migrate"], env=migrate_env, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [process.communicate(timeout=60) for process in migrations]
    assert all(process.returncode == 0 for process in migrations), outputs
    status = subprocess.run(
        [str(FLASK), "--app", "core", "migrate", "--status"],
        env=migrate_env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip
    servers = []
    try:
        servers = [start_gunicorn(config, tmp_path, env=env) for _ in range(2)]
        yield servers, (*outputs, status)
    finally:
        for server in servers:
            server.stop()
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_two_instances_serve_one_site(two_instances):
    (a, b), (*outputs, status) = two_instances
    applied = [int(out.strip().splitlines()[-1].split()[0]) for out, _ in outputs]
    # Each migration of the core and the three plugins by exactly one process: every one the
    # status lists as applied, none twice.
    assert status and all(line.startswith("applied ") for line in status), status
    assert sum(applied) == len(status)

    status, body, _ = a.request(
        "POST",
        "/api/auth/register",
        {"username": "roamer", "email": "roamer@example.com", "password": PASSWORD},
    )
    assert status == 201
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert b.request("GET", "/api/user/profile", headers=bearer)[1]["username"] == "roamer"

    status, _, _ = b.request("POST", "/api/auth/logout", headers=bearer)
    assert status == 204
    status, body, _ = a.request("GET", "/api/user/profile", headers=bearer)
    assert (status, body["error"]["code"]) == (401, "token_revoked")


def test_refresh_reuse_is_detected_across_instances(two_instances):
    (a, b), _ = two_instances
    _, body, _ = a.request(
        "POST", "/api/auth/register", {"username": "tabs", "email": "tabs@example.com", "password": PASSWORD}
    )
    first = body["refresh_token"]
    status, rotated, _ = b.request("POST", "/api/auth/refresh", {"refresh_token": first})
    assert status == 200
    status, again, _ = a.request("POST", "/api/auth/refresh", {"refresh_token": rotated["refresh_token"]})
    assert status == 200
    # `first` is now two generations old: reuse, wherever it is presented.
    status, body, _ = a.request("POST", "/api/auth/refresh", {"refresh_token": first})
    assert (status, body["error"]["code"]) == (401, "token_revoked")
    status, body, _ = b.request("POST", "/api/auth/refresh", {"refresh_token": again["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "token_revoked")


def test_the_login_limit_counts_requests_to_both_instances_together(two_instances):
    (a, b), _ = two_instances
    a.request(
        "POST",
        "/api/auth/register",
        {"username": "limited", "email": "limited@example.com", "password": PASSWORD},
    )
    statuses = []
    lock = threading.Lock()

    def attempt(server):
        status, _, _ = server.request(
            "POST", "/api/auth/login", {"username": "limited", "password": "wrong password!"}
        )
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=(server,)) for server in (a, b) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 4 + [429] * 2
