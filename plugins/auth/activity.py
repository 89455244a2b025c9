"""The security log in ``auth_events``: one small insert per event, never on ordinary requests."""

from __future__ import annotations

import re
from typing import Any

from flask import has_request_context, request
from sqlalchemy import delete, insert, select

from core import client_ip, execute, now, rfc3339, rows, transaction
from plugins.auth import accounts
from plugins.auth.schema import events

#: Entries shown, and kept, per user.
KEEP = 100
TYPES = frozenset(
    {
        "register", "login", "login_failed", "refresh_reuse", "logout", "logout_all",
        "session_revoked", "password_changed", "password_reset", "email_verified", "account_locked",
        "device_forgotten",
    }
)  # fmt: skip


#: What another plugin may name an event it reports (``core.account_event``).
PLUGIN_EVENT = re.compile(r"[a-z][a-z0-9_]{0,31}")


def record(user_id: int, kind: str) -> None:
    assert kind in TYPES or PLUGIN_EVENT.fullmatch(kind), kind
    ip, agent = (client_ip(), request.user_agent.string[:512]) if has_request_context() else (None, None)
    with transaction():
        if not accounts.lock(user_id):
            return  # the account was deleted meanwhile: its log went with it
        result = execute(insert(events).values(user_id=user_id, type=kind, at=now(), ip=ip, user_agent=agent))
        newest = result.inserted_primary_key[0]
        # Keep the log bounded: anything older than the last KEEP entries goes (cheap, by index).
        if newest % 20 == 0:
            cutoff = (
                select(events.c.id)
                .where(events.c.user_id == user_id)
                .order_by(events.c.id.desc())
                .offset(KEEP)
                .limit(1)
                .scalar_subquery()
            )
            execute(delete(events).where(events.c.user_id == user_id, events.c.id <= cutoff))


def recent(user_id: int) -> list[dict[str, Any]]:
    statement = select(events).where(events.c.user_id == user_id).order_by(events.c.id.desc()).limit(KEEP)
    return [
        {"type": row["type"], "at": rfc3339(row["at"]), "ip": row["ip"], "user_agent": row["user_agent"]}
        for row in rows(statement)
    ]
