"""Who may create an account (``plugins.auth.registration``), for every way one is made: the
register route, ``annex users`` and ``core.create_account`` (other sign-in methods).

``open``: anyone (a valid invitation still grants its roles). ``invite``: only with an
unused, unexpired invitation for that very address. ``closed``: nobody (``annex users create``
still can: the operator decides).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core import ApiError, field_error, hooks
from plugins.auth import accounts, activity, invites
from plugins.auth.bodies import USERNAME, check_email
from plugins.auth.settings import settings

#: What a username made from an address may not contain.
_NOT_IN_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")


def closed(message: str = "registration is closed on this site") -> ApiError:
    return ApiError(403, "registration_closed", message)


def admit(email: str, invite: str | None) -> Callable[[int], list[str]] | None:
    """Apply the rule to a registration of ``email``; raises ``403 registration_closed``.

    Returns what the account's creation runs in its transaction to use the invitation up
    (its roles), or None when no invitation is involved.
    """
    mode = settings().registration
    if mode == "closed":
        raise closed()
    if mode == "invite":
        if not invite:
            raise closed("registration is by invitation only")
        if not invites.usable(invite, email):
            raise closed("this invitation is unknown, used, expired or for another address")
    if not invite:
        return None

    def use_up(user_id: int) -> list[str]:
        roles = invites.claim(invite, email, user_id)
        if roles is None and mode == "invite":  # another registration used it meanwhile
            raise closed("this invitation is unknown, used, expired or for another address")
        return roles or []

    return use_up


def free_username(email: str) -> str:
    """A username nobody has, made from the address's local part (``ada.l@…`` → ``ada.l``,
    then ``ada.l2``, ``ada.l3``…)."""
    base = _NOT_IN_USERNAME.sub("", email.partition("@")[0])[:28]
    if len(base) < 3:
        base = f"{base}user"[:28] if base else "user"
    for number in range(1, 1000):
        candidate = base if number == 1 else f"{base}{number}"
        if accounts.find_by_username(candidate) is None:
            return candidate
    raise accounts.taken("username")


def create_without_password(
    email: str, method: str, username: str | None, email_verified: bool, invite: str | None
) -> dict[str, Any]:
    """The ``create_account`` hook: an account with no password, the rule applied."""
    try:
        email = check_email(email)
    except ValueError as exc:
        raise field_error("email", str(exc)) from None
    use_up = admit(email, invite)
    if accounts.find_by_email(email) is not None:
        raise accounts.taken("email")
    if username is not None:
        if not USERNAME.fullmatch(username):
            raise field_error("username", "3-32 characters of letters, digits, '_', '.' and '-'")
        if accounts.find_by_username(username) is not None:
            raise accounts.taken("username")
    name = username or free_username(email)
    user = accounts.create(
        name, email, "", settings().default_roles, email_verified=email_verified, claim=use_up
    )
    activity.record(user["id"], "register")
    public = accounts.public(user)
    hooks().user_created(user=public)
    return public
