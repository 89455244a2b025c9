"""What auth's route modules share: the signed-in account, its password checks and hashes, new
sessions, the limits read at request time and the empty answer that may clear the cookies.

The route modules import this, never each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, request

from core import client_ip, current_identity, transaction
from plugins.auth import accounts, guard, onetime, passwords, responses, sessions
from plugins.auth.cookies import CookieNames, clear_auth_cookies
from plugins.auth.settings import settings

#: OpenAPI's words for the 429 of a route that asks for the password again.
RECHECK_LIMITED = "too many password checks for this session or account; see Retry-After"


def limit(name: str) -> Callable[[], str]:
    """A limit read from ``[plugins.auth.limits]`` at request time."""
    return lambda: getattr(settings().limits, name)


def cookie_names() -> CookieNames:
    return CookieNames.for_settings(settings().cookie_secure)


#: The 401 of a wrong login or password.
invalid_credentials = responses.invalid_credentials


def no_content(clear_cookies: bool = False) -> Response:
    response = Response(status=204)
    if clear_cookies and "cookie" in settings().transports:
        clear_auth_cookies(response, cookie_names())
    return response


def password_hash(password: str) -> str:
    s = settings()
    return passwords.hash_password(password, s.bcrypt_rounds, s.password_pepper)


def verify(user: dict[str, Any], password: str) -> bool:
    """Re-authentication of the signed-in user: limited per session, failures counted per
    account with login's (see ``guard``); ``429`` once either is spent."""
    return guard.reauthenticate(user, password)


def me_confirmed(password: str) -> dict[str, Any]:
    """The signed-in user's account, once ``password`` is confirmed as theirs (``verify``); else
    the ``401 invalid_credentials`` (or ``429``) of a failed re-authentication."""
    user = me()
    if not verify(user, password):
        raise invalid_credentials()
    return user


def mail_link(user: dict[str, Any], kind: str, compose: Callable[[dict[str, Any], str], Any]) -> None:
    """A new single-use token of ``kind`` and its mail (``compose(user, token)``, to the
    account's address in its language) in one transaction: the outbox sends it once the answer
    has gone, and never for a token rolled back."""
    with transaction():
        token = onetime.create(user["id"], kind)
        if token is not None:  # None: the account was deleted meanwhile
            compose(user, token)


def new_session(user: dict[str, Any], methods: Sequence[str] = ("pwd",)) -> dict[str, Any]:
    """A session of ``user`` proved by ``methods`` (``amr`` values) now, from this request's device."""
    return sessions.create(
        user["id"], settings().session_max_age, request.user_agent.string, client_ip(), methods
    )


def me() -> dict[str, Any]:
    """The signed-in user's account row; a token of a deleted account is revoked."""
    identity = current_identity()
    user = accounts.get(identity.id) if identity else None
    if user is None:
        raise sessions.revoked()
    return user
