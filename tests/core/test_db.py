"""Storage: SQLite tuned for concurrent writers, PostgreSQL through psycopg2, no 500 under load."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest

from core.db import connect, transaction
from tests.conftest import PG_URL, require

ALICE = {"X-Test-User": "1:alice"}


def test_sqlite_connections_get_the_pragmas(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/p.db")
    try:
        pragma = lambda name: next(iter(db.query(f"PRAGMA {name}")))  # noqa: E731
        assert pragma("journal_mode")["journal_mode"] == "wal"
        assert pragma("busy_timeout")["timeout"] >= 5000
        assert pragma("foreign_keys")["foreign_keys"] == 1
        assert pragma("synchronous")["synchronous"] == 1  # NORMAL
    finally:
        db.close()


def test_sqlite_database_directory_is_created(tmp_path):
    db = connect(f"sqlite:///{tmp_path}/deep/er/annex.db")
    try:
        db["t"].insert({"x": 1})
        assert (tmp_path / "deep" / "er" / "annex.db").is_file()
    finally:
        db.close()


def test_transaction_commits_or_rolls_back_as_a_whole(database_url):
    db = connect(database_url)
    try:
        db["things"].insert({"name": "before"})
        with pytest.raises(RuntimeError), transaction(db):
            db["things"].insert({"name": "lost"})
            raise RuntimeError("abort")
        with transaction(db):
            db["things"].insert({"name": "kept"})
        assert sorted(row["name"] for row in db["things"].all()) == ["before", "kept"]
    finally:
        db.close()


def test_postgresql_urls_work_in_both_spellings(new_pg_database):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    database_url = new_pg_database()
    db = connect(database_url.replace("postgresql://", "postgres://", 1))
    try:
        assert db.is_postgres
        assert next(iter(db.query("SELECT 1 AS one")))["one"] == 1
    finally:
        db.close()


def test_concurrent_writers_never_get_a_500(app):
    """Many threads writing through the app at once: every request succeeds, nothing is lost."""
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def writer(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        for i in range(5):
            response = client.post("/api/hello/notes", json={"title": f"t{n}-{i}", "stars": 1}, headers=ALICE)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 80
    with app.app_context():
        from core import get_db

        assert get_db()["hello_notes"].count(user_id=1) == 80


def test_a_request_sees_writes_committed_after_its_connection_was_last_used(app):
    """Connections are released per request: no stale snapshot survives between requests."""
    client = app.test_client()
    first = client.post("/api/hello/notes", json={"title": "one", "stars": 1}, headers=ALICE).json["id"]
    assert client.get(f"/api/hello/notes/{first}", headers=ALICE).status_code == 200
    other = app.test_client()
    second = other.post("/api/hello/notes", json={"title": "two", "stars": 2}, headers=ALICE).json["id"]
    assert client.get(f"/api/hello/notes/{second}", headers=ALICE).json["title"] == "two"


def test_a_thread_connection_is_closed_when_the_thread_ends(database_url):
    """Servers that start a thread per request must not leak one connection per thread."""
    import gc

    db = connect(database_url)
    try:
        idents: list[int] = []

        def work() -> None:
            idents.append(threading.get_ident())
            assert next(iter(db.query("SELECT 1 AS one")))["one"] == 1

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert db.connection_count == 1  # kept for the thread's next request
        del thread
        gc.collect()
        assert db.connection_count == 0
    finally:
        db.close()


def _open_at_once(path: str, barrier: Any, errors: Any) -> None:
    try:
        barrier.wait()
        db = connect(f"sqlite:///{path}")
        try:
            db.has_table("anything")
        finally:
            db.close()
    except Exception as error:  # reported to the test, whatever it is
        errors.put(repr(error))


def test_processes_opening_a_new_sqlite_database_at_once_all_succeed(tmp_path):
    """Replicas starting together on a fresh SQLite file: each one's first connection switches
    it to WAL, and SQLite answers all but one "database is locked" without waiting."""
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    for round_ in range(25):
        barrier = context.Barrier(4)
        path = str(tmp_path / f"fresh{round_}.db")
        processes = [context.Process(target=_open_at_once, args=(path, barrier, errors)) for _ in range(4)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        assert [process.exitcode for process in processes] == [0] * 4
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
