"""API keys: how they are made, stored, found and dropped.

A key is ``ak_`` followed by 43 URL-safe characters: 32 bytes from ``secrets``. Only its SHA-256
hash is stored, with the key's first characters (``prefix``) for display.

Why one round of SHA-256 rather than bcrypt or another slow hash: a slow, salted hash protects
passwords, which people choose from a small space an attacker can enumerate. A key here is 256
random bits; nobody can enumerate that space at any hashing speed, so a leaked hash does not give
the key back, and an unsalted hash lets a presented key be found with one lookup on a unique
index instead of a slow hash per request. Looking a key up by its hash also means a timing
difference in the lookup tells an attacker about the hash, never about the key.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from flask import Request
from sqlalchemy import delete, func, insert, select, text, update

from annex_apikeys.schema import keys
from core import ApiError, Identity, get_db, hold_account, rfc3339, transaction, unauthorized

#: The Authorization scheme this plugin answers: ``Authorization: ApiKey <key>``.
SCHEME = "apikey"
#: Start of every key: lets secret scanners and people recognise one.
KEY_START = "ak_"
#: Characters of a key shown back for display: ``ak_`` and 8 of the 43 random ones (48 of 256 bits).
PREFIX_LENGTH = len(KEY_START) + 8
#: Longest header value worth hashing; real keys are 46 characters.
MAX_KEY_LENGTH = 256
#: Seconds between two writes of a key's ``last_used_at``: a busy script costs one write a minute.
TOUCH_INTERVAL = 60
#: ``Identity.transport`` of requests authenticated by an API key.
TRANSPORT = "apikey"
DAY = 86400
#: First half of the PostgreSQL advisory lock taken while a user's keys are counted ("ak").
LOCK_SPACE = 0x616B
_LOCK_USER_KEYS = text("SELECT pg_advisory_xact_lock(:space, :user)")


def new_key() -> str:
    return KEY_START + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 of the key, hex (see the module docstring for why this is enough)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the owner may see of a key: never the key, never its hash."""
    return {
        "id": row["id"],
        "name": row["name"],
        "prefix": row["prefix"],
        "created_at": rfc3339(row["created_at"]),
        "last_used_at": rfc3339(row["last_used_at"]),
        "expires_at": rfc3339(row["expires_at"]),
    }


def exported(row: Mapping[str, Any]) -> dict[str, Any]:
    """A key in the user's data export: what the owner sees, and the roles it grants."""
    return {**public(row), "roles": json.loads(row["roles"])}


def _rows(statement: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in get_db().executable.execute(statement).mappings()]


def of_user(user_id: int) -> list[dict[str, Any]]:
    return _rows(select(keys).where(keys.c.user_id == user_id).order_by(keys.c.id))


def listing(username: str | None = None) -> list[dict[str, Any]]:
    """Every key, or those of ``username`` (case-insensitive), for the command line."""
    statement = select(keys).order_by(keys.c.id)
    if username is not None:
        statement = statement.where(func.lower(keys.c.username) == username.lower())
    return _rows(statement)


def create(identity: Identity, name: str, expires_in_days: int | None, most: int) -> tuple[dict, str]:
    """Store a new key for ``identity``; returns the row and the key (shown to the user once).

    The account fields are copied from the identity now, because this plugin does not own
    accounts: a key speaks with the roles its user had when it was made.
    """
    key = new_key()
    created = time.time()
    account = dict(identity.account) or {"id": identity.id, "username": identity.username}
    row = {
        "user_id": identity.id,
        "name": name,
        "key_hash": hash_key(key),
        "prefix": key[:PREFIX_LENGTH],
        "username": identity.username,
        "roles": json.dumps(sorted(identity.roles)),
        "account": json.dumps(account, default=str),
        "created_at": created,
        "last_used_at": None,
        "expires_at": created + expires_in_days * DAY if expires_in_days is not None else None,
    }
    with transaction() as db:
        # First, so a key never outlives its account: a delete in flight either waits for this
        # transaction (and its user_deleted drops the key) or has already happened (401).
        hold_account(identity.id)
        # Two requests must not both take the last place: the count and the insert share one
        # write transaction, which on SQLite holds the database's write lock; PostgreSQL gets a
        # lock on this user's keys, held until the transaction ends.
        if db.is_postgres:
            db.executable.execute(_LOCK_USER_KEYS, {"space": LOCK_SPACE, "user": identity.id})
        count = db.executable.execute(
            select(func.count()).select_from(keys).where(keys.c.user_id == identity.id)
        ).scalar_one()
        if count >= most:
            raise ApiError(
                409, "conflict", f"you already have {count} API keys, the most allowed; delete one first"
            )
        row["id"] = db.executable.execute(insert(keys).values(**row)).inserted_primary_key[0]
    return row, key


def remove(user_id: int, key_id: int) -> bool:
    """Delete one key of ``user_id``; False when there is none such (or it is someone else's)."""
    with transaction() as db:
        result = db.executable.execute(delete(keys).where(keys.c.id == key_id, keys.c.user_id == user_id))
    return result.rowcount == 1


def revoke(key_id: int) -> dict[str, Any] | None:
    """Delete a key whoever owns it (the command line); the deleted row, or None."""
    with transaction() as db:
        row = db.executable.execute(select(keys).where(keys.c.id == key_id)).mappings().first()
        if row is not None:
            db.executable.execute(delete(keys).where(keys.c.id == key_id))
    return dict(row) if row is not None else None


def remove_all(user_id: int) -> None:
    with transaction() as db:
        db.executable.execute(delete(keys).where(keys.c.user_id == user_id))


def presented_key(request: Request) -> str | None:
    """The key of ``Authorization: ApiKey <key>``; None when the header is absent or another scheme."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, key = header.partition(" ")
    if scheme.lower() != SCHEME:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise unauthorized(message="not an API key")
    return key


def identify(request: Request) -> Identity | None:
    """The identity an API key speaks for; None for other credentials; 401 for a bad key."""
    key = presented_key(request)
    if key is None:
        return None
    row = get_db().executable.execute(select(keys).where(keys.c.key_hash == hash_key(key))).mappings().first()
    if row is None:
        raise unauthorized(message="unknown or revoked API key")
    current = time.time()
    if row["expires_at"] is not None and row["expires_at"] <= current:
        raise unauthorized(message="this API key has expired")
    if row["last_used_at"] is None or current - row["last_used_at"] >= TOUCH_INTERVAL:
        with transaction() as db:
            db.executable.execute(update(keys).where(keys.c.id == row["id"]).values(last_used_at=current))
    return Identity(
        id=row["user_id"],
        username=row["username"],
        roles=frozenset(json.loads(row["roles"])),
        transport=TRANSPORT,
        account=json.loads(row["account"]),
    )
