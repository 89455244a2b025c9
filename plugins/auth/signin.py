"""The end of a successful first step, whatever the method: a session, or the MFA challenge.

Password login, ``core.sign_in`` (the ``start_session`` hook) and ``POST /api/auth/mfa`` all end
here, so every sign-in answers as login does: the token body and cookies, or ``401
mfa_required`` with no cookie and no token; and a disabled account is refused here, for every
method at once (``403 account_disabled``, only after the method's proof succeeded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response

from core import second_factors, transaction
from plugins.auth import accounts, activity, challenges, devices, notices, service, sessions
from plugins.auth.issuance import token_response
from plugins.auth.responses import DetailedError
from plugins.auth.settings import settings

#: The amr value added when two factors were used.
MFA = "mfa"
#: The amr value of a step that proved the account's mailbox (an emailed link or code): the
#: address is verified by it, as a verification link would.
MAILBOX = "mail"


def mfa_required(token: str, factors: list[str]) -> DetailedError:
    return DetailedError(
        401,
        "mfa_required",
        "a second factor is needed: send it to POST /api/auth/mfa with this token",
        mfa={"token": token, "factors": factors, "expires_in": challenges.LIFETIME},
    )


def combined(first: Sequence[str], factor: str) -> list[str]:
    """The ``amr`` of a first step and a second factor: both, and ``mfa``, each once."""
    methods: list[str] = []
    for value in (*first, factor, MFA):
        if value and value not in methods:
            methods.append(value)
    return methods


def finish(
    user: dict[str, Any],
    methods: Sequence[str],
    *,
    multi_factor: bool = False,
    before: Callable[[], None] | None = None,
    status: int = 200,
) -> Response:
    """A session proved by ``methods``, or the MFA challenge when the user has a second factor
    and the step was not already multi-factor.

    ``before`` runs first inside the transaction that stores the session or the challenge (a
    password login checks there that the password it verified is still the account's); then a
    disabled account is refused, under the account's lock.
    """
    factors = [] if multi_factor else second_factors(user["id"])
    with transaction():
        if before is not None:
            before()
        accounts.refuse_if_disabled(user["id"])
        if factors:
            token = challenges.create(user["id"], methods)
        else:
            session = service.new_session(user, methods)
            device = remember_device(user)  # in the session's transaction: one lock, one commit
            proves_address = MAILBOX in methods and not user["email_verified"]
            if proves_address and accounts.claim_mailbox(user["id"]):
                # Its creator never proved this mailbox: their password and sessions go.
                sessions.revoke_all(user["id"], keep=session["id"])
            if proves_address:
                user = {**user, "email_verified": True}
    if factors:
        raise mfa_required(token, factors)
    if proves_address:
        activity.record(user["id"], "email_verified")
    activity.record(user["id"], "login")
    response = token_response(user, session, session["generation"], status=status)
    give_device_cookie(user, response, device)
    return response


def remember_device(user: dict[str, Any]) -> tuple[str, bool] | None:
    """Remember this browser for ``user`` (``devices.remember``: its id, and whether it is
    news); None on a bearer-only site, which sets no cookie: its clients are not browsers."""
    return devices.remember(user["id"]) if "cookie" in settings().transports else None


def give_device_cookie(user: dict[str, Any], response: Response, device: tuple[str, bool] | None) -> None:
    """The device cookie of ``remember_device`` on ``response``; a device new to an account
    that had one already mails the owner (an account's first is not news)."""
    if device is None:
        return
    device_id, new = device
    devices.set_cookie(response, device_id)
    if new:
        notices.new_device(user)
