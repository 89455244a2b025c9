"""Linked identities: the (issuer, sub) pairs a user signs in with, one user each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.exc import IntegrityError

from core import execute, now, one, rfc3339, rows, transaction
from plugins.oidc.schema import identities


class AlreadyLinked(Exception):
    """The identity belongs to another user."""


def find(issuer: str, sub: str) -> dict[str, Any] | None:
    return one(select(identities).where(identities.c.issuer == issuer, identities.c.sub == sub))


def of_user(user_id: int) -> list[dict[str, Any]]:
    return rows(select(identities).where(identities.c.user_id == user_id).order_by(identities.c.id))


def link(user_id: int, provider: str, issuer: str, sub: str, email: str | None) -> dict[str, Any]:
    """Link (issuer, sub) to ``user_id``; already linked to them is fine, to another user is
    ``AlreadyLinked`` (the unique index decides a race)."""
    existing = find(issuer, sub)
    if existing is not None:
        if existing["user_id"] != user_id:
            raise AlreadyLinked(provider)
        return existing
    try:
        with transaction():
            insert(user_id, provider, issuer, sub, email)
    except IntegrityError:
        return link(user_id, provider, issuer, sub, email)  # a concurrent link won: decide again
    return find(issuer, sub) or {}


def insert(user_id: int, provider: str, issuer: str, sub: str, email: str | None) -> None:
    """Link a new account's identity, inside the caller's transaction (``IntegrityError`` when a
    concurrent request linked the same identity first)."""
    execute(
        insert_into(identities).values(
            user_id=user_id, provider=provider, issuer=issuer, sub=sub, email=email,
            created_at=now(), last_used_at=now(),
        )
    )  # fmt: skip


def used(identity_id: int, email: str | None) -> None:
    values: dict[str, Any] = {"last_used_at": now()}
    if email:
        values["email"] = email
    execute(update(identities).where(identities.c.id == identity_id).values(**values))


def get(user_id: int, identity_id: int) -> dict[str, Any] | None:
    return one(select(identities).where(identities.c.id == identity_id, identities.c.user_id == user_id))


def remove(identity_id: int) -> None:
    execute(delete(identities).where(identities.c.id == identity_id))


def remove_all(user_id: int) -> None:
    execute(delete(identities).where(identities.c.user_id == user_id))


def public(row: dict[str, Any]) -> dict[str, Any]:
    """As the API shows it: no issuer-internal detail beyond the provider and email."""
    return {
        "id": row["id"],
        "provider": row["provider"],
        "email": row["email"],
        "created_at": rfc3339(row["created_at"]),
    }


def method(row: dict[str, Any]) -> str:
    """The sign-in method this identity is (``core.sign_in_methods``)."""
    return f"oidc:{row['provider']}"
