"""The apikeys plugin: API keys for scripts, sent as ``Authorization: ApiKey <key>``.

A third-party Annex plugin. It imports nothing but ``core`` (and flask, click, pydantic,
sqlalchemy): its ``identify_request`` turns a key into a ``core.Identity``, so every
authenticated route of every plugin accepts API keys without knowing they exist.
"""

from __future__ import annotations

from annex_apikeys import keys
from annex_apikeys.cli import commands
from annex_apikeys.routes import bp
from annex_apikeys.schema import MIGRATIONS
from annex_apikeys.settings import Settings
from core import hookimpl


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return bp


@hookimpl
def register_migrations():
    return MIGRATIONS


@hookimpl
def register_commands(cli):
    cli.add_command(commands)


@hookimpl
def identify_request(request):
    """``Authorization: ApiKey <key>``; None for any other scheme, so Bearer and cookies go on."""
    return keys.identify(request)


@hookimpl
def user_deleted(user_id):
    keys.remove_all(user_id)


@hookimpl
def user_export(user_id):
    return {"apikeys": [keys.exported(row) for row in keys.of_user(user_id)]}
