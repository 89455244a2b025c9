"""The app's database: SQLite (tuned for concurrent writers) or PostgreSQL.

``Database`` is dataset's Database with the two things Annex's correctness rests on owned here,
through dataset's and SQLAlchemy's public APIs only: the connection each thread uses, and the
transaction stack on it. Everything runs on that one connection — dataset's table API, the
statements of ``core.statements`` and the prepared ``core.SQL`` — so one ``transaction()``
covers all three.

SQLAlchemy 2 opens a transaction on first use, so every request ends its transaction in
teardown: a connection left in a read transaction would pin a stale snapshot (SQLite) or sit
"idle in transaction" holding locks (PostgreSQL). The connection itself stays with its thread:
checking it out again per request (and pre-pinging PostgreSQL) would cost more than the
request's own query.
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
from dataset.util import normalize_table_name
from flask import Flask
from sqlalchemy import Connection, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from core.config import ConfigError
from core.config_loader import masked
from core.state import app_state, get_db

#: Milliseconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Connections kept open per process (gunicorn threads + a margin); more are opened on demand.
POOL_SIZE = 10
#: What valid ``database.url`` values look like, for the message about one that is not.
URL_EXAMPLES = '"sqlite:///instance/annex.db" or "postgresql://user:password@db.example:5432/annex"'
#: Applied to every new SQLite connection.
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
)


class Database(dataset.Database):
    """dataset's Database on a connection per thread and a transaction stack that Annex owns.

    dataset reaches the connection through the public ``executable`` property and asks
    ``in_transaction`` before committing a table operation on its own; both are answered
    here, so its table API joins ``transaction()`` blocks. Tables are cached here too, so
    that a rollback (which may undo a column just added) can forget their reflected columns.
    """

    def __init__(self, url: str, engine_kwargs: dict[str, Any]):
        super().__init__(url, engine_kwargs=engine_kwargs, sqlite_wal_mode=False)
        self._thread = threading.local()  # .connection, .depth
        self._guard = threading.Lock()
        self._open: dict[int, Connection] = {}  # every thread's connection, to close them all
        self._table_cache: dict[str, dataset.Table] = {}

    # -- the connection of this thread

    @property
    def executable(self) -> Connection:
        """This thread's connection, checked out on first use and kept until the thread ends."""
        try:
            return self._thread.connection
        except AttributeError:
            return self._check_out()

    def _check_out(self) -> Connection:
        if self.engine is None:
            raise RuntimeError("Database is closed")
        conn = self.engine.connect()
        thread = threading.get_ident()
        with self._guard:
            self._open[thread] = conn
        self._thread.connection = conn
        # Servers that start a thread per request: the connection goes when its thread does.
        weakref.finalize(threading.current_thread(), self._forget, thread, conn)
        return conn

    def _forget(self, thread: int, conn: Connection) -> None:
        with self._guard:
            if self._open.get(thread) is conn:
                del self._open[thread]
        with contextlib.suppress(Exception):
            conn.close()

    def drop_connection(self) -> None:
        """Forget this thread's connection (the server dropped it); the next use checks out a
        fresh, pre-pinged one."""
        self._let_go(invalidate=True)

    def release(self) -> None:
        """Give this thread's connection back to the pool (closing it rolls back what is open)."""
        self._let_go(invalidate=False)

    def _let_go(self, *, invalidate: bool) -> None:
        conn = getattr(self._thread, "connection", None)
        self._thread.__dict__.clear()
        if conn is None:
            return
        if invalidate:
            with contextlib.suppress(Exception):
                conn.invalidate()
        self._forget(threading.get_ident(), conn)

    @property
    def connection_count(self) -> int:
        """Connections held by threads of this process."""
        with self._guard:
            return len(self._open)

    def close(self) -> None:
        with self._guard:
            held, self._open = list(self._open.values()), {}
        for conn in held:
            with contextlib.suppress(Exception):
                conn.close()
        self._table_cache = {}
        super().close()

    # -- transactions

    @property
    def in_transaction(self) -> bool:
        return getattr(self._thread, "depth", 0) > 0

    def begin(self) -> None:
        """Open a write transaction, or join the one open on this thread."""
        depth = getattr(self._thread, "depth", 0)
        if depth == 0:
            self._begin()
        self._thread.depth = depth + 1

    def _begin(self) -> None:
        conn = self.executable
        try:
            _end_implicit(conn)  # a read transaction left open would pin SQLite's snapshot
        except SQLAlchemyError:
            # The server dropped this thread's connection since its last use: nothing of this
            # transaction is lost yet, so start it on a fresh one (or fail with a 503 on checkout).
            self.drop_connection()
            conn = self.executable
        if self.is_sqlite:
            # The write lock up front: a transaction that read first and upgraded later could
            # fail at once with "database is locked" when another writer committed in between.
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLAlchemy autobegins around it
        else:
            conn.begin()

    def commit(self) -> None:
        """Leave a transaction block; the outermost commits. A commit that fails (SQLite's
        "database or disk is full") rolls back, or SQLAlchemy would refuse every later
        statement on this connection."""
        depth = getattr(self._thread, "depth", 0)
        if depth > 1:
            self._thread.depth = depth - 1
            return
        self._thread.depth = 0
        try:
            self.executable.commit()
        except BaseException:
            self._roll_back()
            raise

    def rollback(self) -> None:
        """Roll back the whole transaction of this thread, however deep the blocks are."""
        self._thread.depth = 0
        self._roll_back()

    def _roll_back(self) -> None:
        conn = getattr(self._thread, "connection", None)
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):  # a dead connection has nothing to roll back
                conn.rollback()
        self._table_cache = {}  # their reflected columns may describe rolled-back DDL

    def end_request(self) -> None:
        """Finish this thread's use of the database for one request, keeping its connection.

        Whatever the request left open is rolled back; a connection that is broken (the server
        went away) is dropped. Never raises: the response has already been decided.
        """
        self._thread.depth = 0  # a transaction block cut short by a lost connection
        conn = getattr(self._thread, "connection", None)
        if conn is None:
            return
        try:
            if not (conn.invalidated or conn.closed):
                _end_implicit(conn)
                return
        except Exception:  # the driver's own errors too: a teardown must not raise
            pass
        self.drop_connection()

    # -- dataset's tables, cached here (dataset's get_table and db[name] come through these)

    def create_table(
        self,
        table_name: str,
        primary_id: Any = None,
        primary_type: Any = None,
        primary_increment: bool | None = None,
    ) -> dataset.Table:
        return self._cached(
            table_name,
            primary_id=primary_id,
            primary_type=primary_type,
            primary_increment=primary_increment,
            auto_create=True,
        )

    def load_table(self, table_name: str) -> dataset.Table:
        return self._cached(table_name)

    def _cached(self, table_name: str, **options: Any) -> dataset.Table:
        name = normalize_table_name(table_name)
        table = self._table_cache.get(name)
        if table is None:
            table = dataset.Table(self, name, **options)
            self._table_cache = {**self._table_cache, name: table}  # readers never see a half-update
        return table


