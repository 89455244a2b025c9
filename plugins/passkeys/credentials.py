"""Stored passkeys and user handles: add, find, list, rename, remove, count a use.

Every write that names a user holds the account first (``core.hold_account``), so a passkey
never outlives the deletion of its account.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import execute, hold_account, now, one, rfc3339, rows, scalar, transaction
from plugins.passkeys.schema import credentials, handles

#: Random bytes of a user handle (WebAuthn allows up to 64).
HANDLE_BYTES = 32


class AlreadyRegistered(Exception):
    """The credential id is stored already (this user's or another's)."""


def handle_of(user_id: int) -> str:
    """The user's WebAuthn user handle (base64url), made on first use."""
    found = scalar(select(handles.c.handle).where(handles.c.user_id == user_id))
    if found is not None:
        return found
    handle = _b64(secrets.token_bytes(HANDLE_BYTES))
    try:
        with transaction():
            hold_account(user_id)
            execute(insert(handles).values(user_id=user_id, handle=handle, created_at=now()))
    except IntegrityError:  # another request of the user's made it first
        return scalar(select(handles.c.handle).where(handles.c.user_id == user_id))
    return handle


def existing_handle(user_id: int) -> str | None:
    return scalar(select(handles.c.handle).where(handles.c.user_id == user_id))


def add(user_id: int, record: dict[str, Any]) -> dict[str, Any]:
    """Store a verified credential; ``AlreadyRegistered`` when its id is taken (checked, and
    settled by the unique index when two registrations race)."""
    try:
        with transaction():
            hold_account(user_id)
            if scalar(select(credentials.c.id).where(credentials.c.credential_id == record["credential_id"])):
                raise AlreadyRegistered
            values = {**record, "user_id": user_id, "created_at": now(), "last_used_at": None}
            values["transports"] = json.dumps(record.get("transports") or [])
            new_id = execute(insert(credentials).values(**values)).inserted_primary_key[0]
    except IntegrityError:
        raise AlreadyRegistered from None
    return get(user_id, new_id)  # type: ignore[return-value]


def get(user_id: int, passkey_id: int) -> dict[str, Any] | None:
    """One of the user's passkeys, or None (another user's is None too)."""
    return one(select(credentials).where(credentials.c.id == passkey_id, credentials.c.user_id == user_id))


def by_credential_id(credential_id: str) -> dict[str, Any] | None:
    return one(select(credentials).where(credentials.c.credential_id == credential_id))


def of_user(user_id: int) -> list[dict[str, Any]]:
    return rows(select(credentials).where(credentials.c.user_id == user_id).order_by(credentials.c.id))


def count(user_id: int) -> int:
    return int(scalar(select(func.count()).where(credentials.c.user_id == user_id)) or 0)


def rename(user_id: int, passkey_id: int, name: str) -> dict[str, Any] | None:
    with transaction():
        hold_account(user_id)
        changed = execute(
            update(credentials)
            .where(credentials.c.id == passkey_id, credentials.c.user_id == user_id)
            .values(name=name)
        ).rowcount
    return get(user_id, passkey_id) if changed else None


def remove(user_id: int, passkey_id: int) -> bool:
    statement = delete(credentials).where(credentials.c.id == passkey_id, credentials.c.user_id == user_id)
    return execute(statement).rowcount == 1


def record_use(row: dict[str, Any], sign_count: int, backed_up: bool) -> bool:
    """Count a verified assertion: the new signature counter, backup state and time of use.

    Conditional on the counter read before the check, so two assertions racing with one counter
    value cannot both pass; False when another got there first."""
    statement = (
        update(credentials)
        .where(credentials.c.id == row["id"], credentials.c.sign_count == row["sign_count"])
        .values(sign_count=sign_count, backed_up=backed_up, last_used_at=now())
    )
    return execute(statement).rowcount == 1


def drop_user(user_id: int) -> None:
    execute(delete(credentials).where(credentials.c.user_id == user_id))
    execute(delete(handles).where(handles.c.user_id == user_id))


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A passkey as the API shows it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "created_at": rfc3339(row["created_at"]),
        "last_used_at": rfc3339(row["last_used_at"]),
        "backed_up": bool(row["backed_up"]),
    }


def transports(row: dict[str, Any]) -> list[str]:
    try:
        found = json.loads(row["transports"] or "[]")
    except ValueError:
        return []
    return [item for item in found if isinstance(item, str)]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
