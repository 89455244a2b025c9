"""The oidc plugin: sign in with OpenID Connect providers (Google, Keycloak, any certified one).

The authorization code flow with PKCE, the ID token checked against the provider's keys, linked
identities, and accounts made through core's sign-in API: it reaches the accounts owner only
through ``core.sign_in``, ``core.find_account`` and ``core.create_account``.
"""

from __future__ import annotations

from core import hookimpl
from plugins.oidc import flows, identities, routes
from plugins.oidc.schema import MIGRATIONS
from plugins.oidc.settings import Settings


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
def sign_in_methods(user_id):
    return [identities.method(row) for row in identities.of_user(user_id)]


@hookimpl
def user_deleted(user_id):
    identities.remove_all(user_id)
    flows.forget_user(user_id)


@hookimpl
def user_export(user_id):
    """What is linked; no token of the provider is ever kept, so none is exported."""
    return {"oidc": {"identities": [identities.public(row) for row in identities.of_user(user_id)]}}
