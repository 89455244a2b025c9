"""The content plugin: per-user JSON data with ETags, and members-only files under role rules.

It learns who the user is from ``current_identity()`` and never imports the auth plugin.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core import hookimpl, plugin_settings
from plugins.content import data, files
from plugins.content.data_views import bp as data_bp
from plugins.content.schema import MIGRATIONS
from plugins.content.settings import Settings

log = logging.getLogger("annex.content")


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return [data_bp, files.blueprint(plugin_settings("content").url_prefix)]


@hookimpl
def register_migrations():
    return MIGRATIONS


@hookimpl
def startup(app):
    root = Path(plugin_settings("content").root)
    if not root.is_dir():
        log.warning("plugins.content.root %s is not a folder: members pages will all be 404", root.resolve())


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
