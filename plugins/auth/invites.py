"""Invitations in ``auth_invites``: a single-use token for one email address, valid 7 days,
carrying the roles its account gets. Only the token's hash is stored."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence

from sqlalchemy import insert, select, update

from core import execute, now, scalar, transaction
from plugins.auth.schema import invites

#: Seconds an invitation can be used.
LIFETIME = 7 * 86400


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create(email: str, roles: Sequence[str]) -> str:
    """A new invitation for ``email`` (canonical form) granting ``roles``: its token."""
    token = secrets.token_urlsafe(32)
    created = now()
    with transaction():
        execute(
            insert(invites).values(
                email=email,
                token_hash=_hash(token),
                roles=json.dumps(sorted(set(roles))),
                created_at=created,
                expires_at=created + LIFETIME,
            )
        )
    return token


def _usable(token: str, email: str):
    return (
        invites.c.token_hash == _hash(token),
        invites.c.email == email,
        invites.c.used_at.is_(None),
        invites.c.expires_at > now(),
    )


def usable(token: str, email: str) -> bool:
    """Whether ``token`` is an unused, unexpired invitation for ``email``."""
    return scalar(select(invites.c.id).where(*_usable(token, email))) is not None


def claim(token: str, email: str, user_id: int) -> list[str] | None:
    """Use the invitation up for the account ``user_id`` (atomically: a second use fails); its
    roles, or None when it is not usable."""
    with transaction():
        row = execute(
            update(invites)
            .where(*_usable(token, email))
            .values(used_at=now(), used_by=user_id)
            .returning(invites.c.roles)
        ).first()
    return None if row is None else list(json.loads(row[0]))
