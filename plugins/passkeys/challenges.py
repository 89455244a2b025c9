"""Ceremony challenges: random, kept server-side as a digest, usable once before they expire.

A challenge is used up by one conditional ``DELETE``: of two requests presenting it at once (a
replay racing the original), the database lets exactly one delete the row, and only that one
goes on to check the signature.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, insert, or_

from core import execute, now
from plugins.passkeys.schema import challenges
from plugins.passkeys.settings import settings

#: Random bytes in a challenge (WebAuthn asks for at least 16).
CHALLENGE_BYTES = 32
#: The purposes a sign-in or second-factor assertion may answer.
ASSERTIONS = ("login", "mfa")


def digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def issue(purpose: str, user_id: int | None = None) -> bytes:
    """A fresh challenge for ``purpose`` (``register``, ``login`` or ``mfa``), bound to
    ``user_id`` when the ceremony is for a known user; expired ones are swept on the way."""
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    moment = now()
    execute(delete(challenges).where(challenges.c.expires_at <= moment))
    execute(
        insert(challenges).values(
            digest=digest(challenge),
            purpose=purpose,
            user_id=user_id,
            expires_at=moment + settings().challenge_ttl,
        )
    )
    return challenge


def consume(challenge: bytes, purposes: tuple[str, ...], user_id: int) -> bool:
    """Use up ``challenge`` if it is open, of one of ``purposes``, and was issued for ``user_id``
    or for no one in particular; True when this call used it up (it never works again)."""
    statement = delete(challenges).where(
        challenges.c.digest == digest(challenge),
        challenges.c.purpose.in_(purposes),
        challenges.c.expires_at > now(),
        or_(challenges.c.user_id.is_(None), challenges.c.user_id == user_id),
    )
    return execute(statement).rowcount == 1


def drop_user(user_id: int) -> None:
    """Forget the open challenges issued for a deleted user."""
    execute(delete(challenges).where(challenges.c.user_id == user_id))
