"""Implements every hook, from outside plugins/, recording each call: proves third parties can."""

from __future__ import annotations

import click
from flask import Blueprint, jsonify

from core import Finding, Identity, Migration, Section, hookimpl

calls: list[str] = []
bp = Blueprint("allhooks", __name__, url_prefix="/api/allhooks")


@bp.get("")
def index():
    return jsonify({"ok": True})


class Settings(Section):
    flag: bool = False


@hookimpl
def register_settings():
    calls.append("register_settings")
    return Settings


@hookimpl
def register_routes(app):
    calls.append("register_routes")
    return [bp]


@hookimpl
def register_migrations():
    calls.append("register_migrations")
    return [Migration("allhooks", "0001", lambda db: calls.append("migration_up"))]


@hookimpl
def register_commands(cli):
    calls.append("register_commands")
    cli.add_command(click.Command("allhooks", callback=lambda: click.echo("allhooks ran")))


@hookimpl
def startup(app):
    calls.append("startup")


@hookimpl
def identify_request(request):
    calls.append("identify_request")
    if request.headers.get("X-All-Hooks"):
        return Identity(id=7, username="seven", roles=frozenset({"member"}))
    return None


@hookimpl
def verify_password(user_id, password):
    calls.append("verify_password")
    return password == "right" if user_id == 7 else None


@hookimpl
def permission_allowed(identity, action, resource):
    calls.append("permission_allowed")
    if resource.startswith("secret/"):
        return False
    if resource.startswith("open/"):
        return True
    return None


@hookimpl
def extra_token_claims(identity):
    calls.append("extra_token_claims")
    return {"plan": "gold"}


@hookimpl
def user_created(user):
    calls.append("user_created")


@hookimpl
def user_deleted(user_id):
    calls.append("user_deleted")


@hookimpl
def hold_account(user_id):
    """Owns accounts 7 (alive) and 8 (deleted); knows no other."""
    calls.append("hold_account")
    return {7: True, 8: False}.get(user_id)


@hookimpl
def user_export(user_id):
    calls.append("user_export")
    return {"allhooks": {"user": user_id}}


@hookimpl
def user_locale(user_id):
    calls.append("user_locale")
    return "de-AT" if user_id == 7 else None


@hookimpl
def send_email(message):
    calls.append("send_email")
    return True


@hookimpl
def deploy_check(app):
    calls.append("deploy_check")
    return [Finding("warning", "plugins.allhooks.mode", "is a test plugin", "disable it")]


@hookimpl
def testkit_settings(folder):
    calls.append("testkit_settings")
    return {"spool": str(folder)}


@hookimpl
def testkit_user(client, username, email, password):
    calls.append("testkit_user")
    return {"id": 7, "access_token": f"token-of-{username}"}


@hookimpl
def start_session(user_id, methods, multi_factor):
    calls.append("start_session")
    return jsonify({"user": user_id, "amr": methods}) if user_id == 7 else None


@hookimpl
def find_account(email):
    calls.append("find_account")
    return {"id": 7, "username": "seven", "email": email} if email == "seven@example.com" else None


@hookimpl
def create_account(email, method, username, email_verified, invite):
    calls.append("create_account")
    return {"id": 8, "username": username or "eight", "email": email} if method == "test" else None


@hookimpl
def second_factors(user_id):
    calls.append("second_factors")
    return ["sms"] if user_id == 7 else None


@hookimpl
def verify_factor(user_id, factor, proof):
    calls.append("verify_factor")
    if factor != "sms":
        return None
    return "sms" if proof.get("code") == "777777" else False


@hookimpl
def mfa_challenge_user(mfa_token):
    calls.append("mfa_challenge_user")
    return 7 if mfa_token == "challenge-of-seven" else None


@hookimpl
def check_recent_auth(identity, proof):
    calls.append("check_recent_auth")
    return True if identity.id == 7 else None


@hookimpl
def sign_in_methods(user_id):
    calls.append("sign_in_methods")
    return ["sms"] if user_id == 7 else None


@hookimpl
def account_event(user_id, event, details):
    calls.append(f"account_event:{event}")


@hookimpl
def end_sessions(user_id, keep):
    calls.append("end_sessions")
    return 2 if user_id == 7 else None
