"""The passkeys plugin: WebAuthn passkeys for passwordless sign-in and as a second factor.

Registration and sign-in use discoverable credentials with user verification (py_webauthn checks
the ceremonies); challenges are single-use and kept server-side. Sessions are auth's business:
a proven passkey ends in ``core.sign_in``, and ``verify_factor`` answers auth's MFA and step-up.
"""

from __future__ import annotations

from core import Finding, get_settings, hookimpl
from plugins.passkeys import ceremonies, challenges, credentials, party, routes
from plugins.passkeys.schema import MIGRATIONS
from plugins.passkeys.settings import Settings, settings


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
    party.check(get_settings().site.url, settings().rp_id)


@hookimpl
def deploy_check(app):
    rp = party.relying_party()
    if party.is_ip_address(rp.id):
        return [
            Finding(
                "error",
                "plugins.passkeys.rp_id",
                f"is the IP address {rp.id}: browsers accept only a domain as relying party id",
                "serve the site under a domain name (site.url) or set rp_id to one",
            )
        ]
    return None


@hookimpl
def second_factors(user_id):
    """A user with a passkey is asked for one after a password sign-in."""
    return ["passkey"] if credentials.count(user_id) else None


@hookimpl
def verify_factor(user_id, factor, proof):
    """A passkey assertion of ``user_id``'s, against a challenge of ``login/options``."""
    if factor != "passkey":
        return None
    credential = proof.get("credential")
    if not isinstance(credential, dict):
        return False
    try:
        _, method = ceremonies.assert_passkey(credential, user_id)
    except ceremonies.Refused:
        return False
    return method


@hookimpl
def sign_in_methods(user_id):
    return ["passkey"] * credentials.count(user_id)


@hookimpl
def user_deleted(user_id):
    credentials.drop_user(user_id)
    challenges.drop_user(user_id)


@hookimpl
def user_export(user_id):
    """Names and dates only: the keys and counters are of no use to the user."""
    return {"passkeys": [credentials.public(row) for row in credentials.of_user(user_id)]}
