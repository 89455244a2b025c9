"""A third-party plugin that keeps rows naming users and orders its writes against the account's
deletion with ``core.hold_account``, as docs/plugins.md teaches. It imports only from ``core``."""

from __future__ import annotations

from flask import Blueprint

from core import Migration, current_identity, endpoint, get_db, hold_account, hookimpl, transaction

TABLE = "scribe_lines"
bp = Blueprint("scribe", __name__, url_prefix="/api/scribe")


def write(user_id: int, text: str) -> None:
    """Store one line of ``user_id`` (inside an outer transaction, or in its own)."""
    with transaction() as db:
        hold_account(user_id)
        db[TABLE].insert({"user_id": user_id, "text": text})


def lines_of(user_id: int) -> list[str]:
    if not get_db().has_table(TABLE):
        return []
    return [row["text"] for row in get_db()[TABLE].find(user_id=user_id)]


@bp.post("")
@endpoint(auth=True, status=201)
def add():
    """Store a line for the current user."""
    write(current_identity().id, "hello")
    return {"ok": True}


def create_lines(db):
    table = db.create_table(TABLE)
    table.create_column("user_id", db.types.integer)
    table.create_column("text", db.types.text)


@hookimpl
def register_routes(app):
    return bp


@hookimpl
def register_migrations():
    return [Migration("scribe", "0001_lines", create_lines)]


@hookimpl
def user_deleted(user_id):
    with transaction() as db:
        db[TABLE].delete(user_id=user_id)


@hookimpl
def user_export(user_id):
    return {"scribe": lines_of(user_id)}