def normalize_url(url: str) -> str:
    """Pin PostgreSQL URLs to psycopg2, the driver Annex ships (SQLAlchemy 2.1 defaults to psycopg 3).

    ``postgres://`` (as some hosts write it) is accepted too.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def connect(url: str) -> Database:
    """Open a Database for ``url`` with the settings Annex relies on."""
    url = normalize_url(url)
    parsed = make_url(url)
    # Overflow is unbounded: each thread keeps its connection, and the server's thread count
    # bounds connections (a bounded pool would make a thread wait for one no one returns).
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
    db = Database(url, engine_kwargs)
    if db.is_sqlite:
        event.listen(db.engine, "connect", _sqlite_pragmas)
    return db


class DatabaseUnreachable(ConfigError):
    """``database.url`` is valid but no server answers it: a configuration error at the first
    start, a passing outage once the server has served (gunicorn retries such a worker)."""


def resolved_url(url: str, source: str, instance_path: Path) -> tuple[str, str]:
    """``database.url`` and where it was set, the empty default spelt out (SQLite in ``instance_path``)."""
    if not url:
        return f"sqlite:///{instance_path / 'annex.db'}", "the default (empty database.url)"
    return url, source


def open_database(url: str, source: str) -> Database:
    """The app's database from ``database.url`` set in ``source`` (as ``resolved_url`` gives
    them), checked by opening one connection.

    A URL that does not parse, names a database Annex cannot drive, or reaches no server stops
    start-up with a ``ConfigError`` naming the setting, where it was set, the value with its
    password masked, and a valid example.
    """
    where = _where(url, source)
    try:
        database = connect(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError, OSError) as exc:
        example = f'"sqlite:///{url}" for that file; other examples: ' if "://" not in url else "e.g. "
        raise ConfigError(
            f"{where} is not a database URL Annex can open ({_reason(exc, url)}). "
            f"Fix: write a SQLAlchemy URL, {example}{URL_EXAMPLES}; empty means instance/annex.db."
        ) from None
    outage = unreachable(database, url, source)
    if outage is not None:
        database.close()
        raise outage
    return database


def unreachable(database: Database, url: str, source: str) -> DatabaseUnreachable | None:
    """Why ``database`` (opened from ``url`` set in ``source``) takes no connection now, or None.

    Asked once when the database opens, and again when start-up fails on a database error: a
    server that goes away while the app loads is an outage too, not a broken plugin.
    """
    try:
        with database.engine.connect():
            return None
    except (SQLAlchemyError, OSError) as exc:
        return DatabaseUnreachable(
            f"{_where(url, source)}: cannot connect: {_reason(exc, url)}. Fix: start the database "
            f"server, or correct the URL (host, port, user, password, database name), e.g. {URL_EXAMPLES}."
        )


def _where(url: str, source: str) -> str:
    return f"database.url = {_shown_url(url)} (set in {source})"


def _shown_url(url: str) -> str:
    return '"' + masked(url) + '"'


def _reason(exc: BaseException, url: str) -> str:
    """The first line of what the driver said, without the URL's password."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    reason = lines[0].rstrip(".")
    with contextlib.suppress(ArgumentError, ValueError):
        password = make_url(normalize_url(url)).password
        if password:
            reason = reason.replace(str(password), "***")
    return masked(reason)


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


@contextlib.contextmanager
def transaction(db: Database | None = None) -> Iterator[Database]:
    """A write transaction: committed when the block ends, rolled back if it raises.

    On SQLite it starts with ``BEGIN IMMEDIATE`` so the write lock is taken up front. Nested
    use joins the outer transaction; dataset's table operations, ``core.execute`` and
    ``SQL.run`` inside the block join it too instead of committing on their own.
    """
    db = db if db is not None else get_db()
    if db.in_transaction:
        yield db  # joined: what the block raises is the outer block's to handle
        return
    db.begin()
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()


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


def init_app(app: Flask) -> None:
    db = app_state(app).db

    def _end(_exc: BaseException | None) -> None:
        if db.engine is not None:  # None once closed (tests close apps they are done with)
            db.end_request()

    # Per request (an app context may outlive many requests, e.g. in tests), and per app
    # context for CLI commands that never see a request.
    app.teardown_request(_end)
    app.teardown_appcontext(_end)
