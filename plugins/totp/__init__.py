"""The totp plugin: authenticator-app codes (RFC 6238) and recovery codes as second factors.

It reaches the accounts owner only through core: ``second_factors`` and ``verify_factor`` let
it challenge and check; step-up, ending sessions and the activity go through core's functions.
"""

from __future__ import annotations

from core import hookimpl
from plugins.totp import enrolments, recovery, routes
from plugins.totp.schema import MIGRATIONS
from plugins.totp.settings import Settings


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
def second_factors(user_id):
    return enrolments.factors(user_id)


@hookimpl
def verify_factor(user_id, factor, proof):
    """``totp`` and ``recovery_code``, each ``{"code"}``: ``"otp"`` when right (and spent)."""
    if factor == "totp":
        return "otp" if enrolments.accept(user_id, proof.get("code")) else False
    if factor == "recovery_code":
        return "otp" if recovery.use(user_id, proof.get("code")) else False
    return None


@hookimpl
def user_deleted(user_id):
    enrolments.remove(user_id)


@hookimpl
def user_export(user_id):
    """Whether it is on and how many codes are left: never the secret, never a code."""
    return {"totp": enrolments.status(user_id)}
