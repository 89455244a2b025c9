"""A complete little plugin: settings, a route with validation, a migration, a command, identity.

It imports only from ``core``, like any third-party plugin.
"""

from __future__ import annotations

import click
from flask import Blueprint
from flask.cli import with_appcontext
from pydantic import Field

from core import (
    Body,
    Identity,
    Migration,
    RateLimit,
    Section,
    current_identity,
    endpoint,
    get_db,
    hookimpl,
    plugin_settings,
    transaction,
)


class Settings(Section):
    greeting: str = "hello"
    api_token: str = ""
    per_minute: str = "1000/minute"


class NewNote(Body):
    title: str = Field(min_length=1, max_length=20)
    stars: int = Field(ge=0, le=5)
    tags: list[str] = []


class Search(Body):
    q: str
    limit: int = Field(10, ge=1, le=100)


bp = Blueprint("hello", __name__, url_prefix="/api/hello")


@bp.get("")
@endpoint()
def greet():
    """Say hello to whoever asks."""
    identity = current_identity()
    name = identity.username if identity else "stranger"
    return {"message": f"{plugin_settings('hello').greeting}, {name}"}


@bp.post("/notes")
@endpoint(
    body=NewNote,
    status=201,
    auth=True,
    rate_limits=[RateLimit("notes", lambda: plugin_settings("hello").per_minute)],
)
def create_note(body: NewNote):
    """Store a note for the current user."""
    with transaction() as db:
        note_id = db["hello_notes"].insert(
            {"user_id": current_identity().id, "title": body.title, "stars": body.stars}
        )
    return {"id": note_id, "title": body.title}


@bp.get("/notes/<int:note_id>")
@endpoint(auth=True)
def get_note(note_id: int):
    """One of the current user's notes."""
    row = get_db()["hello_notes"].find_one(id=note_id, user_id=current_identity().id)
    if row is None:
        from core import ApiError

        raise ApiError(404, "not_found", "no such note")
    return {"id": row["id"], "title": row["title"], "stars": row["stars"]}


@bp.delete("/notes/<int:note_id>")
@endpoint(auth=True, status=204)
def delete_note(note_id: int):
    """Delete one of the current user's notes (a second view on the note's path)."""
    with transaction() as db:
        if not db["hello_notes"].delete(id=note_id, user_id=current_identity().id):
            from core import ApiError

            raise ApiError(404, "not_found", "no such note")
    return None


@bp.get("/search")
@endpoint(query=Search)
def search(query: Search):
    """Echo a validated query string."""
    return {"q": query.q, "limit": query.limit}


@bp.get("/admin")
@endpoint(roles=["admin"])
def admin_only():
    """Only for admins."""
    return {"ok": True}


@bp.get("/boom")
def boom():
    raise RuntimeError("secret detail that must not leak")


def create_notes(db):
    db.create_table("hello_notes")
    db["hello_notes"].create_column("user_id", db.types.bigint)
    db["hello_notes"].create_column("title", db.types.text)
    db["hello_notes"].create_column("stars", db.types.integer)
    db.query("CREATE INDEX IF NOT EXISTS hello_notes_user ON hello_notes (user_id)")


def seed_welcome(db):
    db["hello_notes"].insert({"user_id": 0, "title": "welcome", "stars": 5})


@click.command("hello")
@with_appcontext
@click.argument("name")
def hello_command(name):
    """Greet NAME from the command line."""
    click.echo(f"hello, {name}")


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return bp


@hookimpl
def register_migrations():
    # Deliberately listed out of order: ids decide.
    return [Migration("hello", "0002_seed", seed_welcome), Migration("hello", "0001_notes", create_notes)]


@hookimpl
def register_commands(cli):
    cli.add_command(hello_command)


@hookimpl
def identify_request(request):
    """Test identity provider: ``X-Test-User: <id>:<name>[:role,role]``."""
    header = request.headers.get("X-Test-User")
    if not header:
        return None
    user_id, name, *roles = header.split(":")
    return Identity(
        id=int(user_id),
        username=name,
        roles=frozenset(roles[0].split(",")) if roles else frozenset(),
        transport="test",
    )
