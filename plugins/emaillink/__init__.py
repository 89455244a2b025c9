"""The emaillink plugin: sign in with a link or a 6-digit code sent by mail.

``POST /api/emaillink`` mails both; ``POST /api/emaillink/confirm`` spends one (the other with
it) and ends like every sign-in, through ``core.sign_in``: the session, or the MFA challenge.
Accounts are reached only through core (``find_account``, ``create_account``), mail goes through
core's outbox, as a third-party plugin's would.
"""

from __future__ import annotations

from core import hookimpl
from plugins.emaillink import links, routes
from plugins.emaillink.schema import MIGRATIONS
from plugins.emaillink.settings import Settings


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
def user_deleted(user_id):
    links.drop_user(user_id)


@hookimpl
def user_export(user_id):
    """When sign-in mails were sent and used; never a token, a code or a hash of one."""
    sent = links.history(user_id)
    return {"emaillink": {"mails": sent}} if sent else None
