"""The app's dataset Database: SQLite (tuned for concurrent writers) or PostgreSQL.

One ``dataset.Database`` per app. dataset keeps one connection per thread and SQLAlchemy 2
opens a transaction on first use, so every request ends its transaction in teardown: a
connection left in a read transaction would pin a stale snapshot (SQLite) or sit "idle in
transaction" holding locks (PostgreSQL). The connection itself stays with its thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dataset
from flask import Flask, current_app
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

#: Milliseconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Connections kept open per process (gunicorn threads + a margin); more are opened on demand.
POOL_SIZE = 10
#: Applied to every new SQLite connection.
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
)


def normalize_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, the driver Annex ships (SQLAlchemy 2.1 defaults to psycopg 3).

    ``postgres://`` (as some hosts write it) is accepted too.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def connect(url: str) -> dataset.Database:
    """Open a dataset Database for ``url`` with the settings Annex relies on."""
    url = normalize_url(url)
    parsed = make_url(url)
    # dataset checks a connection out of the pool while holding its one global lock, so a
    # pool that makes a thread wait for a free connection deadlocks every thread holding one.
    # Overflow is therefore unbounded; the server's thread count bounds connections instead.
    engine_kwargs: dict[str, Any] = {"pool_size": POOL_SIZE, "max_overflow": -1}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            engine_kwargs = {}  # an in-memory database has a pool of one connection, unsized
        # Python's own busy handler, on top of the pragma, so even the first statement waits.
        engine_kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        engine_kwargs["pool_pre_ping"] = True
    # WAL is switched on by _sqlite_pragmas, which survives two processes doing it at once.
    db = dataset.connect(url, engine_kwargs=engine_kwargs, sqlite_wal_mode=False)
    if db.is_sqlite:
        event.listen(db.engine, "connect", _sqlite_pragmas)
    # A thread checks a connection out once and keeps it (see end_request): close it when the
    # thread ends (servers that start a thread per request).
    event.listen(db.engine, "checkout", lambda *_: _close_when_thread_ends(db, threading.get_ident()))
    return db


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    _enable_wal(cursor)
    cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch the database to WAL (readers and a writer at once; a no-op once it is WAL).

    Two processes opening a new database at the same moment (replicas starting together) both
    try to switch it; SQLite answers one of them "database is locked" at once, without its busy
    handler, since waiting could deadlock. That one tries again until the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def get_db() -> dataset.Database:
    """The current app's dataset Database (thread-safe: one connection per thread)."""
    return current_app.extensions["annex"].db


@contextlib.contextmanager
def transaction(db: dataset.Database | None = None) -> Iterator[dataset.Database]:
    """A write transaction: committed when the block ends, rolled back if it raises.

    On SQLite it starts with ``BEGIN IMMEDIATE`` so the write lock is taken up front: a
    transaction that read first and upgraded later could fail at once with "database is locked"
    when another writer committed in between. Nested use joins the outer transaction.

    The thread keeps its connection (dataset's own ``commit()`` would hand it back to the pool,
    and the next statement would check it out again); dataset's table operations inside the
    block see ``db.in_transaction`` and join it instead of committing on their own.
    """
    db = db if db is not None else get_db()
    if db.in_transaction:
        yield db
        return
    conn = db.executable
    try:
        _end_implicit(conn)  # a read transaction left open would pin SQLite's snapshot
    except SQLAlchemyError:
        # The server dropped this thread's connection since its last use: nothing of this
        # transaction is lost yet, so start it on a fresh one (or fail with a 503 on checkout).
        _drop_connection(db, threading.get_ident())
        conn = db.executable
    if db.is_sqlite:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLAlchemy autobegins around it
    else:
        conn.begin()
    db.local.tx = [True]
    try:
        yield db
        db.local.tx = []
        # Inside the try: a commit that fails (SQLite's "database or disk is full") must roll
        # back too, or SQLAlchemy refuses every later statement on this thread's connection.
        conn.commit()
    except BaseException:
        db.local.tx = []
        with contextlib.suppress(SQLAlchemyError):  # a dead connection has nothing to roll back
            conn.rollback()
        db._flush_tables()  # dataset's cached table metadata may describe rolled-back DDL
        raise


def _end_implicit(conn: Connection) -> None:
    """Roll back what is open on this connection: SQLAlchemy's autobegun transaction, and one
    the driver began for statements run on it directly (``core.sql``). A transaction whose
    statement or commit failed is no longer "in progress" but still blocks the connection
    until it is rolled back, so it is rolled back too."""
    if conn.get_transaction() is not None:
        conn.rollback()
    raw = conn.connection.dbapi_connection
    try:
        raw.rollback()  # a no-op in both drivers when none is open
    except conn.dialect.loaded_dbapi.Error as exc:
        dropped = conn.dialect.is_disconnect(exc, raw, None)
        if dropped:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            "ROLLBACK", None, exc, conn.dialect.loaded_dbapi.Error, connection_invalidated=dropped
        ) from exc


def release(db: dataset.Database) -> None:
    """Give this thread's connection back to the pool, rolling back anything left open."""
    while db.in_transaction:
        db.rollback()
    db._release_connection()


def end_request(db: dataset.Database) -> None:
    """Finish this thread's use of the database for one request, keeping its connection.

    Whatever the request left open is rolled back (a read transaction must not pin a stale
    snapshot or sit "idle in transaction"), but the connection stays with the thread: checking
    it out of the pool again per request (and pre-pinging PostgreSQL) would cost more than the
    request's own query. A connection that is broken (the server went away) is dropped, and a
    thread's connection is closed when the thread ends (``connect``). A teardown never raises:
    the response has already been decided.
    """
    thread = threading.get_ident()
    try:
        db.local.tx = []  # a transaction block cut short by a lost connection
        conn = db.connections.get(thread)
        if conn is None:
            return
        if not (conn.invalidated or conn.closed):
            _end_implicit(conn)
            return
    except Exception:  # the driver's own errors too: a teardown must not raise
        pass
    _drop_connection(db, thread)


def _drop_connection(db: dataset.Database, thread: int) -> None:
    """Forget this thread's connection; the next use checks out a fresh (pre-pinged) one."""
    with db.lock:
        conn = db.connections.pop(thread, None)
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.invalidate()
        with contextlib.suppress(Exception):
            conn.close()


def _close_when_thread_ends(db: dataset.Database, thread: int) -> None:
    watched = db.__dict__.setdefault("_annex_watched_threads", set())
    if thread in watched:
        return
    watched.add(thread)

    def close() -> None:
        watched.discard(thread)
        with db.lock:
            conn = db.connections.pop(thread, None)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    weakref.finalize(threading.current_thread(), close)


def init_app(app: Flask) -> None:
    db = app.extensions["annex"].db

    def _end(_exc: BaseException | None) -> None:
        if db.engine is not None:  # None once closed (tests close apps they are done with)
            end_request(db)

    # Per request (an app context may outlive many requests, e.g. in tests), and per app
    # context for CLI commands that never see a request.
    app.teardown_request(_end)
    app.teardown_appcontext(_end)
