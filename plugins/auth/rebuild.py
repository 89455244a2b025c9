"""Rebuilding a SQLite table in place, for the changes SQLite's ALTER TABLE cannot make.

SQLite cannot turn a table's key into ``AUTOINCREMENT`` or add a ``NOT NULL`` column without a
default, so the table is made anew as https://www.sqlite.org/lang_altertable.html#otheralter
describes: create the new shape under another name, copy every row, drop the old table, rename,
and create its indexes and triggers again (the operator's own ones too). It runs inside the
caller's transaction, so a failure leaves the old table as it was. A foreign key of another
table that points at rows of this one makes the drop fail (``PRAGMA foreign_keys`` cannot be
switched off inside a transaction), which rolls the whole migration back; Annex declares none.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, MetaData, Table, inspect, text
from sqlalchemy.schema import CreateTable


def rebuild_sqlite(conn: Connection, table: Table, fill: Mapping[str, str] | None = None) -> None:
    """Give the existing SQLite ``table.name`` the shape of ``table``, keeping rows and indexes.

    Columns both shapes have are copied; ``fill`` gives an SQL expression for a new column (one
    it does not name gets its default); columns ``table`` lacks are dropped.
    """
    name, temporary = table.name, f"{table.name}__rebuilt"
    quote = conn.dialect.identifier_preparer.quote
    saved: dict[str, str] = {
        entry: sql
        for entry, sql in conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE tbl_name = :name"
                " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
            ),
            {"name": name},
        )
    }
    existing = {column["name"] for column in inspect(conn).get_columns(name)}
    copied = {c.name: quote(c.name) for c in table.columns if c.name in existing}
    copied.update({column: sql for column, sql in (fill or {}).items() if column not in existing})
    conn.execute(CreateTable(table.to_metadata(MetaData(), name=temporary)))
    conn.exec_driver_sql(
        f"INSERT INTO {quote(temporary)} ({', '.join(quote(c) for c in copied)})"
        f" SELECT {', '.join(copied.values())} FROM {quote(name)}"
    )
    conn.exec_driver_sql(f"DROP TABLE {quote(name)}")
    conn.exec_driver_sql(f"ALTER TABLE {quote(temporary)} RENAME TO {quote(name)}")
    for statement in saved.values():
        conn.exec_driver_sql(statement)
    for index in table.indexes:  # those the new shape adds
        if index.name not in saved:
            index.create(conn)
