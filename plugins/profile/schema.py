"""The profile table: its migration, and a column for every declared field.

Schemaless on purpose (dataset's table API): a site declares fields in its config and each
gets a column at start-up, with no migration to write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from core import Migration, transaction
from plugins.profile.model import BUILTIN

TABLE = "profile_profiles"
#: Column type of each field type.
COLUMN_TYPES = {
    "string": lambda db: db.types.text,
    "url": lambda db: db.types.text,
    "integer": lambda db: db.types.bigint,
    "boolean": lambda db: db.types.boolean,
}


def create_profiles(db):
    table = db.create_table(TABLE)
    table.create_column("user_id", db.types.integer)
    table.create_column("updated_at", db.types.float)
    for name, spec in BUILTIN.items():
        table.create_column(name, COLUMN_TYPES[spec.type](db))
    db.query(f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_user ON {TABLE} (user_id)")


MIGRATIONS = [Migration("profile", "0001_profiles", create_profiles)]


def ensure_columns(db, fields: dict[str, Any]) -> None:
    """Give every declared field its column up front, so no request alters the table.

    Declaring a field needs no migration. Several workers starting at once may race to add
    the same column: each ALTER runs in its own transaction, and the loser, rolled back
    cleanly, finds the column there.
    """
    for name, spec in fields.items():
        if db[TABLE].has_column(name):
            continue
        try:
            with transaction(db):
                db[TABLE].create_column(name, COLUMN_TYPES[spec.type](db))
        except SQLAlchemyError:
            if not db[TABLE].has_column(name):  # the rollback dropped dataset's cached columns
                raise
