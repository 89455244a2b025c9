"""granian's WSGI server against gunicorn's fault tests (issue 21): may it replace gunicorn?

Each test runs Annex under granian (tests/granian_server.py: 2 workers of 4 blocking threads,
failed workers respawned) and asks what tests/load/test_faults.py and tests/deploy/ ask of
gunicorn. Where there is no gunicorn test to mirror (SIGTERM with requests in flight, the body
limit and ``X-Forwarded-*`` on a live server), the test runs against both servers side by side,
so that a difference shows as one server's failure. A difference found is kept strict, marked
``xfail(strict=True)`` with what differs.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.granian_server import (
    granian_installed,
    production_granian,
    start_granian,
    wait_for_granian_workers,
)
from tests.load.harness import (
    SECRET,
    migrate,
    production_config,
    read_state,
    sqlite_integrity,
    wait_for_workers,
)
from tests.load.workload import Workload, api_readback, describe, verify
from tests.servers import Server, start_gunicorn

pytestmark = pytest.mark.load

NOT_INSTALLED = "granian is not installed in this environment (pip install 'granian>=2.8,<3')"


@pytest.fixture(autouse=True)
def _granian(request: pytest.FixtureRequest) -> None:
    if "gunicorn" not in request.node.name:
        require(granian_installed(), NOT_INSTALLED)


STARTERS: dict[str, Callable[..., Server]] = {"gunicorn": start_gunicorn, "granian": start_granian}


@contextlib.contextmanager
def serve(name: str, workdir: Path, workers: int = 2, **sections: Any) -> Iterator[Server]:
    """A migrated SQLite database served by ``name`` with production_config's settings."""
    config = production_config(workdir, f"sqlite:///{workdir / 'annex.db'}", **sections)
    migrate(config)
    server = STARTERS[name](config, workdir, workers=workers, env={"ANNEX_SECRET_KEY": SECRET})
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------
# (1) A worker killed with SIGKILL under write load (test_faults.py's first test)
# ------------------------------------------------------------------------------------------------


def test_a_killed_granian_worker_is_respawned_and_loses_nothing_acknowledged(database_url, tmp_path):
    with production_granian(tmp_path, database_url) as server:
        workers = wait_for_granian_workers(server, 2)
        run = Workload(server.port, clients=64, duration=8.0)
        run.prepare()
        run.start()
        time.sleep(3.0)
        victim = min(workers)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        run.join()
        respawned = wait_for_granian_workers(server, 2)
        after = [server.request("GET", "/api/health")[0] for _ in range(6)]
        master_alive = server.process.poll() is None
        print(f"\n[granian {database_url.split(':')[0]}] killed worker {victim} at +3 s; {run.summary()}")
        state = read_state(database_url)
        seen = api_readback(run, state)

    log = server.log.read_text()
    assert master_alive, log[-3000:]
    assert victim not in respawned and len(respawned - workers) == 1, (workers, respawned)
    assert after == [200] * 6
    assert not run.server_errors(), describe(run.server_errors())
    assert not run.unexpected(), describe(run.unexpected())
    assert not run.locked(), describe(run.locked())
    assert "database is locked" not in log.lower(), log[-3000:]
    assert "Traceback" not in log, log[-3000:]  # an exception escaped the app
    problems = verify(run, state) + seen
    assert not problems, "\n".join(problems[:30])
    assert sqlite_integrity(database_url) in (None, "ok")
    after_kill = [
        c for c in run.calls if c.started > killed_at + 1 and c.status is not None and c.status < 300
    ]
    assert len(after_kill) >= 100, run.summary()
    # Only requests in flight when the worker died may fail, and only as connection errors. The
    # one check granian fails now and then (5 of about 36 runs here, 4 of them on PostgreSQL
    # with the 2-core machine's load at 8-12; gunicorn none in the same runs): one to three
    # requests sent 50 ms or more after the kill are reset. Recorded as an expected failure when
    # it happens, after every other check has passed.
    failed = run.connection_errors()
    late = [call for call in failed if call.started > killed_at + 0.05]
    if late or len(failed) > len(run.clients):
        pytest.xfail(
            f"granian: {len(late)} requests sent after the kill failed, {len(failed)} connection errors "
            f"for {len(run.clients)} clients, sent at "
            f"{', '.join(f'+{call.started - killed_at:.2f} s' for call in late)} after it:\n"
            f"{describe(late or failed)}"
        )


WAIT_FOR_WORKERS = {"gunicorn": wait_for_workers, "granian": wait_for_granian_workers}


