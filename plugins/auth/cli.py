"""``annex users …``: manage accounts; ``annex mail …``: read and test the mail auth sends."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from core import get_settings, hooks, plugin_settings, transaction
from plugins.auth import accounts, invites, mail, mailfiles, passwords, sessions
from plugins.auth.bodies import USERNAME, check_email

users = AppGroup("users", help="Manage user accounts.")
mail_group = AppGroup("mail", help="Read the file backend's messages; send a test message.")


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


@users.command("invite")
@click.argument("email")
@click.option("--role", "roles", multiple=True, help="Role the account gets on register (repeatable).")
def invite(email: str, roles: tuple[str, ...]) -> None:
    """Mail EMAIL a single-use invitation to register (7 days); prints the link too."""
    try:
        email = check_email(email)
    except ValueError as exc:
        raise click.ClickException(f"email: {exc}") from None
    if accounts.find_by_email(email) is not None:
        raise click.ClickException(f"{email} already has an account")
    with transaction():
        url = mail.invitation_message(email, invites.create(email, roles))
    settings = plugin_settings("auth")
    granted = ", ".join(dict.fromkeys([*settings.default_roles, *roles]))
    click.echo(
        f"invited {email} (roles on register: {granted}); mailed through {settings.mail_backend}: {url}"
    )
    if settings.registration == "closed":
        click.echo(
            "note: plugins.auth.registration is closed: the invitation works once it is open or invite"
        )


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


def _stored() -> list:
    """The file backend's messages, newest first; a one-line error when there are none."""
    settings = plugin_settings("auth")
    found = mailfiles.newest_first(Path(settings.mail_dir))
    if not found:
        where = (
            "" if settings.mail_backend == "file" else f" (mail_backend is {settings.mail_backend}, not file)"
        )
        raise click.ClickException(f"no mail in {settings.mail_dir}{where}")
    return found


@mail_group.command("list")
def list_mail() -> None:
    """The messages in mail_dir, newest first: number, date, to, subject."""
    for number, message in enumerate(_stored(), 1):
        click.echo(f"{number}\t{message['Date']}\t{message['To']}\t{message['Subject']}")


@mail_group.command("show")
@click.argument("number", type=int, default=1)
def show_mail(number: int) -> None:
    """Headers, text and links of message NUMBER (1, the default, is the latest)."""
    found = _stored()
    if not 1 <= number <= len(found):
        raise click.ClickException(f"no message {number}: there are {len(found)} (1 is the latest)")
    message = found[number - 1]
    for header in ("Date", "From", "To", "Subject"):
        click.echo(f"{header}: {message[header]}")
    text = mailfiles.text_of(message)
    click.echo("")
    click.echo("(no text body)" if text is None else text.rstrip("\n"))
    links = mailfiles.links_in(text or "")
    click.echo("")
    click.echo("Links:" if links else "Links: none")
    for url in links:
        click.echo(f"  {url}")


@mail_group.command("test")
@click.argument("address")
def test_mail(address: str) -> None:
    """Send a test message to ADDRESS through the configured backend, now (not via the outbox)."""
    try:
        address = check_email(address)
    except ValueError as exc:
        raise click.ClickException(f"address: {exc}") from None
    site = get_settings().site.url
    message = mail.compose(
        address, "Annex test message", f"This is a test message from the Annex site at {site}.\n"
    )
    try:
        delivered = hooks().send_email(message=message)
    except Exception as exc:  # the backend's own reason, on one line
        raise click.ClickException(f"not sent: {type(exc).__name__}: {exc}") from None
    if not delivered:
        raise click.ClickException("not sent: no send_email backend took the message")
    backend = plugin_settings("auth").mail_backend
    where = f" in {plugin_settings('auth').mail_dir}" if backend == "file" else ""
    click.echo(f"sent a test message to {address} (auth mail_backend {backend}{where})")
