"""The auth plugin: accounts, sessions, JWTs in a header or cookies, CSRF, reset and verification.

Built only on core's public API and hooks, as a third-party plugin would be.
"""

from __future__ import annotations

from core import hookimpl
from plugins.auth import accounts, activity, checks, guard, mail, routes, sessions, testkit
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
