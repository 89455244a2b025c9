"""Single-use tokens for password reset, email verification, email change and the sign-in link
of a lockout notice: stored hashed,
30 minutes unless a kind says otherwise; a token may be bound to an address (an email change's
new one)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import insert, select, update

from core import ApiError, execute, now, scalar, transaction
from plugins.auth import accounts
from plugins.auth.schema import tokens

#: Seconds a reset or verification link works.
LIFETIME = 30 * 60
RESET = "reset"
VERIFY = "verify"
EMAIL_CHANGE = "email_change"
#: The sign-in link of an "account locked" notice.
LOGIN_LINK = "login_link"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invalid() -> ApiError:
    return ApiError(400, "invalid_token", "this link is unknown, used or expired")


def create(user_id: int, kind: str, *, lifetime: int = LIFETIME, email: str | None = None) -> str | None:
    """A new token of ``kind`` for ``user_id``, valid ``lifetime`` seconds and bound to ``email``
    if given; None for an account deleted meanwhile (nothing is stored and nothing should be
    mailed; the request still answers as it would have)."""
    token = secrets.token_urlsafe(32)
    created = now()
    with transaction():
        if not accounts.lock(user_id):
            return None
        execute(
            insert(tokens).values(
                user_id=user_id,
                kind=kind,
                token_hash=_hash(token),
                created_at=created,
                expires_at=created + lifetime,
                email=email,
            )
        )
    return token


def void(user_id: int, kind: str | None) -> int:
    """End every unused token of ``kind`` (None: of every kind) of the user (their links stop
    working); how many."""
    condition = [tokens.c.user_id == user_id, tokens.c.used_at.is_(None)]
    if kind is not None:
        condition.append(tokens.c.kind == kind)
    with transaction():
        return execute(update(tokens).where(*condition).values(used_at=now())).rowcount


def _usable(kind: str, token: str):
    return (
        tokens.c.token_hash == _hash(token),
        tokens.c.kind == kind,
        tokens.c.used_at.is_(None),
        tokens.c.expires_at > now(),
    )


def owner(token: str, kind: str) -> int:
    """The user a still-usable token belongs to, without using it up; else 400 ``invalid_token``."""
    user_id = scalar(select(tokens.c.user_id).where(*_usable(kind, token)))
    if user_id is None:
        raise invalid()
    return int(user_id)


def consume(token: str, kind: str) -> int:
    """Use the token up (atomically: a second use fails) and return its user."""
    with transaction():
        row = execute(
            update(tokens).where(*_usable(kind, token)).values(used_at=now()).returning(tokens.c.user_id)
        ).first()
    if row is None:
        raise invalid()
    return int(row[0])


def consume_address(token: str, kind: str, user_id: int) -> str:
    """Use up ``user_id``'s token (atomically: a second use fails) and return the address it is
    bound to; else 400 ``invalid_token``."""
    with transaction():
        row = execute(
            update(tokens)
            .where(*_usable(kind, token), tokens.c.user_id == user_id, tokens.c.email.is_not(None))
            .values(used_at=now())
            .returning(tokens.c.email)
        ).first()
    if row is None:
        raise invalid()
    return str(row[0])
