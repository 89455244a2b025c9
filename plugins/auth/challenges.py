"""MFA challenges in ``auth_mfa_challenges``: the step between a first method and the session.

The client holds an opaque random token; only its hash is stored, bound to the user and the
methods the first step proved. A challenge lives five minutes, is used once, and ends after
five wrong second factors.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update

from core import ApiError, execute, now, one, transaction
from plugins.auth import accounts
from plugins.auth.schema import mfa_challenges

#: Seconds a challenge can be answered.
LIFETIME = 300
#: Wrong second factors that end a challenge.
MAX_FAILURES = 5


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invalid() -> ApiError:
    return ApiError(400, "invalid_token", "this sign-in step is unknown, used or expired; sign in again")


def create(user_id: int, methods: Sequence[str]) -> str:
    """A new challenge for ``user_id`` after a first step that proved ``methods``: its token."""
    token = secrets.token_urlsafe(32)
    started = now()
    with transaction():
        if not accounts.lock(user_id):
            raise ApiError(401, "invalid_credentials", "invalid username or password")
        execute(
            insert(mfa_challenges).values(
                user_id=user_id,
                token_hash=_hash(token),
                methods=json.dumps(list(methods)),
                created_at=started,
                expires_at=started + LIFETIME,
                failures=0,
            )
        )
    return token


def _usable():
    return (
        mfa_challenges.c.used_at.is_(None),
        mfa_challenges.c.expires_at > now(),
        mfa_challenges.c.failures < MAX_FAILURES,
    )


def find(token: str) -> dict[str, Any] | None:
    """The open challenge of ``token`` (``id``, ``user_id``, ``methods`` as a list), or None."""
    if not isinstance(token, str) or not token:
        return None
    row = one(select(mfa_challenges).where(mfa_challenges.c.token_hash == _hash(token), *_usable()))
    if row is None:
        return None
    return {**row, "methods": list(json.loads(row["methods"]))}


def open_one(token: str) -> dict[str, Any]:
    """``find``, or ``400 invalid_token``."""
    found = find(token)
    if found is None:
        raise invalid()
    return found


def failed(challenge_id: int) -> None:
    """Count one wrong factor against the challenge (the fifth ends it)."""
    with transaction():
        execute(
            update(mfa_challenges)
            .where(mfa_challenges.c.id == challenge_id)
            .values(failures=mfa_challenges.c.failures + 1)
        )


def consume(challenge_id: int) -> bool:
    """Use the challenge up, atomically: False when another request used it first (or it ended)."""
    with transaction():
        changed = execute(
            update(mfa_challenges)
            .where(mfa_challenges.c.id == challenge_id, *_usable())
            .values(used_at=now())
        ).rowcount
    return changed == 1


def end_all(user_id: int) -> int:
    """End every open challenge of ``user_id`` (joins the caller's transaction): whatever ends
    the account's sessions ends the half-open ones too, so a first step proved before a password
    reset cannot be finished after it. How many ended."""
    with transaction():
        return execute(
            update(mfa_challenges)
            .where(mfa_challenges.c.user_id == user_id, mfa_challenges.c.used_at.is_(None))
            .values(used_at=now())
        ).rowcount