@pytest.mark.parametrize(
    "server_name",
    [
        "gunicorn",
        pytest.param(
            "granian",
            marks=pytest.mark.xfail(
                strict=True,
                reason="granian 2.8 stops altogether ('Worker crash loop detected, exiting') when a "
                "worker dies again within 5.5 s of being respawned; gunicorn replaces it every time",
            ),
        ),
    ],
)
def test_a_worker_killed_again_soon_after_its_respawn_is_replaced_again(server_name, tmp_path):
    """A second SIGKILL, to the replacement, 2 s after it started (an OOM killer, a crashing
    request repeated): the server keeps serving and has two workers again."""

    def replaced(server: Server, victim: int) -> set[int]:
        """The two workers once ``victim`` is gone and its replacement is ready."""
        deadline = time.monotonic() + 30
        while server.process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(AssertionError):  # the server itself exited
                workers = WAIT_FOR_WORKERS[server_name](server, 2)
                if victim not in workers:
                    return workers
            time.sleep(0.1)
        return set()

    with serve(server_name, tmp_path) as server:
        first = WAIT_FOR_WORKERS[server_name](server, 2)
        os.kill(min(first), signal.SIGKILL)
        second = replaced(server, min(first))
        assert len(second - first) == 1, server.log.read_text()[-3000:]
        time.sleep(2.0)
        os.kill(min(second - first), signal.SIGKILL)
        third = replaced(server, min(second - first))
        time.sleep(3.0)
        alive = server.process.poll() is None
        after = [server.request("GET", "/api/health")[0] for _ in range(6)] if alive else []
        log = server.log.read_text()

    assert alive, log[-3000:]
    assert len(third - second) == 1 and after == [200] * 6, (
        second,
        third,
        after,
        log[-3000:],
    )


# ------------------------------------------------------------------------------------------------
# (2) SIGTERM to the server with requests in flight
# ------------------------------------------------------------------------------------------------


