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
