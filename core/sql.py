"""Prepared SQL for hot paths, run on the thread's own DBAPI connection.

dataset builds each query anew (its ``find_one`` costs ~30 times a raw lookup) and even a
compiled SQLAlchemy ``text()`` spends ~30 µs per statement in the execution layer, which is
more than a primary-key lookup itself. An ``SQL`` statement goes straight to the driver's
cursor on the connection the thread already holds (``core.db``), so it shares that
connection's transactions (``transaction()``) with ``core.execute`` and dataset's tables. Use
``core.rows`` / ``core.one`` / ``core.execute`` for statements in general and ``SQL`` where
one runs on every request::

    _SESSION = SQL("SELECT user_id FROM auth_sessions WHERE id = :sid")
    row = _SESSION.one(sid=claims["sid"])          # dict or None

Parameters are written ``:name`` (as in SQLAlchemy's ``text()``) on every database. Driver
errors become SQLAlchemy's (``IntegrityError``, ``OperationalError``…), and a connection the
server dropped is invalidated, so the next request gets a fresh one.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import DBAPIError

from core.db import Database, transaction
from core.state import get_db

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class SQL:
    """One statement with ``:name`` parameters; rows come back as dicts."""

    def __init__(self, sql: str):
        self.sql = sql
        # psycopg2 (pyformat) spells parameters %(name)s and a literal % as %%.
        self._pyformat = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))

    def __repr__(self) -> str:
        return f"SQL({self.sql!r})"

    def one(self, **params: Any) -> dict[str, Any] | None:
        """The first row, or None."""
        return self._run(params, _first)

    def all(self, **params: Any) -> list[dict[str, Any]]:
        """Every row."""
        return self._run(params, _rows)

    def scalar(self, **params: Any) -> Any:
        """The first column of the first row, or None."""
        return self._run(params, _scalar)

    def run(self, **params: Any) -> int:
        """Execute a write and return the number of rows it changed. Outside a
        ``transaction()`` block the statement is committed on its own."""
        db = get_db()
        if db.in_transaction:
            return self._run(params, _rowcount, db)
        with transaction(db):
            return self._run(params, _rowcount, db)

    def _run(self, params: dict[str, Any], fetch: Any, db: Database | None = None) -> Any:
        db = db or get_db()
        conn = db.executable
        dialect = conn.dialect
        sql = self._pyformat if dialect.paramstyle == "pyformat" else self.sql
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            return fetch(cursor)
        except dialect.loaded_dbapi.Error as exc:
            dropped = dialect.is_disconnect(exc, raw, cursor)
            if dropped:
                conn.invalidate(exc)
            error = dialect.loaded_dbapi.Error
            raise DBAPIError.instance(
                self.sql, params, exc, error, connection_invalidated=dropped, dialect=dialect
            ) from exc
        finally:
            # Closing resets the statement: an unfinished one would hold SQLite's read snapshot.
            # Never hide the error being raised (no contextlib.suppress: a µs per statement).
            try:  # noqa: SIM105
                cursor.close()
            except Exception:
                pass


def _first(cursor: Any) -> dict[str, Any] | None:
    row = cursor.fetchone()
    return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _scalar(cursor: Any) -> Any:
    row = cursor.fetchone()
    return None if row is None else row[0]


def _rowcount(cursor: Any) -> int:
    return cursor.rowcount