def _exchange(port: int, head: bytes, rest: bytes, sent: threading.Event, go: threading.Event) -> Any:
    """Send ``head``, signal ``sent``, wait for ``go``, send ``rest``; the answer's (status, body),
    or the exception that ended the exchange."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        try:
            sock.sendall(head)
            sent.set()
            go.wait(20)
            sock.sendall(rest)
            answer = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
            answer.begin()
            return answer.status, answer.read()
        finally:
            sock.close()
    except (OSError, http.client.HTTPException) as exc:
        sent.set()
        return exc


def _login_request(username: str) -> tuple[bytes, bytes]:
    body = json.dumps({"username": username, "password": "x" * 12}).encode()
    head = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body[:5], body[5:]


@pytest.mark.parametrize("server_name", ["gunicorn", "granian"])
def test_sigterm_lets_requests_in_flight_finish(server_name, tmp_path):
    """Four requests whose bodies are still arriving, and two logins being hashed (bcrypt 11,
    an eighth of a second each on an idle core), when the server gets SIGTERM: every one is
    answered, and the server exits.

    Not asserted on: in about half the runs under granian 2.8 one worker outlives its last
    answer until ``--workers-kill-timeout`` and is SIGKILLed ("Killing worker-N after it refused
    to gracefully stop"; the exit is then 5.1 s after SIGTERM, not 1-2 s), and once the same
    line came 1.6 s after SIGTERM, for a worker that had exited. No answer was lost either way."""
    with serve(server_name, tmp_path, plugins={"auth": {"bcrypt_rounds": 11}}) as server:
        results: dict[str, Any] = {}
        go = threading.Event()
        threads = []

        def start(key: str, head: bytes, rest: bytes, hold: bool) -> threading.Event:
            sent = threading.Event()
            ready = go if hold else threading.Event()
            if not hold:
                ready.set()
            thread = threading.Thread(
                target=lambda: results.__setitem__(key, _exchange(server.port, head, rest, sent, ready))
            )
            thread.start()
            threads.append(thread)
            return sent

        sent = [start(f"body-{i}", *_login_request(f"body{i}"), hold=True) for i in range(4)]
        sent += [start(f"bcrypt-{i}", *_login_request(f"slow{i}"), hold=False) for i in range(2)]
        for event in sent:
            event.wait(20)
        time.sleep(0.1)  # accepted, and the complete logins are hashing
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        go.set()  # the held bodies arrive after the signal
        for thread in threads:
            thread.join(30)
        code = server.process.wait(timeout=30)
        took = time.monotonic() - signalled
        log = server.log.read_text()

    answers = {key: (value if isinstance(value, Exception) else value[0]) for key, value in results.items()}
    killed = log.count("refused to gracefully stop")
    print(f"\n[{server_name}] exit {code} {took:.1f} s after SIGTERM, {killed} killed; answers: {answers}")
    assert all(value == 401 for value in answers.values()) and len(answers) == 6, (answers, log[-3000:])
    assert code == 0 and took < 15, (code, took, log[-3000:])


# ------------------------------------------------------------------------------------------------
# (4) The request-body limit, on the server itself (behind nginx, nginx refuses first)
# ------------------------------------------------------------------------------------------------


def _raw(port: int, data: bytes) -> tuple[int, dict[str, str], Any]:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(data)
        answer = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
        answer.begin()
        body = answer.read()
        headers = {k.lower(): v for k, v in answer.getheaders()}
    parsed = json.loads(body) if headers.get("content-type", "").startswith("application/json") else body
    return answer.status, headers, parsed


def _post(path: str, body: bytes, *, chunked: bool = False, announced: int | None = None) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
    )
    if chunked:
        chunks = b"".join(
            f"{len(body[i : i + 1000]):x}\r\n".encode() + body[i : i + 1000] + b"\r\n"
            for i in range(0, len(body), 1000)
        )
        return (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    length = len(body) if announced is None else announced
    return (head + f"Content-Length: {length}\r\n\r\n").encode() + body


def _register_body(size: int) -> bytes:
    """A registration exactly ``size`` bytes long (a long username: refused with 422 if it gets in)."""
    skeleton = json.dumps({"username": "", "email": "a@example.com", "password": "x" * 12})
    return skeleton.replace('"username": ""', '"username": "' + "u" * (size - len(skeleton)) + '"').encode()


def _body_limit_answers(server: Server) -> dict[str, tuple[int, str | None]]:
    limit = 65536
    cases = {
        "over, Content-Length": _post("/api/auth/register", _register_body(limit + 1)),
        "at, Content-Length": _post("/api/auth/register", _register_body(limit)),
        "announced 10 MB, 2 bytes sent": _post("/api/auth/register", b"{}", announced=10_000_000),
        "over, chunked": _post("/api/auth/register", _register_body(limit + 1), chunked=True),
        "at, chunked": _post("/api/auth/register", _register_body(limit), chunked=True),
    }
    answers = {}
    for name, data in cases.items():
        status, _, body = _raw(server.port, data)
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        answers[name] = (status, code)
    return answers


#: gunicorn's answers (the app's own 413 before the body is read, or 422 validation_error when
#: the body fits and is read).
BODY_LIMIT = {
    "over, Content-Length": (413, "payload_too_large"),
    "at, Content-Length": (422, "validation_error"),
    "announced 10 MB, 2 bytes sent": (413, "payload_too_large"),
    "over, chunked": (413, "payload_too_large"),
    "at, chunked": (422, "validation_error"),
}


@pytest.mark.parametrize("server_name", ["gunicorn", "granian"])
def test_bodies_over_max_body_bytes_get_the_apps_413(server_name, tmp_path):
    with serve(server_name, tmp_path, workers=1) as server:
        answers = _body_limit_answers(server)
    print(f"\n[{server_name}] {answers}")
    assert answers == BODY_LIMIT


# ------------------------------------------------------------------------------------------------
# (5) X-Forwarded-For / -Proto: Annex's security.trusted_proxies alone decides
# ------------------------------------------------------------------------------------------------

CLAIMS = [{"X-Forwarded-Proto": "https"}, {"X-Forwarded-Ssl": "on"}, {"X-Forwarded-Protocol": "ssl"}]


def _forwarding(server: Server) -> dict[str, Any]:
    """What the app made of forwarding headers from a loopback peer: HSTS per claim (sent when
    the request's scheme is https; links are built from ``site.url``, not from the request), and
    whose rate-limit counter a request uses."""
    hsts = {
        next(iter(claim)): server.request("GET", "/api/health", headers=claim)[2].getheader(
            "Strict-Transport-Security"
        )
        is not None
        for claim in CLAIMS
    }

    def remaining(spoof: str) -> int:
        response = server.request("GET", "/api/health", headers={"X-Forwarded-For": spoof})[2]
        return int(response.getheader("RateLimit-Remaining") or -1)

    first = remaining("198.51.100.1")
    counters = [first - remaining("198.51.100.1"), first - remaining("198.51.100.2")]
    return {"hsts": hsts, "counted": counters}


@pytest.mark.parametrize("server_name", ["gunicorn", "granian"])
@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_headers_are_believed_only_from_trusted_proxies(server_name, hops, tmp_path):
    sections = {
        "security": {"trusted_proxies": hops, "force_https": False},
        "rate_limits": {"enabled": True, "storage": "memory://"},
    }
    with serve(server_name, tmp_path, workers=1, **sections) as server:
        seen = _forwarding(server)
    print(f"\n[{server_name}, trusted_proxies={hops}] {seen}")
    https = hops == 1
    assert seen["hsts"] == {
        "X-Forwarded-Proto": https,
        "X-Forwarded-Ssl": False,
        "X-Forwarded-Protocol": False,
    }
    # Trusted: each forwarded address has its own counter (the second one is fresh); not: one counter.
    assert seen["counted"] == ([1, 0] if https else [1, 2]), seen
