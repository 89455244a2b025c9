"""The auth plugin: accounts, sessions, JWTs in a header or cookies, CSRF, reset and verification.

Built only on core's public API and hooks, as a third-party plugin would be.
"""

from __future__ import annotations

from core import hookimpl
from plugins.auth import (
    accounts,
    activity,
    challenges,
    checks,
    guard,
    mail,
    notices,
    registration,
    responses,
    routes,
    sessions,
    signin,
    stepup,
    testkit,
)
from plugins.auth.cli import mail_group, users
from plugins.auth.identify import identify
from plugins.auth.schema import MIGRATIONS
from plugins.auth.settings import Settings


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return routes.BLUEPRINTS


@hookimpl
def register_migrations():
    return MIGRATIONS


@hookimpl
def register_commands(cli):
    cli.add_command(users)
    cli.add_command(mail_group)


@hookimpl
def identify_request(request):
    return identify(request)


@hookimpl
def verify_password(user_id, password):
    """Counted like every password check: a wrong one spends the account's login budget."""
    user = accounts.get(user_id)
    if user is None:
        return None
    return guard.check(user, password)


@hookimpl
def hold_account(user_id):
    """A shared lock on the account row; a deleted account's write is refused as its token is."""
    if not accounts.lock(user_id):
        raise sessions.revoked()
    return True


@hookimpl
def start_session(user_id, methods, multi_factor):
    """Every method's sign-in ends as a password login does: a session or the MFA challenge."""
    user = accounts.get(user_id)
    if user is None:
        raise responses.invalid_credentials()
    return signin.finish(user, methods, multi_factor=multi_factor)


@hookimpl
def mfa_challenge_user(mfa_token):
    challenge = challenges.find(mfa_token)
    return None if challenge is None else challenge["user_id"]


@hookimpl
def check_recent_auth(identity, proof):
    return stepup.check(identity, proof)


@hookimpl
def find_account(email):
    """``disabled`` too, so that a method mails nothing to a disabled account."""
    user = accounts.find_by_email(email) if isinstance(email, str) and "@" in email else None
    return None if user is None else {**accounts.public(user), "disabled": bool(user["disabled"])}


@hookimpl
def create_account(email, method, username, email_verified, invite):
    return registration.create_without_password(email, method, username, email_verified, invite)


@hookimpl
def sign_in_methods(user_id):
    user = accounts.get(user_id)
    return ["password"] if user is not None and user["password_hash"] else None


@hookimpl
def account_event(user_id, event, details):
    """Recorded in the account's activity (its name only: details may be anything); a
    ``notice`` detail (``factor_added`` / ``factor_removed``) mails the owner."""
    activity.record(user_id, event)
    notice = details.get("notice")
    if notice in notices.FACTOR_NOTICES:
        user = accounts.get(user_id)
        if user is not None:
            notices.factor_changed(user, notice, details)


@hookimpl
def end_sessions(user_id, keep):
    return sessions.revoke_all(user_id, keep=keep)


@hookimpl
def user_deleted(user_id):
    accounts.delete_everything_of(user_id)


@hookimpl
def user_export(user_id):
    user = accounts.get(user_id)
    if user is None:
        return None
    return {
        "auth": {
            "account": accounts.public(user),
            "sessions": [
                {key: row[key] for key in ("id", "user_agent", "ip")} for row in sessions.active(user_id)
            ],
            "activity": activity.recent(user_id),
        }
    }


@hookimpl(trylast=True)
def send_email(message):
    return mail.deliver(message)


@hookimpl
def deploy_check(app):
    return checks.deploy_findings()


@hookimpl
def testkit_settings(folder):
    return testkit.settings(folder)


@hookimpl
def testkit_user(client, username, email, password):
    return testkit.signed_in_user(client, username, email, password)
