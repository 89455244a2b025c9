"""Profile rows: reading one, saving a partial update, deleting one.

Reads and the upsert are prepared SQL (a profile read is on every request that shows one).
"""

from __future__ import annotations

import functools
from typing import Any

from core import SQL, ApiError, hold_account, now, transaction
from plugins.profile.model import all_fields
from plugins.profile.schema import TABLE
from plugins.profile.settings import settings

_ROW = SQL(f"SELECT * FROM {TABLE} WHERE user_id = :user_id")


def row(user_id: int) -> dict[str, Any]:
    """The profile row, by its unique index; ``{}`` when the user has none yet."""
    return _ROW.one(user_id=user_id) or {}


def fields(row: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a stored row, with their JSON types."""
    found = {}
    for name, spec in all_fields(settings()).items():
        value = row.get(name)
        # SQLite hands booleans back as 0/1 to raw SQL: the declared type says what they are.
        found[name] = bool(value) if spec.type == "boolean" and value is not None else value
    return found


def save(user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (validated fields) to the profile; the row as it now stands."""
    with transaction():
        hold_account(user_id)  # a deleted account gets no profile row behind its user_deleted
        updated = {**row(user_id), **changes}
        missing = {
            name: "field required"
            for name, spec in settings().fields.items()
            if spec.required and updated.get(name) is None
        }
        if missing:
            raise ApiError(422, "validation_error", "some fields are invalid", fields=missing)
        _upsert(tuple(sorted(changes))).run(user_id=user_id, updated_at=now(), **changes)
    return updated


@functools.lru_cache(maxsize=256)
def _upsert(columns: tuple[str, ...]) -> SQL:
    """Insert the profile or update only ``columns`` in one statement, so two first writes of one
    profile at once both land (column names are declared fields, checked at start-up)."""
    names = ("updated_at", *columns)
    return SQL(
        f"INSERT INTO {TABLE} (user_id, {', '.join(names)})"
        f" VALUES (:user_id, {', '.join(f':{name}' for name in names)})"
        f" ON CONFLICT (user_id) DO UPDATE SET {', '.join(f'{name} = excluded.{name}' for name in names)}"
    )


def remove(user_id: int) -> None:
    with transaction() as db:
        db[TABLE].delete(user_id=user_id)
