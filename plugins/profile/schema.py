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
    "locale": lambda db: db.types.text,
    "integer": lambda db: db.types.bigint,
    "boolean": lambda db: db.types.boolean,
}


def create_profiles(db):
    table = db.create_table(TABLE)
    table.create_column("user_id", db.types.integer)
    table.create_column("updated_at", db.types.float)
    for name in ("display_name", "bio", "avatar_url"):  # the built-in fields of 0001; 0002 adds locale
        table.create_column(name, COLUMN_TYPES[BUILTIN[name].type](db))
    db.query(f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_user ON {TABLE} (user_id)")


def add_locale(db):
    """The built-in ``locale`` field of an existing table (a new one has it from 0001)."""
    if not db[TABLE].has_column("locale"):
        db[TABLE].create_column("locale", COLUMN_TYPES["locale"](db))


MIGRATIONS = [
    Migration("profile", "0001_profiles", create_profiles),
    Migration("profile", "0002_locale", add_locale),
]


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
