"""Sessions in ``auth_sessions``: one login on one device, with refresh generations.

The per-request check is one primary-key lookup (joined to the account by its primary key)
through prepared SQL: dataset's query building costs ~30 times a raw lookup on this hot path.
A token names its session by id *and* by the session's random ``key``: an id alone is a number
anyone can guess, and a token must never open a row it was not issued for.
Rotation is a compare-and-swap on ``generation`` in the database, so two concurrent refreshes
can never fork a session.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from core import SQL, ApiError, execute, now, rows, transaction
from plugins.auth import accounts, challenges, onetime
from plugins.auth.schema import sessions

#: Seconds between two writes of a session's ``last_used_at`` (hot paths write little).
TOUCH_INTERVAL = 60

_FOR_REQUEST = SQL(
    "SELECT s.user_id, s.key, s.revoked_at, s.expires_at, s.last_used_at,"
    " u.username, u.email, u.email_verified, u.roles, u.created_at"
    " FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id WHERE s.id = :sid"
)
_TOUCH = SQL("UPDATE auth_sessions SET last_used_at = :now WHERE id = :sid")
_ROTATE = SQL(
    "UPDATE auth_sessions SET generation = :next, rotated_at = :now, last_used_at = :now"
    " WHERE id = :sid AND generation = :gen AND revoked_at IS NULL"
)
_COLUMNS = ", ".join(f'"{column.name}"' for column in sessions.columns)
_BY_ID = SQL(f"SELECT {_COLUMNS} FROM auth_sessions WHERE id = :sid")


def revoked() -> ApiError:
    return ApiError(401, "token_revoked", "this session has ended; log in again")


def matches(session: dict[str, Any], key: Any) -> bool:
    """Whether a token's ``sk`` claim is this session's key (a token without one never is)."""
    return isinstance(key, str) and hmac.compare_digest(session["key"].encode(), key.encode())


def methods_of(session: dict[str, Any]) -> list[str]:
    """The session's ``amr`` values (stored as a JSON array)."""
    methods = session.get("methods")
    if isinstance(methods, str):
        return list(json.loads(methods))
    return list(methods) if methods else ["pwd"]


def create(
    user_id: int, max_age: int, user_agent: str, ip: str, methods: Sequence[str] = ("pwd",)
) -> dict[str, Any]:
    """A new session proved by ``methods`` just now; inside the caller's transaction when there is one."""
    started = now()
    key = secrets.token_urlsafe(24)
    with transaction():
        if not accounts.lock(user_id):  # deleted since the login read it: no session of it may remain
            raise revoked()
        result = execute(
            insert(sessions).values(
                user_id=user_id,
                key=key,
                generation=1,
                created_at=started,
                expires_at=started + max_age,
                last_used_at=started,
                user_agent=user_agent[:512],
                ip=ip[:64],
                methods=json.dumps(list(methods)),
                auth_time=started,
            )
        )
        session_id = result.inserted_primary_key[0]
    return {
        "id": session_id,
        "key": key,
        "generation": 1,
        "expires_at": started + max_age,
        "methods": list(methods),
        "auth_time": started,
        "created_at": started,
    }


def proved_again(session_id: int) -> dict[str, Any] | None:
    """Record a fresh proof (re-authentication) for a live session; the session after it, or
    None when it has ended."""
    with transaction():
        changed = execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(auth_time=now())
        ).rowcount
    return get(session_id) if changed == 1 else None


def for_request(session_id: int, key: Any) -> dict[str, Any] | None:
    """The live session ``key`` names and its account, for one authenticated request; None if gone."""
    row = _FOR_REQUEST.one(sid=session_id)
    if row is None or row["revoked_at"] is not None or not matches(row, key):
        return None
    current = now()
    if row["expires_at"] <= current:
        return None
    if current - row["last_used_at"] > TOUCH_INTERVAL:
        _TOUCH.run(now=current, sid=session_id)
    return row


def get(session_id: int) -> dict[str, Any] | None:
    return _BY_ID.one(sid=session_id)


@dataclass(frozen=True)
class Refreshed:
    """Outcome of presenting a refresh token: the session and the generation to issue."""

    session: dict[str, Any]
    generation: int


def refresh(session_id: int, key: Any, generation: int, user_id: int, grace: float) -> Refreshed:
    """Rotate the session if ``generation`` is current; re-issue within the grace window;
    otherwise the token is being reused: revoke the whole session. A token of another session
    (wrong ``key``) changes nothing."""
    session = get(session_id)
    current = now()
    if (
        session is None
        or not matches(session, key)
        or session["user_id"] != user_id
        or session["revoked_at"] is not None
    ):
        raise revoked()
    if session["expires_at"] <= current:
        raise ApiError(401, "token_expired", "this session has reached its maximum age; log in again")
    if generation == session["generation"]:
        with transaction():
            swapped = _ROTATE.run(next=generation + 1, now=current, sid=session_id, gen=generation)
        if swapped == 1:  # the row as the swap left it, without reading it again
            rotated = {
                **session,
                "generation": generation + 1,
                "rotated_at": current,
                "last_used_at": current,
            }
            return Refreshed(rotated, generation + 1)
        session = get(session_id)  # another request rotated it first
        if session is None or session["revoked_at"] is not None:
            raise revoked()
    rotated_at = session["rotated_at"]
    if generation == session["generation"] - 1 and rotated_at is not None and current - rotated_at <= grace:
        return Refreshed(session, session["generation"])
    revoke(session_id)
    raise ReuseDetected(session)


class ReuseDetected(Exception):
    """A retired refresh token came back: the session has been revoked."""

    def __init__(self, session: dict[str, Any]):
        super().__init__("refresh token reuse")
        self.session = session


def revoke(session_id: int) -> bool:
    """End one session; False if it had already ended."""
    with transaction():
        result = execute(
            update(sessions)
            .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    return result.rowcount == 1


def revoke_all(user_id: int, keep: int | None = None) -> int:
    """End every session of ``user_id`` except ``keep``, and every open MFA challenge (a session
    not started yet); how many sessions were ended."""
    condition = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
    if keep is not None:
        condition.append(sessions.c.id != keep)
    with transaction():
        challenges.end_all(user_id)
        return execute(update(sessions).where(*condition).values(revoked_at=now())).rowcount


def log_out_everywhere(user_id: int) -> int:
    """End every session and every unused reset link of ``user_id`` in one transaction, the
    account locked first as a password change locks it; how many sessions ended."""
    with transaction():
        accounts.lock(user_id, exclusive=True)
        onetime.void(user_id, onetime.RESET)
        return revoke_all(user_id)


def active(user_id: int) -> list[dict[str, Any]]:
    """The live sessions of ``user_id``, newest first."""
    statement = (
        select(sessions)
        .where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > now())
        .order_by(sessions.c.id.desc())
    )
    return rows(statement)
