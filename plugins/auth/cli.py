"""``annex users …``: manage accounts; ``annex mail …``: read and test the mail auth sends."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from core import get_settings, hooks, plugin_settings, second_factors, sign_in_methods, transaction
from plugins.auth import (
    accounts,
    activity,
    invites,
    mail,
    mailfiles,
    notices,
    onetime,
    passwords,
    sessions,
    templating,
)
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


def _listed(user: dict) -> dict:
    """The account's public fields and whether it is disabled (never a hash)."""
    return {**accounts.public(user), "disabled": bool(user["disabled"])}


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of the accounts.")
@click.option("--role", help="Only accounts with this role.")
@click.option("--search", help="Only accounts whose username or email contains this (any case).")
def list_users(as_json: bool, role: str | None, search: str | None) -> None:
    """List the accounts, oldest first: id, username, email, roles, and whether disabled."""
    found = [_listed(user) for user in accounts.all_users(search)]
    if role is not None:
        found = [user for user in found if role in user["roles"]]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return
    for public in found:
        verified = "verified" if public["email_verified"] else "unverified"
        roles = ",".join(public["roles"])
        disabled = "\tdisabled" if public["disabled"] else ""
        click.echo(f"{public['id']}\t{public['username']}\t{public['email']} ({verified})\t{roles}{disabled}")


@users.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def show(name: str, as_json: bool) -> None:
    """NAME's account: public fields, roles, disabled, ways to sign in, second factors, sessions,
    last login and last activity (never a hash or a token)."""
    user = _user(name)
    events = activity.recent(user["id"])
    logins = [event for event in events if event["type"] in ("login", "register")]
    details = {
        **_listed(user),
        "sign_in_methods": sign_in_methods(user["id"]),
        "second_factors": second_factors(user["id"]),
        "sessions": len(sessions.active(user["id"])),
        "last_login": logins[0] if logins else None,
        "last_activity": events[0] if events else None,
    }
    if as_json:
        click.echo(json.dumps(details, ensure_ascii=False))
        return
    verified = "verified" if details["email_verified"] else "unverified"
    for label, value in (
        ("id", details["id"]),
        ("username", details["username"]),
        ("email", f"{details['email']} ({verified})"),
        ("roles", ", ".join(details["roles"]) or "none"),
        ("created", details["created_at"]),
        ("disabled", "yes" if details["disabled"] else "no"),
        ("sign-in methods", ", ".join(details["sign_in_methods"]) or "none"),
        ("second factors", ", ".join(details["second_factors"]) or "none"),
        ("sessions", f"{details['sessions']} active"),
        ("last login", _event(details["last_login"])),
        ("last activity", _event(details["last_activity"])),
    ):
        click.echo(f"{label}: {value}")


def _event(event: dict | None) -> str:
    if event is None:
        return "never"
    where = f" from {event['ip']}" if event["ip"] else ""
    return f"{event['type']} at {event['at']}{where}"


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable NAME: every sign-in is refused (403 account_disabled); its sessions, MFA steps
    and mailed links end now."""
    user = _user(name)
    with transaction():
        if not accounts.set_disabled(user["id"], True):
            raise click.ClickException(f"no user {name}")
        ended = sessions.revoke_all(user["id"])
        onetime.void(user["id"], None)
    activity.record(user["id"], "account_disabled")
    was = " (it was already disabled)" if user["disabled"] else ""
    click.echo(f"disabled {user['username']}{was}: ended {ended} session(s)")


@users.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable NAME again: it signs in as before (its ended sessions stay ended)."""
    user = _user(name)
    if not user["disabled"]:
        click.echo(f"{user['username']} is not disabled: nothing to do")
        return
    if not accounts.set_disabled(user["id"], False):
        raise click.ClickException(f"no user {name}")
    activity.record(user["id"], "account_enabled")
    click.echo(f"enabled {user['username']}")


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
def set_password(name: str, password_stdin: bool) -> None:
    """Give NAME a new password (asked twice, or one line of stdin for scripts): the password
    rules apply, every session and every mailed reset or email-change link of NAME ends."""
    user = _user(name)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n").rstrip("\r")
        if not password:
            raise click.ClickException("no password on standard input")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    settings = plugin_settings("auth")
    problem = passwords.problem(password, settings.password_min_length, user["username"], user["email"])
    if problem:
        raise click.ClickException(f"password {problem}")
    hashed = passwords.hash_password(password, settings.bcrypt_rounds, settings.password_pepper)
    # As a password change: one transaction, so no session or link of the old password outlives it.
    with transaction():
        if not accounts.replace_password(user["id"], hashed, user["password_version"]):
            raise click.ClickException(f"the password of {name} changed meanwhile (or it is gone); try again")
        onetime.void(user["id"], onetime.RESET)
        onetime.void(user["id"], onetime.EMAIL_CHANGE)
        ended = sessions.revoke_all(user["id"])
        notices.password_changed(user, by_operator=True)
    activity.record(user["id"], "password_changed")
    click.echo(f"set the password of {user['username']}; ended {ended} session(s)")


@users.command("verify")
@click.argument("name")
def verify(name: str) -> None:
    """Mark NAME's email address verified."""
    user = _user(name)
    if user["email_verified"]:
        click.echo(f"{user['email']} of {user['username']} was already verified")
        return
    accounts.set_email_verified(user["id"])
    activity.record(user["id"], "email_verified")
    click.echo(f"marked {user['email']} of {user['username']} verified")


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


@mail_group.command("preview")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def preview_mail(folder: Path) -> None:
    """Write every message auth sends, in every language it has templates for (the owner's
    templates_dir first), with example values, as FOLDER/<message>.<locale>.txt and .html: open
    the HTML in a browser to see what readers get."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, variables in mail.SAMPLES.items():
        for locale in templating.available():
            values = {**templating.site_variables(), **variables}
            rendered = templating.render(name, [locale, templating.DEFAULT_LOCALE], values)
            if rendered.locale != locale:
                continue  # an owner's language without this message: readers get the default's
            (folder / f"{name}.{locale}.txt").write_text(f"Subject: {rendered.subject}\n\n{rendered.text}")
            (folder / f"{name}.{locale}.html").write_text(rendered.html)
            written += 1
    click.echo(f"wrote {written} messages (text and HTML) to {folder}")


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
