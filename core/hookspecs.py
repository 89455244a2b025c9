"""Every hook a plugin can implement: this module is the plugin contract.

Each docstring is the hook's reference documentation (docs/plugins.md is generated from them):
arguments, return value, what ``None`` means, and an example. Built-in plugins implement exactly
these hooks, nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from email.message import EmailMessage
    from pathlib import Path

    import click
    from flask import Blueprint, Flask, Request, Response
    from pydantic import BaseModel

    from core.deploycheck import Finding
    from core.identity import Identity
    from core.migrations import Migration

hookspec = pluggy.HookspecMarker("annex")


# -------------------------------------------------------------------------------------------------
# start-up: what a plugin contributes
# -------------------------------------------------------------------------------------------------


@hookspec
def register_settings() -> type[BaseModel] | None:
    """Declare the pydantic model that validates this plugin's ``[plugins.<name>]`` section.

    Called once at start-up, before anything else of the plugin. Unknown keys in the section are
    start-up errors naming the key and the file (give the model ``extra="forbid"``, as
    ``core.Section`` does). The validated instance is read back with ``core.plugin_settings(name)``.

    :return: a model class whose fields all have defaults, or None when the plugin has no settings.

    Example::

        from core import Section, hookimpl

        class Settings(Section):
            greeting: str = "hello"

        @hookimpl
        def register_settings():
            return Settings
    """


@hookspec
def register_routes(app: Flask) -> Blueprint | list[Blueprint] | None:
    """Return the Blueprint(s) that serve this plugin's routes.

    Declare views with ``core.endpoint`` so their bodies are validated and they appear in
    ``/api/openapi.json``. Called once per app, after settings are validated.

    :param app: the application being built (read settings from it; do not register on it).
    :return: a Blueprint, a list of them, or None.

    Example::

        from flask import Blueprint
        from core import current_identity, endpoint, hookimpl

        bp = Blueprint("hello", __name__, url_prefix="/api/hello")

        @bp.get("")
        @endpoint(auth=True)
        def hello():
            return {"hello": current_identity().username}

        @hookimpl
        def register_routes(app):
            return bp
    """


@hookspec
def register_migrations() -> list[Migration] | None:
    """Return this plugin's migrations, in the order they must be applied.

    Each ``Migration(plugin, id, up)`` runs once per database inside a transaction and is
    recorded in ``annex_migrations``; ``up(db)`` receives the dataset Database. Ids sort as
    strings, so number them ``0001_create_items``. Tables a plugin creates start with its name.

    :return: a list of ``core.Migration``, or None.

    Example::

        from core import Migration, hookimpl

        def create_items(db):
            db.create_table("hello_items")
            db.query("CREATE INDEX IF NOT EXISTS hello_items_user ON hello_items (user_id)")

        @hookimpl
        def register_migrations():
            return [Migration("hello", "0001_create_items", create_items)]
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to ``flask --app core`` (and ``annex``).

    :param cli: the app's command group; call ``cli.add_command(...)``.
    :return: nothing.

    Example::

        import click
        from core import hookimpl

        @click.command("hello")
        def hello_command():
            click.echo("hello")

        @hookimpl
        def register_commands(cli):
            cli.add_command(hello_command)
    """


@hookspec
def startup(app: Flask) -> None:
    """Called once when the app is fully built: routes, commands and migrations are in place.

    :param app: the application.
    :return: nothing.

    Example::

        from core import hookimpl

        @hookimpl
        def startup(app):
            app.logger.info("hello plugin ready")
    """


# -------------------------------------------------------------------------------------------------
# requests: who is asking, and may they
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def identify_request(request: Request) -> Identity | None:
    """Say who sent ``request``. Stops at first non-None result.

    Called lazily, at most once per request, the first time ``current_identity()`` is needed.
    Return None for "not mine" (no credentials this plugin understands) so the next plugin is
    asked. Raise ``ApiError`` (a 401 with your own code, e.g. ``core.unauthorized("key_revoked",
    …)``) to refuse credentials that are yours but bad.

    :param request: the Flask request.
    :return: a ``core.Identity``, or None.

    Example::

        from core import Identity, hookimpl

        @hookimpl
        def identify_request(request):
            if request.headers.get("X-Demo-User") == "alice":
                return Identity(id=1, username="alice", roles=frozenset({"member"}))
            return None
    """


@hookspec(firstresult=True)
def verify_password(user_id: int, password: str) -> bool | None:
    """Check a user's password again (re-authentication before a dangerous action).

    Stops at first non-None result. Implemented by the plugin that owns accounts.

    :param user_id: the account's id.
    :param password: what the user typed.
    :return: True or False, or None when this plugin does not know the user.

    Example::

        from core import hookimpl
        from annex_hello.passwords import check

        @hookimpl
        def verify_password(user_id, password):
            return check(user_id, password)
    """


@hookspec
def permission_allowed(identity: Identity | None, action: str, resource: str) -> bool | None:
    """Give an opinion on whether ``identity`` may do ``action`` on ``resource``.

    Every implementation is asked; ``core.permission_allowed()`` combines the answers: any
    False denies, otherwise any True allows, otherwise the caller's default applies (usually
    deny). Defaults that others may refine, such as role rules read from config, are
    ``trylast=True``.

    :param identity: who is asking (None when anonymous).
    :param action: what, e.g. ``"notes.read"``.
    :param resource: on what, e.g. ``"premium/index.html"``.
    :return: True, False, or None for no opinion.

    Example::

        from core import hookimpl

        @hookimpl
        def permission_allowed(identity, action, resource):
            if action == "notes.read" and resource.startswith("staff/"):
                return identity is not None and "staff" in identity.roles
            return None
    """


@hookspec
def extra_token_claims(identity: Identity) -> dict[str, Any] | None:
    """Add claims to access tokens issued for ``identity``.

    Every implementation's dict is merged; the registered claims (``iss``, ``sub``, ``sid``…)
    cannot be overridden.

    :param identity: the user the token is for.
    :return: a dict of JSON-serialisable claims, or None.

    Example::

        from core import hookimpl

        @hookimpl
        def extra_token_claims(identity):
            return {"plan": "gold"}
    """


# -------------------------------------------------------------------------------------------------
# signing in: the accounts owner answers, method and factor plugins ask (core/signin.py)
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def start_session(user_id: int, methods: list[str], multi_factor: bool) -> Response | None:
    """Finish a sign-in that a method plugin proved (``core.sign_in``): a session, or the MFA challenge.

    Stops at first non-None result. Implemented by the plugin that owns accounts and sessions;
    it answers as its own password login does (token body and cookies), or ``401 mfa_required``
    when the user has a second factor and ``multi_factor`` is false, and refuses a disabled
    account.

    :param user_id: the account the first step proved.
    :param methods: the RFC 8176 ``amr`` values of that step (``["hwk"]``, ``["fed"]``…).
    :param multi_factor: the step was already multi-factor (no second factor is asked for).
    :return: the response to send, or None when this plugin does not own sessions.

    Example::

        from core import hookimpl
        from myaccounts import sessions

        @hookimpl
        def start_session(user_id, methods, multi_factor):
            return sessions.respond_with_tokens(user_id, methods)
    """


@hookspec(firstresult=True)
def find_account(email: str) -> dict[str, Any] | None:
    """The account with this email address, for a method plugin (``core.find_account``).

    Stops at first non-None result. Implemented by the plugin that owns accounts; compare the
    address case-insensitively.

    :param email: an email address.
    :return: the account's public fields (``id``, ``username``, ``email``, ``email_verified``,
        ``roles``), or None when there is none.

    Example::

        from core import hookimpl, one

        @hookimpl
        def find_account(email):
            return one("SELECT id, username, email FROM my_users WHERE lower(email) = lower(:e)", e=email)
    """


@hookspec(firstresult=True)
def create_account(
    email: str, method: str, username: str | None, email_verified: bool, invite: str | None
) -> dict[str, Any] | None:
    """Create an account without a password (``core.create_account``).

    Stops at first non-None result. The plugin that owns accounts applies the site's
    registration rule to every way an account is made, raising ``ApiError`` (``403
    registration_closed``, ``409`` for a taken email); it picks a free username when none is
    given, and runs ``user_created``.

    :param email: the new account's address.
    :param method: the ``amr`` value of the method that signs the person up (``"fed"``…).
    :param username: a wished-for username, or None.
    :param email_verified: the method proved the address (a provider's verified email).
    :param invite: an invitation token, where registration is by invitation.
    :return: the account as ``find_account`` returns it, or None when this plugin owns no accounts.

    Example::

        from core import hookimpl
        from myaccounts import accounts

        @hookimpl
        def create_account(email, method, username, email_verified, invite):
            return accounts.insert(email=email, username=username or email.split("@")[0])
    """


@hookspec
def second_factors(user_id: int) -> list[str] | None:
    """The second factors this plugin holds for ``user_id`` (``core.second_factors``).

    Every implementation is asked; the owner of sessions asks before it opens a session, and
    challenges for a second factor when any is enrolled.

    :param user_id: the account.
    :return: factor names this plugin verifies (``["sms", "recovery_code"]``), or None.

    Example::

        from core import hookimpl, scalar

        @hookimpl
        def second_factors(user_id):
            enrolled = scalar("SELECT 1 FROM sms_numbers WHERE user_id = :u", u=user_id)
            return ["sms"] if enrolled else None
    """


@hookspec(firstresult=True)
def verify_factor(user_id: int, factor: str, proof: dict[str, Any]) -> str | bool | None:
    """Check a second factor or a re-authentication proof (``core.verify_factor``).

    Stops at first non-None result: answer only for the factors you hold. Make single-use
    proofs single-use here (a code that succeeded once is refused when presented again).

    :param user_id: the account.
    :param factor: the factor's name (``"sms"``, ``"recovery_code"``, ``"passkey"``…).
    :param proof: what the client sent (``{"code": "123456"}``, ``{"credential": {…}}``).
    :return: the RFC 8176 ``amr`` value the proof establishes (``"otp"``) when it is right,
        False when it is wrong, None when ``factor`` is not this plugin's.

    Example::

        from core import hookimpl
        from mysms import codes

        @hookimpl
        def verify_factor(user_id, factor, proof):
            if factor != "sms":
                return None
            return "sms" if codes.check(user_id, proof.get("code", "")) else False
    """


@hookspec(firstresult=True)
def mfa_challenge_user(mfa_token: str) -> int | None:
    """The user an open MFA challenge is for (``core.mfa_user``), so that a factor plugin can
    build its options for that user (a passkey's ``allowCredentials``).

    Stops at first non-None result. Implemented by the owner of sessions; it does not use up
    the token.

    :param mfa_token: the ``mfa.token`` of a ``401 mfa_required`` answer.
    :return: the user's id, or None for an unknown, used or expired token.

    Example::

        from core import hookimpl
        from myaccounts import challenges

        @hookimpl
        def mfa_challenge_user(mfa_token):
            return challenges.user_of(mfa_token)
    """


@hookspec(firstresult=True)
def check_recent_auth(identity: Identity, proof: dict[str, Any]) -> bool | None:
    """Let a sensitive action go ahead only after a recent proof (``core.require_recent_auth``).

    Stops at first non-None result. Implemented by the owner of sessions: the identity's
    last proof (``auth_time``) is recent enough, or ``proof`` (``{"password"}``, ``{"code"}``,
    ``{"credential"}``) proves a factor now; else it raises ``ApiError(403, "reauth_required")``.

    :param identity: the signed-in user.
    :param proof: the proof fields the request carried (may be empty).
    :return: True when the action may go ahead, None when this plugin owns no sessions.

    Example::

        import time

        from core import ApiError, hookimpl

        @hookimpl
        def check_recent_auth(identity, proof):
            if identity.auth_time and time.time() - identity.auth_time < 300:
                return True
            raise ApiError(403, "reauth_required", "sign in again first")
    """


@hookspec
def sign_in_methods(user_id: int) -> list[str] | None:
    """The ways ``user_id`` can sign in through this plugin (``core.sign_in_methods``), so that
    the last one is never removed (``core.ensure_not_last_method``).

    Every implementation is asked.

    :param user_id: the account.
    :return: one entry per credential (``["passkey", "passkey"]`` for two passkeys,
        ``["password"]``), or None.

    Example::

        from core import hookimpl, rows

        @hookimpl
        def sign_in_methods(user_id):
            return ["sms"] * len(rows("SELECT 1 FROM sms_numbers WHERE user_id = :u", u=user_id))
    """


@hookspec
def account_event(user_id: int, event: str, details: dict[str, Any]) -> None:
    """Something happened to an account (``core.account_event``): a factor enrolled, a passkey
    removed, a clone suspected.

    Every implementation is called; the owner of accounts records it in the account's activity
    and mails the owner a security notice when ``details`` has ``notice``: ``"factor_added"`` or
    ``"factor_removed"`` for a sign-in method or second factor, with ``method`` (a short kind
    such as ``"passkey"``, which the notice's template shows in words) and optionally ``name``
    (the user's label for it). Called inside the caller's transaction, if any.

    :param user_id: the account.
    :param event: a name such as ``"mfa_enabled"`` or ``"passkey_added"``.
    :param details: JSON values describing it (never a secret); ``notice``, ``method`` and
        ``name`` as above.
    :return: nothing.

    Example::

        import logging

        from core import hookimpl

        @hookimpl
        def account_event(user_id, event, details):
            logging.getLogger("audit").info("user %s: %s %s", user_id, event, details)
    """


@hookspec(firstresult=True)
def end_sessions(user_id: int, keep: Any) -> int | None:
    """End a user's sessions (``core.end_sessions``), after a second factor was enrolled, say.

    Stops at first non-None result. Implemented by the owner of sessions.

    :param user_id: the account.
    :param keep: a session id to keep (the current one), or None to end all.
    :return: how many sessions ended, or None when this plugin owns no sessions.

    Example::

        from core import hookimpl
        from myaccounts import sessions

        @hookimpl
        def end_sessions(user_id, keep):
            return sessions.revoke_all(user_id, except_id=keep)
    """


# -------------------------------------------------------------------------------------------------
# account life cycle: every plugin keeps or drops its own data
# -------------------------------------------------------------------------------------------------


@hookspec
def user_created(user: dict[str, Any]) -> None:
    """Called after an account was created.

    :param user: the public account fields (``id``, ``username``, ``email``, ``roles``…).
    :return: nothing.

    Example::

        from sqlalchemy import insert
        from core import execute, hookimpl, transaction
        from annex_hello.schema import items

        @hookimpl
        def user_created(user):
            with transaction():
                execute(insert(items).values(user_id=user["id"], text="welcome"))
    """


@hookspec
def user_deleted(user_id: int) -> None:
    """Called when an account is deleted: drop every row of yours that names ``user_id``.

    Every implementation runs in the delete's one transaction, after the account's owner has
    held it exclusively (see ``hold_account``), so no write of the user can land afterwards.

    :param user_id: the deleted account's id.
    :return: nothing.

    Example::

        from sqlalchemy import delete
        from core import execute, hookimpl
        from annex_hello.schema import items

        @hookimpl
        def user_deleted(user_id):
            execute(delete(items).where(items.c.user_id == user_id))  # joins the delete's transaction
    """


@hookspec(firstresult=True)
def hold_account(user_id: int) -> bool | None:
    """Keep the account ``user_id`` from being deleted until the current transaction ends.

    Stops at first non-None result. Implemented by the plugin that owns accounts; every other
    plugin calls ``core.hold_account(user_id)`` first thing inside the ``transaction()`` of a
    write that stores rows naming the user, so the write and the account's deletion are
    ordered: either the write commits first and ``user_deleted`` then drops its rows, or the
    deletion commits first and the write is refused. The owner takes a shared lock on the
    account inside the current transaction (its delete takes the exclusive one before calling
    ``user_deleted``); on SQLite the transaction's write lock already orders them.

    :param user_id: the account's id.
    :return: True when the account exists and is held until the transaction ends, False when
        it is gone (``core.hold_account`` then answers ``401 unauthorized``; an owner may raise
        its own ``ApiError`` instead), None when this plugin does not own accounts.

    Example::

        from core import hookimpl
        from annex_myaccounts import my_accounts

        @hookimpl
        def hold_account(user_id):
            return my_accounts.lock_shared(user_id)  # False once the account is gone
    """


@hookspec
def user_export(user_id: int) -> dict[str, Any] | None:
    """Return this plugin's data about ``user_id`` for the account export.

    The answers are merged into one JSON document; use your plugin's name as the section.
    Never include password hashes or tokens.

    :param user_id: the account's id.
    :return: ``{section: JSON-serialisable data}``, or None.

    Example::

        from sqlalchemy import select
        from core import hookimpl, rows
        from annex_hello.schema import items

        @hookimpl
        def user_export(user_id):
            return {"hello": rows(select(items.c.text).where(items.c.user_id == user_id))}
    """


@hookspec(firstresult=True)
def user_locale(user_id: int) -> str | None:
    """The language the user ``user_id`` reads, as they chose it. Stops at first non-None result.

    Implemented by the plugin that keeps a user's preferences; a plugin that writes to users
    (mail, notices) calls ``core.user_locale(user_id)`` and falls back to the request's
    ``Accept-Language``, then ``site.locale``, when the answer is None.

    :param user_id: the account's id.
    :return: a BCP 47 language tag (``"de"``, ``"de-AT"``; ``core.language_tag`` checks one), or
        None when the user chose none or this plugin does not keep it.

    Example::

        from core import hookimpl
        from annex_prefs import preferences

        @hookimpl
        def user_locale(user_id):
            return preferences.of(user_id).get("language")  # None: not chosen
    """


# -------------------------------------------------------------------------------------------------
# services
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def send_email(message: EmailMessage) -> bool | None:
    """Deliver one email. Stops at first non-None result.

    The built-in console backend is ``trylast=True``, so any other implementation wins. Plugins
    do not call this hook: they queue mail with ``core.queue_email(message)``, and core's outbox
    sender calls it after the request answered. Raise (or return None from every backend) and
    the message stays queued and is retried later.

    :param message: a complete ``email.message.EmailMessage`` (From, To, Subject, body).
    :return: True once delivered (or queued), None to let the next backend try.

    Example::

        from core import hookimpl

        outbox = []  # a test double: keeps the messages instead of sending them

        @hookimpl
        def send_email(message):
            outbox.append(message)
            return True
    """


# -------------------------------------------------------------------------------------------------
# checks and tests: what a plugin says about itself
# -------------------------------------------------------------------------------------------------


@hookspec
def deploy_check(app: Flask) -> list[Finding] | None:
    """Report what this plugin's settings get wrong in production, for ``annex check --deploy``.

    Every implementation is asked, in the order plugins are enabled, inside an app context; the
    command lists core's findings and then the plugins', errors first, and exits non-zero when
    any is an error. Check only your own ``[plugins.<name>]`` section.

    :param app: the application as configured for production.
    :return: a list of ``core.Finding(level, setting, problem, fix)`` (``level`` is ``"error"``
        or ``"warning"``), or None when all is well.

    Example::

        from core import Finding, hookimpl, plugin_settings

        @hookimpl
        def deploy_check(app):
            if plugin_settings("hello").greeting == "hello":
                return [Finding("warning", "plugins.hello.greeting", "is the default", "set it")]
            return None
    """


@hookspec
def testkit_settings(folder: Path) -> dict[str, Any] | None:
    """Settings of this plugin's ``[plugins.<name>]`` section in the apps of the test kit.

    The test kit (``core.testing``) asks every enabled plugin before it builds an app, so that
    tests run fast and touch nothing outside ``folder`` (cheap password hashing, mail written to
    files). A test's own ``annex_config`` overrides them.

    :param folder: a fresh directory of this test app's own.
    :return: a dict of settings, or None.

    Example::

        from core import hookimpl

        @hookimpl
        def testkit_settings(folder):
            return {"spool_dir": str(folder / "spool")}
    """


@hookspec(firstresult=True)
def testkit_user(client: Any, username: str, email: str, password: str) -> dict[str, Any] | None:
    """Create an account and sign it in, for the test kit's ``annex_user`` and ``check_plugin``.

    Stops at first non-None result. Implemented by an identity plugin (the one that owns
    accounts and issues tokens), through its own routes on ``client`` as a user would.

    :param client: a Flask test client of the app; cookies it keeps are the user's session.
    :param username: the new account's username.
    :param email: its email address.
    :param password: its password.
    :return: ``{"id", "access_token"}`` (a Bearer token), optionally ``"refresh_token"`` and
        ``"body"`` (what the sign-in answered), or None when this plugin makes no accounts.

    Example::

        from core import hookimpl

        @hookimpl
        def testkit_user(client, username, email, password):
            body = client.post("/api/hello/join", json={"name": username}).get_json()
            return {"id": body["id"], "access_token": body["token"]}
    """
