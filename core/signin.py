"""Sign-in methods and second factors: what a plugin calls to sign someone in.

A *sign-in method* (a passkey, an OpenID Connect provider, an emailed link…) proves who a user is
and ends in a session; a *second factor* (an authenticator code, a passkey) is asked for after a
first method. Sessions, accounts, the MFA challenge and the step-up rule belong to the plugin
that owns accounts; method and factor plugins reach it only through these functions, each a
hook that plugin implements, so a third party adds a method with the same power as a built-in.

Method values are RFC 8176 ``amr`` words: ``pwd``, ``hwk``/``swk`` (passkeys), ``otp``, ``fed``
(OpenID Connect), ``mail`` (an emailed link or code); ``mfa`` is added when two were used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response

from core.errors import ApiError
from core.identity import Identity, require_identity
from core.state import hooks


class NoAccountOwner(RuntimeError):
    """No enabled plugin owns accounts and sessions (enable one in ``[plugins] enabled``)."""


def _owned(answer: Any, what: str) -> Any:
    if answer is None:
        raise NoAccountOwner(f"no enabled plugin {what}: enable the plugin that owns accounts")
    return answer


def sign_in(user_id: int, methods: Sequence[str], *, multi_factor: bool = False) -> Response:
    """End a successful first step for ``user_id``: the session (token body and cookies, as a
    password login answers), or ``401 mfa_required`` when the user has a second factor.

    :param methods: the ``amr`` values the step proved, e.g. ``["hwk"]``.
    :param multi_factor: the step was already multi-factor (a user-verified passkey): no
        second factor is asked for.
    """
    answer = hooks().start_session(user_id=user_id, methods=list(methods), multi_factor=multi_factor)
    return _owned(answer, "starts sessions")


def find_account(email: str) -> dict[str, Any] | None:
    """The account with this email address (compared case-insensitively), or None.

    ``{"id", "username", "email", "email_verified", "roles", …}``: public fields only.
    """
    return hooks().find_account(email=email)


def create_account(
    email: str,
    *,
    method: str,
    username: str | None = None,
    email_verified: bool = False,
    invite: str | None = None,
) -> dict[str, Any]:
    """Create an account without a password, as ``method`` (an ``amr`` value) signs someone up.

    The owner applies the site's registration rule (``403 registration_closed``, an invitation
    needed) and its own validation (``409`` for a taken email) by raising ``ApiError``; it picks
    a username when none is given. Returns the account as ``find_account`` does.
    """
    answer = hooks().create_account(
        email=email, method=method, username=username, email_verified=email_verified, invite=invite
    )
    return _owned(answer, "creates accounts")


def second_factors(user_id: int) -> list[str]:
    """The second factors ``user_id`` has enrolled (``"sms"``, ``"recovery_code"``, ``"passkey"``…),
    in the order plugins are enabled, each once."""
    found: list[str] = []
    for answer in hooks().second_factors(user_id=user_id):
        found.extend(factor for factor in answer or () if factor not in found)
    return found


def verify_factor(user_id: int, factor: str, proof: Mapping[str, Any]) -> str | None:
    """Check a second factor: the ``amr`` value it proves (e.g. ``"otp"``), or None when it is
    wrong or no plugin knows ``factor``. A factor is single-use where its plugin says so."""
    answer = hooks().verify_factor(user_id=user_id, factor=factor, proof=dict(proof))
    return answer if isinstance(answer, str) and answer else None


def mfa_user(mfa_token: str) -> int | None:
    """The user an open MFA challenge belongs to (a factor plugin builds its options for it:
    a passkey's ``allowCredentials``), or None for an unknown, used or expired token."""
    return hooks().mfa_challenge_user(mfa_token=mfa_token)


def require_recent_auth(proof: Mapping[str, Any] | None = None) -> Identity:
    """The current identity, when it proved a factor recently enough for a sensitive action or
    ``proof`` (the request's ``{"password"}``, ``{"code"}``…) proves one now; else the owner's
    ``403 reauth_required``. ``401`` when nobody is signed in."""
    identity = require_identity()
    _owned(hooks().check_recent_auth(identity=identity, proof=dict(proof or {})), "checks recent sign-ins")
    return identity


def sign_in_methods(user_id: int) -> list[str]:
    """Every way ``user_id`` can sign in, one entry per credential (``"password"``,
    ``"passkey"`` twice for two passkeys, ``"oidc:google"``…)."""
    found: list[str] = []
    for answer in hooks().sign_in_methods(user_id=user_id):
        found.extend(answer or ())
    return found


def ensure_not_last_method(user_id: int, method: str) -> None:
    """Refuse to remove one ``method`` credential when it is the user's last way to sign in:
    ``409 last_sign_in_method``."""
    remaining = sign_in_methods(user_id)
    if method in remaining:
        remaining.remove(method)
    if not remaining:
        message = "this is the account's last way to sign in; add another first"
        raise ApiError(409, "last_sign_in_method", message)


def account_event(user_id: int, event: str, **details: Any) -> None:
    """Tell the account's owner plugin that something happened to the account
    (``"mfa_enabled"``, ``"passkey_added"``…): it records it in the account's activity, and
    mails the owner when ``details`` has ``notice="factor_added"`` / ``"factor_removed"`` (with
    ``method`` and ``name``; the ``account_event`` hook says more). ``details`` are JSON values."""
    hooks().account_event(user_id=user_id, event=event, details=details)


def end_sessions(user_id: int, *, keep_current: bool = True) -> int:
    """End the user's sessions (after a factor was enrolled, say), except the current request's
    one when ``keep_current``; returns how many ended."""
    identity = require_identity() if keep_current else None
    keep = identity.session_id if identity is not None and identity.id == user_id else None
    answer = hooks().end_sessions(user_id=user_id, keep=keep)
    return int(_owned(answer, "ends sessions"))
