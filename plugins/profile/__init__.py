"""The profile plugin: display name, bio, avatar and the custom fields a site declares.

It learns who the user is from ``current_identity()`` and never reads the auth plugin's tables:
the account fields come with the identity.
"""

from __future__ import annotations

from core import get_db, hookimpl
from plugins.profile import profiles, routes
from plugins.profile.model import all_fields, answer_model, update_model
from plugins.profile.schema import MIGRATIONS, TABLE, ensure_columns
from plugins.profile.settings import Settings, settings


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return routes.bp


@hookimpl
def register_migrations():
    return MIGRATIONS


@hookimpl
def startup(app):
    declared = settings()
    # The update body and the answer depend on the declared fields: built once per app.
    app.extensions["profile.model"] = update_model(declared)
    app.extensions["profile.answer"] = answer_model(declared)
    if get_db().has_table(TABLE):  # not yet in production before `flask migrate`
        ensure_columns(get_db(), all_fields(declared))


@hookimpl
def user_locale(user_id):
    """The profile's ``locale``, for whoever writes to the user (None: not chosen)."""
    return profiles.row(user_id).get("locale")


@hookimpl
def user_deleted(user_id):
    profiles.remove(user_id)


@hookimpl
def user_export(user_id):
    return {"profile": profiles.fields(profiles.row(user_id))}
