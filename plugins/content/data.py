"""Per-user JSON values with ETags. Every write is a compare-and-swap on the ETag, so two
clients writing one key with ``If-Match`` never both win and nothing is merged silently."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import ETags

from core import (
    SQL,
    ApiError,
    execute,
    hold_account,
    now,
    rfc3339,
    rows,
    transaction,
    unavailable,
)
from plugins.content.schema import items
from plugins.content.settings import settings

KEY = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
#: First half of the PostgreSQL advisory lock key of a user's data ("cont").
LOCK_NAMESPACE = 0x636F6E74
#: Tries of an unconditional PUT that keeps losing a race before it answers 503.
ATTEMPTS = 3


def check_key(key: str) -> None:
    if not KEY.fullmatch(key):
        raise ApiError(
            422,
            "validation_error",
            "some fields are invalid",
            fields={"key": "1-128 characters of letters, digits, '_', '.', ':' and '-'"},
        )


class LostRace(Exception):
    """The key changed between this write's read of its ETag and its swap."""


def precondition_failed() -> ApiError:
    return ApiError(412, "precondition_failed", "the value changed since you read it; read it again")


def quoted(etag: str) -> str:
    return f'"{etag}"'


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {"key": row["key"], "value": json.loads(row["value"]), "updated_at": rfc3339(row["updated_at"])}


# Reads and writes of one key are on every data request: prepared SQL, not query building.
_GET = SQL("SELECT key, value, etag, updated_at FROM content_items WHERE user_id = :user_id AND key = :key")
_ETAG = SQL("SELECT etag FROM content_items WHERE user_id = :user_id AND key = :key")
_COUNT = SQL("SELECT count(*) FROM content_items WHERE user_id = :user_id")
_INSERT = SQL(
    "INSERT INTO content_items (user_id, key, value, etag, updated_at)"
    " VALUES (:user_id, :key, :value, :etag, :updated_at)"
)
_SWAP = SQL(
    "UPDATE content_items SET value = :value, etag = :etag, updated_at = :updated_at"
    " WHERE user_id = :user_id AND key = :key AND etag = :current"
)
_DELETE = SQL("DELETE FROM content_items WHERE user_id = :user_id AND key = :key AND etag = :current")
_LOCK = SQL("SELECT pg_advisory_xact_lock(:namespace, :user_id)")


def get(user_id: int, key: str) -> dict[str, Any] | None:
    return _GET.one(user_id=user_id, key=key)


def all_of(user_id: int) -> dict[str, Any]:
    statement = select(items.c.key, items.c.value).where(items.c.user_id == user_id).order_by(items.c.key)
    return {row["key"]: json.loads(row["value"]) for row in rows(statement)}


def put(
    user_id: int, key: str, value: Any, if_match: ETags, if_none_match: ETags
) -> tuple[bool, dict[str, Any]]:
    """Store ``value``; returns (created, row). 412 on a failed precondition, 413 over a limit."""
    s = settings()
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > s.max_value_bytes:
        raise ApiError(413, "payload_too_large", f"values are limited to {s.max_value_bytes} bytes")
    conditional = bool(if_match) or if_none_match.star_tag
    for _ in range(ATTEMPTS):
        try:
            return _put(user_id, key, text, if_match, if_none_match, s.max_keys)
        except (IntegrityError, LostRace):
            # Another writer changed the key between this one's read and its write (the lock
            # makes that rare): a conditional write has lost, an unconditional one tries again.
            if conditional:
                raise precondition_failed() from None
    raise unavailable("this value is being written by many requests at once; retry", retry_after=1)


def _put(
    user_id: int, key: str, text: str, if_match: ETags, if_none_match: ETags, max_keys: int
) -> tuple[bool, dict[str, Any]]:
    row = {"user_id": user_id, "key": key, "value": text, "etag": secrets.token_hex(8), "updated_at": now()}
    with transaction() as db:
        hold_account(user_id)  # first: a deleted account's write is refused, never left behind
        _lock_user(db, user_id)
        current = _ETAG.scalar(user_id=user_id, key=key)
        if current is not None and if_none_match.star_tag:
            raise precondition_failed()
        if if_match and (current is None or not if_match.contains(current)):
            raise precondition_failed()
        if current is None:
            if _COUNT.scalar(user_id=user_id) >= max_keys:
                raise ApiError(413, "payload_too_large", f"at most {max_keys} keys per user")
            _INSERT.run(**row)
            return True, row
        if _SWAP.run(**row, current=current) != 1:
            raise LostRace()
    return False, row


def remove(user_id: int, key: str, if_match: ETags) -> None:
    with transaction() as db:
        hold_account(user_id)
        _lock_user(db, user_id)
        current = _ETAG.scalar(user_id=user_id, key=key)
        if current is None:
            raise ApiError(404, "not_found", "no such key")
        if if_match and not if_match.contains(current):
            raise precondition_failed()
        # Cannot fail under the lock; but never report a delete that did not happen.
        if _DELETE.run(user_id=user_id, key=key, current=current) != 1:
            raise precondition_failed()


def _lock_user(db: Any, user_id: int) -> None:
    """Serialise one user's writes for the rest of the transaction.

    Each write reads the current ETag, checks the preconditions and the key quota, then writes:
    under PostgreSQL's READ COMMITTED two such transactions could interleave (both see a free
    quota, a delete and a write both match one ETag). SQLite's BEGIN IMMEDIATE already
    serialises writers; PostgreSQL takes a transaction-scoped advisory lock on the user.
    """
    if db.is_postgres:
        _LOCK.run(namespace=LOCK_NAMESPACE, user_id=user_id)


def remove_all(user_id: int) -> None:
    with transaction():
        execute(delete(items).where(items.c.user_id == user_id))
