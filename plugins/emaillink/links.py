"""Mailed links and codes in the table: issued, spent once, codes ended by wrong guesses, dropped.

Every way a row is spent is one conditional ``UPDATE … WHERE used_at IS NULL``: of two
confirmations racing for one row (the link clicked on two devices, the link and the code), the
database lets exactly one through, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, desc, insert, select, update

from core import execute, now, one, rfc3339, rows, transaction
from plugins.emaillink import proofs
from plugins.emaillink.schema import links

#: The columns a spent row answers with.
_SPENT = (links.c.id, links.c.user_id, links.c.email)


def issue(email: str, user_id: int | None, lifetime: int) -> tuple[str, str]:
    """A new link and code for ``email`` (``user_id`` None: the account is made on confirmation).

    The address's earlier live link ends: one address has one live code, so the wrong-code
    limit is a limit per address and not per request. Joins the caller's transaction.
    """
    token, code = proofs.new_token(), proofs.new_code()
    hashed = proofs.token_hash(token)
    created = now()
    with transaction():
        execute(
            update(links).where(links.c.email == email, links.c.used_at.is_(None)).values(used_at=created)
        )
        execute(
            insert(links).values(
                user_id=user_id,
                email=email,
                token_hash=hashed,
                code_hash=proofs.code_hash(code, hashed),
                attempts=0,
                created_at=created,
                expires_at=created + lifetime,
            )
        )
    return token, code


def _live():
    return (links.c.used_at.is_(None), links.c.expires_at > now())


def take_token(token: str) -> dict[str, Any] | None:
    """Spend the row of a live ``token`` (its code with it): ``{"id", "user_id", "email"}``, or None
    for an unknown, used or expired token."""
    statement = (
        update(links).where(links.c.token_hash == proofs.token_hash(token), *_live()).values(used_at=now())
    )
    with transaction():  # RETURNING's row is read before the commit
        row = execute(statement.returning(*_SPENT)).mappings().first()
    return dict(row) if row is not None else None


def take_code(email: str, code: str, max_attempts: int) -> dict[str, Any] | None:
    """Spend the live row of ``email`` when ``code`` is its code (the link with it), as
    ``take_token`` does; else None, and a wrong code counts against the row's code, which
    ends at ``max_attempts`` wrong ones (its link still works). Commits on its own: a wrong
    code stays counted."""
    with transaction():
        row = one(
            select(links.c.id, links.c.token_hash, links.c.code_hash)
            .where(links.c.email == email, *_live(), links.c.attempts < max_attempts)
            .order_by(desc(links.c.id))
            .limit(1)
        )
        if row is None:
            return None
        if not proofs.code_matches(code, row["token_hash"], row["code_hash"]):
            # The code ends at max_attempts; the link does not: anyone may guess at an
            # address's code, and that must not spend the link in its owner's mailbox.
            execute(
                update(links)
                .where(links.c.id == row["id"], links.c.used_at.is_(None))
                .values(attempts=links.c.attempts + 1)
            )
            return None
        spent = execute(
            update(links)
            .where(links.c.id == row["id"], *_live(), links.c.attempts < max_attempts)
            .values(used_at=now())
            .returning(*_SPENT)
        )
        found = spent.mappings().first()
    return dict(found) if found is not None else None


def drop_user(user_id: int) -> int:
    """Forget every link of a deleted account; how many."""
    with transaction():
        return execute(delete(links).where(links.c.user_id == user_id)).rowcount


def history(user_id: int) -> list[dict[str, Any]]:
    """The account's sign-in mails for its export: when each was sent, ran out and was used
    (never a token, a code or their hashes)."""
    found = rows(
        select(links.c.created_at, links.c.expires_at, links.c.used_at)
        .where(links.c.user_id == user_id)
        .order_by(links.c.id)
    )
    return [
        {
            "sent_at": rfc3339(row["created_at"]),
            "expires_at": rfc3339(row["expires_at"]),
            "used_at": None if row["used_at"] is None else rfc3339(row["used_at"]),
        }
        for row in found
    ]
