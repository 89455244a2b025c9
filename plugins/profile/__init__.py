"""The profile plugin: display name, bio, avatar and the custom fields a site declares.

It learns who the user is from ``current_identity()`` and never reads the auth plugin's tables:
the account fields come with the identity.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from core import (
    SQL,
    ApiError,
    Migration,
    current_identity,
    endpoint,
    get_db,
    hold_account,
    hookimpl,
    now,
    plugin_settings,
    transaction,
)
from plugins.profile.model import BUILTIN, all_fields, update_model
from plugins.profile.settings import Settings

TABLE = "profile_profiles"
#: Column type of each field type.
COLUMN_TYPES = {
    "string": lambda db: db.types.text,
    "url": lambda db: db.types.text,
    "integer": lambda db: db.types.bigint,
    "boolean": lambda db: db.types.boolean,
}
bp = Blueprint("profile", __name__, url_prefix="/api/user")


def _model():
    return current_app.extensions["profile.model"]


_ROW = SQL(f"SELECT * FROM {TABLE} WHERE user_id = :user_id")


def _row(user_id: int) -> dict[str, Any]:
    """The profile row, by its unique index (prepared SQL: this is on every profile read)."""
    return _ROW.one(user_id=user_id) or {}


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of a stored row, with their JSON types."""
    fields = {}
    for name, spec in all_fields(plugin_settings("profile")).items():
        value = row.get(name)
        # SQLite hands booleans back as 0/1 to raw SQL: the declared type says what they are.
        fields[name] = bool(value) if spec.type == "boolean" and value is not None else value
    return fields


def _profile(identity: Any, row: dict[str, Any]) -> dict[str, Any]:
    account = dict(identity.account) or {"id": identity.id, "username": identity.username}
    return {**account, **_fields(row)}


@bp.get("/profile")
@endpoint(auth=True)
def get_profile():
    """The account fields and the profile fields of the current user."""
    identity = current_identity()
    return _profile(identity, _row(identity.id))


@bp.route("/profile", methods=["PUT", "PATCH"])
@endpoint(body=_model, auth=True)
def update_profile(body: Any):
    """Partial update: omitted fields stay, ``null`` clears."""
    identity = current_identity()
    return _profile(identity, _save(identity.id, body.model_dump(exclude_unset=True)))


def _save(user_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    with transaction():
        hold_account(user_id)  # a deleted account gets no profile row behind its user_deleted
        row = {**_row(user_id), **changes}
        missing = {
            name: "field required"
            for name, spec in plugin_settings("profile").fields.items()
            if spec.required and row.get(name) is None
        }
        if missing:
            raise ApiError(422, "validation_error", "some fields are invalid", fields=missing)
        _upsert(tuple(sorted(changes))).run(user_id=user_id, updated_at=now(), **changes)
    return row


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


def create_profiles(db):
    table = db.create_table(TABLE)
    table.create_column("user_id", db.types.integer)
    table.create_column("updated_at", db.types.float)
    for name, spec in BUILTIN.items():
        table.create_column(name, COLUMN_TYPES[spec.type](db))
    db.query(f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_user ON {TABLE} (user_id)")


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


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return bp


@hookimpl
def register_migrations():
    return [Migration("profile", "0001_profiles", create_profiles)]


@hookimpl
def startup(app):
    settings = plugin_settings("profile")
    # The update body depends on the declared fields: built once per app.
    app.extensions["profile.model"] = update_model(settings)
    if get_db().has_table(TABLE):  # not yet in production before `flask migrate`
        ensure_columns(get_db(), all_fields(settings))


@hookimpl
def user_deleted(user_id):
    with transaction() as db:
        db[TABLE].delete(user_id=user_id)


@hookimpl
def user_export(user_id):
    return {"profile": _fields(_row(user_id))}
