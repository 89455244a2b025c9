"""Deleting an account while the same user writes and logs in (issue 15, point 14), through a
real gunicorn (2 workers x 4 threads) on each database.

Each round, one user's threads PUT data, PATCH the profile, log in, ask for a verification mail
and a reset mail, while another thread deletes the account (``DELETE /api/user``). Afterwards
the database itself is read: no table of any plugin may hold a row naming the deleted user, and
no request may have had an answer outside the contract (never a 412 for an unconditional PUT,
never a 5xx).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from core.db import normalize_url
from tests.plugins.auth.conftest import JWT_KEY, PASSWORD, bearer
from tests.servers import Server, free_port, start_gunicorn, write_toml

ROUNDS = 8
#: Requests a writer sends at most in one round (it stops at its first refusal).
MOST = 200
#: Tables with a ``user_id`` that the delete must empty of the user (others found are checked too).
USER_TABLES = {"auth_sessions", "auth_events", "auth_tokens", "profile_profiles", "content_items"}
#: What each kind of request may answer while its account is being deleted.
ALLOWED = {
    "put": {200, 201, 401},
    "patch": {200, 401},
    "login": {200, 401},
    "verify": {202, 401, 429},  # 429: a per-account mail limit, should one apply
    "reset": {202, 429},
    "delete": {204},
}


@dataclass
class Site:
    """The running gunicorn, and the command line of the same site (run in this process, on the
    same database: the command is the one ``annex users delete`` runs, without a second of
    interpreter start-up per round)."""

    server: Server
    app: Any

    def cli(self, *args: str) -> Any:
        return self.app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def site(database_url: str, make_app: Any, tmp_path: Path) -> Iterator[Site]:
    port = free_port()
    settings = {
        "site": {"url": f"http://127.0.0.1:{port}", "static_dir": ""},
        "rate_limits": {"enabled": False},
        "plugins": {
            "enabled": ["auth", "profile", "content"],
            "auth": {
                "bcrypt_rounds": 4,
                "jwt_key": JWT_KEY,
                "mail_backend": "file",
                "mail_dir": str(tmp_path / "mail"),
            },
            "content": {"root": str(tmp_path)},
        },
    }
    app = make_app(settings)  # migrates the database, as `flask migrate` would before a deploy
    env = {"ANNEX_DATABASE_URL": database_url, "ANNEX_SECRET_KEY": "gunicorn-test-secret-" + "x" * 40}
    running = start_gunicorn(write_toml(tmp_path / "config.toml", settings), tmp_path, env=env, port=port)
    try:
        yield Site(running, app)
    finally:
        running.stop()


def rows_naming(database_url: str, user_id: int) -> dict[str, int]:
    """Rows naming ``user_id`` in every table that has a ``user_id`` (and the account itself)."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            tables = {
                name
                for name in inspect(conn).get_table_names()
                if "user_id" in {column["name"] for column in inspect(conn).get_columns(name)}
            }
            assert tables >= USER_TABLES, tables
            counts = {
                name: conn.execute(
                    text(f"SELECT count(*) FROM {name} WHERE user_id = :id"), {"id": user_id}
                ).scalar()
                for name in sorted(tables)
            }
            counts["auth_users"] = conn.execute(
                text("SELECT count(*) FROM auth_users WHERE id = :id"), {"id": user_id}
            ).scalar()
    finally:
        engine.dispose()
    return {name: count for name, count in counts.items() if count}


def one_round(server: Server, round_: int, cli: Any = None) -> tuple[int, list[tuple[str, int, Any]]]:
    """Register a user, seed a row of every kind, then race its writes against its delete
    (``DELETE /api/user``, or the command line when ``cli`` runs it)."""

    def call(method: str, path: str, body: Any = None, headers: Any = None) -> tuple[int, Any]:
        status, payload, _ = server.request(method, path, body, headers)
        return status, payload

    name = f"racer{round_}"
    email = f"{name}@example.com"
    status, body, _ = server.request(
        "POST", "/api/auth/register", {"username": name, "email": email, "password": PASSWORD}
    )
    assert status == 201, body
    user_id, token = body["user"]["id"], body["access_token"]
    assert server.request("PUT", "/api/user/data/seed", {"value": 0}, bearer(token))[0] == 201
    assert server.request("PATCH", "/api/user/profile", {"bio": "seed"}, bearer(token))[0] == 200

    answers: list[tuple[str, int, Any]] = []
    lock = threading.Lock()
    progress = threading.Semaphore(0)
    deleted = threading.Event()

    def note(kind: str, status: int, payload: Any) -> None:
        with lock:
            answers.append((kind, status, payload))
        progress.release()

    def loop(kind: str, send: Callable[[int], tuple[int, Any]]) -> None:
        """Send until refused, or once more after the delete answered (bounded)."""
        for n in range(MOST):
            after = deleted.is_set()
            status, payload = send(n)
            note(kind, status, payload)
            if status == 401 or after:
                return

    def put(i: int) -> None:
        # New keys and replaced ones, never an If-Match: no answer may be a 412.
        loop("put", lambda n: call("PUT", f"/api/user/data/k{i}-{n % 3}", {"value": n}, bearer(token)))

    def patch(_: int) -> None:
        loop("patch", lambda n: call("PATCH", "/api/user/profile", {"bio": f"v{n}"}, bearer(token)))

    def login(_: int) -> None:
        loop("login", lambda n: call("POST", "/api/auth/login", {"username": name, "password": PASSWORD}))

    def verify(_: int) -> None:
        loop("verify", lambda n: call("POST", "/api/auth/verify-email", None, bearer(token)))

    def reset(_: int) -> None:
        loop("reset", lambda n: call("POST", "/api/auth/password-reset", {"email": email}))

    def delete(_: int) -> None:
        for _n in range(random.randint(2, 12)):  # land somewhere among the writes
            progress.acquire(timeout=10)
        if cli is not None:  # `annex users delete NAME`, as an operator runs it
            result = cli("users", "delete", name)
            deleted.set()
            note("delete", 204 if result.exit_code == 0 else 500, result.output)
            return
        status, payload = call("DELETE", "/api/user", {"password": PASSWORD}, bearer(token))
        deleted.set()
        note("delete", status, payload)

    workers: list[Callable[[int], None]] = [put, put, patch, login, login, verify, reset, delete]
    barrier = threading.Barrier(len(workers))

    def run(work: Callable[[int], None], i: int) -> None:
        barrier.wait(30)
        try:
            work(i)
        except Exception as exc:  # reported with the answers
            note(f"{work.__name__} raised", 0, repr(exc))

    threads = [threading.Thread(target=run, args=(w, i), daemon=True) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return user_id, answers


def test_a_deleted_account_leaves_no_row_behind_its_own_writes_and_logins(site, database_url):
    for round_ in range(ROUNDS):
        cli = site.cli if round_ % 2 else None  # every other round deletes from the command line
        user_id, answers = one_round(site.server, round_, cli)
        wrong = [answer for answer in answers if answer[1] not in ALLOWED.get(answer[0], ())]
        assert not wrong, (round_, wrong)
        assert [status for kind, status, _ in answers if kind == "delete"] == [204]
        # Checked before the next registration, which must not inherit anything either.
        assert rows_naming(database_url, user_id) == {}, round_
    assert "Traceback" not in site.server.log.read_text()
