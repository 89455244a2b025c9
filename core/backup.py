"""Operating the database: online SQLite backups, and copying a site's data to another database."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from core.db import Database, connect
from core.migrations import TABLE as MIGRATIONS_TABLE
from core.migrations import Migration, apply
from core.ratelimit_storage import TABLE as RATELIMITS_TABLE

#: Rows copied per INSERT when moving a database.
BATCH = 500
#: Tables not copied: the target records its own migrations; counters are ephemeral.
NOT_COPIED = frozenset({MIGRATIONS_TABLE, RATELIMITS_TABLE})


class BackupError(Exception):
    """The backup or copy cannot be made; the message says why and what to do."""


def sqlite_path(db: Database) -> Path:
    if not db.is_sqlite:
        raise BackupError(
            "this database is PostgreSQL: back it up with pg_dump (e.g. pg_dump -Fc -f annex.dump DBNAME)"
        )
    database = make_url(db.url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(database)


def backup_sqlite(db: Database, target: Path) -> int:
    """An online, consistent copy of the SQLite database (SQLite's backup API), while the
    server keeps writing; returns the number of pages copied."""
    source_path = sqlite_path(db)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        pages = 0

        def progress(_status: int, remaining: int, total: int) -> None:
            nonlocal pages
            pages = total

        # One step copies everything under one read lock: a snapshot, not a mix of moments.
        source.backup(copy, pages=-1, progress=progress)
        ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"the copy failed its integrity check: {ok}")
        return pages
    finally:
        copy.close()
        source.close()


def copy_database(source: Database, target_url: str, migrations: list[Migration]) -> dict[str, int]:
    """Copy every plugin's tables into an empty database at ``target_url``; rows per table.

    The target gets its schema from the same migrations (so constraints and indexes are the
    real ones); columns that plugins added on the fly (profile fields) are added as found. Ids
    are kept, so sessions, tokens and ETags stay valid, and the target never gives an id the
    source has given, even one whose row was deleted (its sequence, or SQLite's
    ``sqlite_sequence``, starts past the source's high-water mark).
    """
    target = connect(target_url)
    try:
        apply(target, migrations)
        target.release()
        source_meta, target_meta = MetaData(), MetaData()
        with warnings.catch_warnings():
            # Expression indexes (lower(username)) cannot be reflected from SQLite; the target
            # has them already, from the migrations.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
            source_meta.reflect(source.engine)
        counts: dict[str, int] = {}
        given = _ids_given(source, source_meta)
        with target.engine.begin() as conn:
            target_meta.reflect(conn)
            for name in _ordered(source_meta):
                if name in NOT_COPIED:
                    continue
                counts[name] = _copy_table(source, source_meta.tables[name], conn, target_meta)
            if target.is_postgres:
                _reset_sequences(conn, target_meta, counts, given)
            else:
                _raise_sqlite_sequences(conn, counts, given)
        return counts
    finally:
        target.close()


def _ordered(meta: MetaData) -> list[str]:
    return [table.name for table in meta.sorted_tables]


def _copy_table(source: Database, table: Table, conn: Any, target_meta: MetaData) -> int:
    existing = target_meta.tables.get(table.name)
    if existing is None:
        table.to_metadata(target_meta).create(conn)
    else:
        if conn.execute(select(func.count()).select_from(existing)).scalar():
            raise BackupError(
                f"table {table.name} of the target already has rows; copy into an empty database"
            )
        have = {column["name"] for column in inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                type_ = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {type_}'))
    if table.name in target_meta.tables:
        target_meta.remove(target_meta.tables[table.name])  # reflect again: columns may be new
    target_table = Table(table.name, target_meta, autoload_with=conn)
    # SQLite keeps booleans as 0/1; PostgreSQL wants real booleans.
    booleans = [column.name for column in target_table.columns if _python_type(column) is bool]
    copied = 0
    with source.engine.connect() as reader:
        rows = reader.execute(select(table)).mappings()
        while batch := rows.fetchmany(BATCH):
            values = [dict(row) for row in batch]
            for row in values:
                for name in booleans:
                    if row.get(name) is not None:
                        row[name] = bool(row[name])
            conn.execute(insert(target_table), values)
            copied += len(batch)
    return copied


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _ids_given(source: Database, meta: MetaData) -> dict[str, int]:
    """The highest id each table of the source has ever handed out, where the database knows it
    (SQLite ``AUTOINCREMENT`` tables, PostgreSQL sequences): more than ``MAX(id)`` after a delete."""
    given: dict[str, int] = {}
    with source.engine.connect() as conn:
        if source.is_sqlite:
            if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
                given = {
                    name: int(seq)
                    for name, seq in conn.execute(text("SELECT name, seq FROM sqlite_sequence"))
                }
            return given
        for name, table in meta.tables.items():
            if "id" not in table.columns:
                continue
            last = conn.execute(
                text("SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(:t, 'id') AS regclass))"),
                {"t": name},
            ).scalar()
            if last is not None:
                given[name] = int(last)
    return given


def _reset_sequences(conn: Any, meta: MetaData, counts: dict[str, int], given: dict[str, int]) -> None:
    """PostgreSQL's id sequences must continue after every id the source has given."""
    for name in counts:
        table = meta.tables.get(name)
        if table is None or "id" not in table.columns:
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}).scalar()
        if sequence:
            conn.execute(
                text(f'SELECT setval(:s, GREATEST(COALESCE(MAX(id), 0), :given) + 1, false) FROM "{name}"'),
                {"s": sequence, "given": given.get(name, 0)},
            )


def _raise_sqlite_sequences(conn: Any, counts: dict[str, int], given: dict[str, int]) -> None:
    """SQLite ``AUTOINCREMENT`` tables continue after every id the source has given (inserting
    the copied rows only moved them to ``MAX(id)``)."""
    for name in counts:
        if name not in given:
            continue
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": name}
        )
        if "AUTOINCREMENT" not in (sql.scalar() or "").upper():
            continue
        updated = conn.execute(
            text("UPDATE sqlite_sequence SET seq = :given WHERE name = :t AND seq < :given"),
            {"t": name, "given": given[name]},
        ).rowcount
        present = conn.execute(text("SELECT 1 FROM sqlite_sequence WHERE name = :t"), {"t": name}).first()
        if not updated and present is None:
            conn.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :given)"),
                {"t": name, "given": given[name]},
            )
