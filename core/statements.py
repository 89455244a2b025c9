"""The one way to run a statement: SQLAlchemy Core expressions or SQL text, on the thread's
connection and inside its ``transaction()``.

::

    from core import one, rows, execute, transaction
    user = one(select(users).where(users.c.id == user_id))        # dict or None
    names = rows(text("SELECT name FROM tags WHERE user_id = :u"), u=3)
    with transaction():
        changed = execute(update(users).where(...).values(...)).rowcount

``core.SQL`` is the prepared fast path for a statement on every request; dataset's table API
(``get_db()["table"]``) is for tables whose columns are not known in advance. All three share
the connection and its transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Executable, text

from core.db import transaction
from core.state import get_db


def _statement(statement: Executable | str) -> Executable:
    return text(statement) if isinstance(statement, str) else statement


def execute(statement: Executable | str, **params: Any) -> CursorResult[Any]:
    """Run a statement and return SQLAlchemy's result (``rowcount``, ``inserted_primary_key``,
    rows). A write outside a ``transaction()`` block is committed on its own."""
    db = get_db()
    if db.in_transaction:
        return db.executable.execute(_statement(statement), params or None)
    with transaction(db):
        return db.executable.execute(_statement(statement), params or None)


def rows(statement: Executable | str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a query, as dicts."""
    result = get_db().executable.execute(_statement(statement), params or None)
    return [dict(row) for row in result.mappings()]


def one(statement: Executable | str, **params: Any) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    row = get_db().executable.execute(_statement(statement), params or None).mappings().first()
    return dict(row) if row is not None else None


def scalar(statement: Executable | str, **params: Any) -> Any:
    """The first column of the first row, or None."""
    return get_db().executable.execute(_statement(statement), params or None).scalar()
