"""The content plugin: per-user JSON data with ETags, and members-only files under role rules.

It learns who the user is from ``current_identity()`` and never imports the auth plugin.
"""

from __future__ import annotations

from core import hookimpl
from plugins.content import data, files, routes
from plugins.content.schema import MIGRATIONS
from plugins.content.settings import Settings, settings


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return [routes.data_bp, routes.files_blueprint(settings().url_prefix)]


@hookimpl
def register_migrations():
    return MIGRATIONS


@hookimpl
def startup(app):
    files.warn_if_no_root()


@hookimpl(trylast=True)
def permission_allowed(identity, action, resource):
    """The ``[[plugins.content.rules]]`` of the config; other plugins may add their own opinion."""
    if action != files.READ:
        return None
    return files.rule_opinion(identity, resource)


@hookimpl
def user_deleted(user_id):
    data.remove_all(user_id)


@hookimpl
def user_export(user_id):
    return {"content": {"data": data.all_of(user_id)}}
