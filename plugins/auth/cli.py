"""``flask --app core users …``: manage accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from core import hooks, plugin_settings
from plugins.auth import accounts, passwords, sessions
from plugins.auth.bodies import USERNAME, check_email

users = AppGroup("users", help="Manage user accounts.")


def _user(name: str) -> dict:
    user = accounts.find_by_login(name)
    if user is None:
        raise click.ClickException(f"no user {name}")
    return user


@users.command("create")
@click.argument("name")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, help="Extra role (repeatable).")
def create_user(name: str, email: str, password: str, roles: tuple[str, ...]) -> None:
    """Create an account (the same rules as registration)."""
    settings = plugin_settings("auth")
    if not USERNAME.fullmatch(name):
        raise click.ClickException("username: 3-32 characters of letters, digits, '_', '.' and '-'")
    try:
        email = check_email(email)
    except ValueError as exc:
        raise click.ClickException(f"email: {exc}") from None
    problem = passwords.problem(password, settings.password_min_length, name, email)
    if problem:
        raise click.ClickException(f"password {problem}")
    clash = accounts.conflict(name, email)
    if clash is not None:
        raise click.ClickException(clash.message)
    hashed = passwords.hash_password(password, settings.bcrypt_rounds, settings.password_pepper)
    user = accounts.create(name, email, hashed, [*settings.default_roles, *roles])
    hooks().user_created(user=accounts.public(user))
    click.echo(f"created user {user['username']} (id {user['id']})")


@users.command("list")
def list_users() -> None:
    """List every account."""
    for user in accounts.all_users():
        public = accounts.public(user)
        verified = "verified" if public["email_verified"] else "unverified"
        roles = ",".join(public["roles"])
        click.echo(f"{public['id']}\t{public['username']}\t{public['email']} ({verified})\t{roles}")


@users.command("grant")
@click.argument("name")
@click.argument("role")
def grant(name: str, role: str) -> None:
    """Give NAME the role ROLE."""
    user = _user(name)
    accounts.set_roles(user["id"], [*accounts.roles_of(user), role])
    click.echo(f"{user['username']} now has role {role}")


@users.command("revoke")
@click.argument("name")
@click.argument("role")
def revoke(name: str, role: str) -> None:
    """Take the role ROLE from NAME."""
    user = _user(name)
    accounts.set_roles(user["id"], [r for r in accounts.roles_of(user) if r != role])
    click.echo(f"{user['username']} no longer has role {role}")


@users.command("logout-all")
@click.argument("name")
def logout_all(name: str) -> None:
    """End every session and every unused reset link of NAME."""
    user = _user(name)
    count = sessions.log_out_everywhere(user["id"])
    click.echo(f"ended {count} session(s) of {user['username']}")


@users.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
def delete(name: str, yes: bool) -> None:
    """Delete NAME and every plugin's data of it.

    A person at a terminal is asked first; scripts (stdin not a terminal) are not, so
    ``users delete NAME`` works unattended as the contract writes it.
    """
    user = _user(name)
    if not yes and sys.stdin is not None and sys.stdin.isatty():
        click.confirm(f"delete {user['username']} and all their data?", abort=True)
    if not accounts.delete_account(user["id"]):
        raise click.ClickException(f"no user {name}")
    click.echo(f"deleted {user['username']}")
