"""Faults under load: a worker killed with SIGKILL, PostgreSQL restarted, Redis stopped.

Each test starts a real gunicorn on 127.0.0.1 and, for a bounded time, drives it with concurrent
clients (tests/load/workload.py). A service a test stops is started again in a ``finally``, and
the test waits until it answers, whether the test passed or not.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest
import redis

from core.gunicorn_config import OUTAGE_RETRY_SECONDS
from tests.conftest import PG_URL, require
from tests.load.harness import (
    PASSWORD,
    children,
    migrate,
    pg_cluster,
    pg_ctl,
    pg_host_port,
    pg_ready,
    pg_start_and_wait,
    production_config,
    production_server,
    read_state,
    redis_start_and_wait,
    redis_stop,
    redis_up,
    sqlite_integrity,
    wait_for_workers,
)
from tests.load.workload import Workload, api_readback, describe, verify
from tests.servers import start_gunicorn

pytestmark = pytest.mark.load


def test_a_killed_worker_is_respawned_and_loses_nothing_acknowledged(database_url, tmp_path):
    with production_server(tmp_path, database_url) as server:
        workers = wait_for_workers(server, 2)
        run = Workload(server.port, clients=64, duration=8.0)
        run.prepare()
        run.start()
        time.sleep(3.0)
        victim = min(workers)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        run.join()
        respawned = wait_for_workers(server, 2)
        after = [server.request("GET", "/api/health")[0] for _ in range(6)]
        print(f"\n[{database_url.split(':')[0]}] killed worker {victim} at +3 s; {run.summary()}")
        state = read_state(database_url)
        seen = api_readback(run, state)

    assert victim not in respawned and len(respawned - workers) == 1, (workers, respawned)
    assert after == [200] * 6
    # Only requests in flight when the worker died may fail, and only as connection errors.
    assert not run.server_errors(), describe(run.server_errors())
    failed = run.connection_errors()
    late = [call for call in failed if call.started > killed_at + 0.05]
    assert not late, "requests sent after the kill failed:\n" + describe(late)
    assert len(failed) <= len(run.clients), describe(failed)
    assert not run.unexpected(), describe(run.unexpected())
    assert not run.locked(), describe(run.locked())
    log = server.log.read_text()
    assert "database is locked" not in log.lower(), log[-3000:]
    assert "Error handling request" not in log, log[-3000:]  # an exception escaped the app
    problems = verify(run, state) + seen
    assert not problems, "\n".join(problems[:30])
    assert sqlite_integrity(database_url) in (None, "ok")
    after_kill = [
        c for c in run.calls if c.started > killed_at + 1 and c.status is not None and c.status < 300
    ]
    assert len(after_kill) >= 100, run.summary()


@pytest.mark.postgres
def test_postgresql_restart_under_load_is_503_then_recovers(tmp_path, new_pg_database):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: this test restarts PostgreSQL")
    require(pg_cluster() is not None, "pg_ctlcluster is not available to restart PostgreSQL")
    host, port = pg_host_port(PG_URL)
    require(host in ("127.0.0.1", "localhost", "::1"), f"PostgreSQL at {host} is not local")
    require(pg_ready(host, port), f"PostgreSQL on {host}:{port} does not accept connections")
    database_url = new_pg_database()
    with production_server(tmp_path, database_url) as server:
        # Long enough that clients still run 2 s after a slow restart (7 s seen on a busy machine).
        run = Workload(server.port, clients=32, duration=20.0)
        run.prepare()
        run.start()
        try:
            time.sleep(3.0)
            stopped_at = time.monotonic()
            stop = pg_ctl("stop")
            assert stop.returncode == 0, stop.stdout + stop.stderr
            time.sleep(2.0)
            health_down = server.request("GET", "/api/health")
        finally:
            pg_start_and_wait(host, port)
        back_at = time.monotonic()
        run.join()
        health_after = server.request("GET", "/api/health")
        print(f"\n[postgresql restart {back_at - stopped_at:.1f} s] {run.summary()}")
        state = read_state(database_url)

    problems = []
    log = server.log.read_text()
    if "Error handling request" in log:
        start = log.index("Error handling request")
        problems.append(f"an exception escaped the app (gunicorn answered it):\n{log[start : start + 4000]}")
    errors = run.server_errors()
    not_503 = [call for call in errors if call.status != 503 or call.code != "unavailable"]
    if not_503:
        problems.append(
            f"{len(not_503)} of {len(errors)} error responses during the outage were not "
            f"503 unavailable:\n{describe(not_503)}"
        )
    outside = [call for call in errors if not stopped_at - 0.5 <= call.started <= back_at + 2]
    if outside:
        problems.append(f"errors outside the outage window (no recovery?):\n{describe(outside)}")
    if run.connection_errors():
        problems.append(f"connection errors (workers died?):\n{describe(run.connection_errors())}")
    if run.unexpected():
        problems.append(f"unexpected answers:\n{describe(run.unexpected())}")
    if health_down[0] != 503:
        problems.append(f"/api/health answered {health_down[0]} while PostgreSQL was down")
    if health_after[0] != 200:
        problems.append(f"/api/health answered {health_after[0]} after PostgreSQL came back")
    recovered = [c for c in run.calls if c.started > back_at + 2 and c.status is not None and c.status < 300]
    if len(recovered) < 50:
        problems.append(f"only {len(recovered)} successful requests after PostgreSQL came back")
    problems += verify(run, state)
    assert not problems, "\n\n".join(problems[:20])


@pytest.mark.postgres
def test_a_worker_replaced_while_postgresql_is_down_does_not_stop_the_server(tmp_path, new_pg_database):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: this test stops PostgreSQL")
    require(pg_cluster() is not None, "pg_ctlcluster is not available to stop PostgreSQL")
    host, port = pg_host_port(PG_URL)
    require(host in ("127.0.0.1", "localhost", "::1"), f"PostgreSQL at {host} is not local")
    database_url = new_pg_database()
    with production_server(tmp_path, database_url) as server:
        workers = wait_for_workers(server, 2)
        try:
            stop = pg_ctl("stop")
            assert stop.returncode == 0, stop.stdout + stop.stderr
            os.kill(min(workers), signal.SIGKILL)
            time.sleep(5.0)  # the replacement cannot load the app: it exits and is replaced again
            master_alive = server.process.poll() is None
            during = [server.request("GET", "/api/health")[0] for _ in range(4)]
        finally:
            pg_start_and_wait(host, port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(children(server.process.pid)) < 2:
            time.sleep(0.2)
        time.sleep(OUTAGE_RETRY_SECONDS + 1)
        workers_after = wait_for_workers(server, 2)
        after = [server.request("GET", "/api/health")[0] for _ in range(6)]
        log = server.log.read_text()

    assert master_alive, log[-3000:]
    assert set(during) == {503}, (during, log[-3000:])  # the surviving worker says why
    assert "Database unreachable; worker exits and is replaced" in log
    assert "Annex did not start" not in log
    assert len(workers_after - workers) >= 1 and after == [200] * 6, log[-3000:]


# ------------------------------------------------------------------------------------------------
# Redis outage while it holds the rate limits
# ------------------------------------------------------------------------------------------------

#: What each on_storage_error policy must answer while Redis is down: (health, register, login).
POLICIES = {"default": (200, 201, 503), "allow": (200, 201, 200), "deny": (503, 503, 503)}


def _register(server, name):
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return server.request("POST", "/api/auth/register", body)


def _login(server, name):
    return server.request("POST", "/api/auth/login", {"username": name, "password": PASSWORD})


@pytest.mark.redis
def test_redis_outage_follows_on_storage_error_and_recovers(tmp_path):
    require(redis_up(), "no Redis on 127.0.0.1:6379: this test stops and restarts it")
    prefix = f"annex_load_{uuid.uuid4().hex[:8]}"
    database_url = f"sqlite:///{tmp_path / 'annex.db'}"
    servers = {}
    try:
        for policy in POLICIES:
            workdir = tmp_path / policy
            workdir.mkdir()
            config = production_config(
                workdir,
                database_url,
                rate_limits={
                    "enabled": True,
                    "storage": "redis://127.0.0.1:6379",
                    "key_prefix": f"{prefix}_{policy}",
                    "on_storage_error": policy,
                },
            )
            if not servers:
                migrate(config)
            servers[policy] = start_gunicorn(config, workdir, env={"ANNEX_SECRET_KEY": "r" * 40})
        for policy, server in servers.items():
            assert _register(server, f"before_{policy}")[0] == 201
            status, _, response = _login(server, f"before_{policy}")
            assert status == 200
            assert response.getheader("RateLimit-Limit"), "the login limit is not counted"

        observed, recovered = {}, {}
        try:
            redis_stop()
            for policy, server in servers.items():
                health = server.request("GET", "/api/health")
                register = _register(server, f"during_{policy}")
                login = _login(server, f"before_{policy}")
                observed[policy] = (health, register, login)
        finally:
            redis_start_and_wait()
        for policy, server in servers.items():
            recovered[policy] = (
                server.request("GET", "/api/health")[0],
                _login(server, f"before_{policy}")[0],
            )
    finally:
        for server in servers.values():
            server.stop()
        if redis_up():
            client = redis.Redis(host="127.0.0.1", port=6379)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)

    print("\nwhile Redis was down (health, register, login):")
    for policy, answers in observed.items():
        print(
            f"  {policy:8} "
            + ", ".join(f"{a[0]} {(a[1] or {}).get('error', {}).get('code', '')}" for a in answers)
        )
    print(f"after Redis came back (health, login): {recovered}")
    for policy, expected in POLICIES.items():
        answers = observed[policy]
        assert tuple(answer[0] for answer in answers) == expected, (
            policy,
            [(answer[0], answer[1]) for answer in answers],
        )
        for status, body, response in answers:
            if status == 503 and body.get("error"):
                assert body["error"]["code"] == "unavailable", (policy, body)
                assert response.getheader("Retry-After"), policy
            elif status == 503:  # the health check's own answer is not an error body
                pytest.fail(f"{policy}: 503 without the error body: {body}")
    assert recovered == {policy: (200, 200) for policy in POLICIES}, recovered
