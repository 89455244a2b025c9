"""Per-plugin migrations, applied once per database, recorded in ``annex_migrations``.

Each migration runs in its own transaction together with the row that records it, under a
database-wide lock (PostgreSQL advisory lock, SQLite's write lock), so several processes that
start at once apply each migration exactly once.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dataset

from core.db import transaction

#: Table recording applied migrations.
TABLE = "annex_migrations"
#: Key of the PostgreSQL advisory lock held while migrating (any constant of our own).
PG_LOCK_KEY = 0x616E6E6578  # "annex"


@dataclass(frozen=True)
class Migration:
    """One schema or data change of ``plugin``; ``up(db)`` gets the dataset Database."""

    plugin: str
    id: str
    up: Callable[[dataset.Database], Any]


def pending(db: dataset.Database, migrations: Iterable[Migration]) -> list[Migration]:
    """The migrations not yet recorded as applied, in the order they would run."""
    applied = applied_ids(db)
    return [m for m in ordered(migrations) if (m.plugin, m.id) not in applied]


def applied_ids(db: dataset.Database) -> set[tuple[str, str]]:
    if not db.has_table(TABLE):
        return set()
    rows = db.query(f"SELECT plugin, migration FROM {TABLE}")
    return {(row["plugin"], row["migration"]) for row in rows}


def ordered(migrations: Iterable[Migration]) -> list[Migration]:
    """Plugins in the order given, each plugin's migrations by id."""
    plugin_order: dict[str, int] = {}
    listed = list(migrations)
    for migration in listed:
        plugin_order.setdefault(migration.plugin, len(plugin_order))
    seen: set[tuple[str, str]] = set()
    for migration in listed:
        if (migration.plugin, migration.id) in seen:
            raise ValueError(f"plugin {migration.plugin}: migration id {migration.id} is used twice")
        seen.add((migration.plugin, migration.id))
    return sorted(listed, key=lambda m: (plugin_order[m.plugin], m.id))


def apply(db: dataset.Database, migrations: Iterable[Migration]) -> list[Migration]:
    """Apply what is pending; return the migrations this call applied."""
    todo = ordered(migrations)
    with _locked(db):
        _ensure_table(db)
    done = []
    for migration in todo:
        with _locked(db):
            if _is_applied(db, migration):
                continue
            with warnings.catch_warnings():
                # dataset warns about DDL in a transaction while other threads exist; the
                # migration lock is exactly what makes that safe here.
                warnings.simplefilter("ignore", RuntimeWarning)
                migration.up(db)
            db[TABLE].insert(
                {
                    "plugin": migration.plugin,
                    "migration": migration.id,
                    "applied_at": datetime.now(UTC).replace(tzinfo=None),
                }
            )
        done.append(migration)
    return done


@contextlib.contextmanager
def _locked(db: dataset.Database) -> Iterator[dataset.Database]:
    """A transaction holding the migration lock until it ends."""
    with transaction(db):
        if db.is_postgres:
            db.query("SELECT pg_advisory_xact_lock(:key)", key=PG_LOCK_KEY)
        yield db


def _ensure_table(db: dataset.Database) -> None:
    db.query(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        " plugin VARCHAR(100) NOT NULL,"
        " migration VARCHAR(200) NOT NULL,"
        " applied_at TIMESTAMP NOT NULL,"
        " PRIMARY KEY (plugin, migration))"
    )


def _is_applied(db: dataset.Database, migration: Migration) -> bool:
    rows = db.query(
        f"SELECT 1 FROM {TABLE} WHERE plugin = :plugin AND migration = :migration",
        plugin=migration.plugin,
        migration=migration.id,
    )
    return next(iter(rows), None) is not None
