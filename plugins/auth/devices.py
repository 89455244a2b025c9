"""Remembered devices: the browsers an account has signed in from (the OWASP "device cookie").

A sign-in sets ``__Host-annex_device`` (HttpOnly, one year): a random id, signed with a key
derived from ``security.secret_key`` so that a forged or truncated value is simply unknown. The
account keeps a hash of each id it signed in with, in ``auth_devices``. What a remembered device
changes:

- lockout: past ``login_account_failures`` the account refuses passwords from anywhere else,
  while its owner's remembered browser still signs in (``guard``);
- notices: a sign-in from a device the account has not seen before mails the owner, once the
  account has a first device (its first sign-in, or the one after an upgrade, is not "new").

One cookie per browser serves every account signed in from it; forgetting a device (the account
page) only drops the account's row.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Response, request
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, select, update

from core import client_ip, execute, get_settings, now, one, rows, transaction
from plugins.auth import accounts
from plugins.auth.schema import devices
from plugins.auth.settings import settings

#: Seconds the cookie lives; each sign-in from the device renews it.
LIFETIME = 365 * 24 * 60 * 60
#: Remembered devices per account: the least recently used beyond these are forgotten.
KEEP = 20
#: Salt of the cookie's signature: the key is the site's, the purpose is this one.
SALT = "annex.auth.device"
_INSERT = (
    "INSERT INTO auth_devices (user_id, device_hash, created_at, last_used_at, user_agent, ip)"
    " VALUES (:user_id, :device_hash, :at, :at, :agent, :ip) ON CONFLICT (user_id, device_hash) DO NOTHING"
)


def cookie_name() -> str:
    return "__Host-annex_device" if settings().cookie_secure else "annex_device"


def _signer() -> Signer:
    return Signer(get_settings().security.secret_key, salt=SALT)


def _hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


def presented() -> str | None:
    """The device id of this request's cookie when its signature holds, else None."""
    value = request.cookies.get(cookie_name(), "")
    if not value:
        return None
    try:
        return _signer().unsign(value).decode()
    except (BadSignature, UnicodeDecodeError):
        return None


def remembered(user_id: int) -> str | None:
    """The hash of this request's device when ``user_id`` has signed in from it, else None."""
    device_id = presented()
    if device_id is None:
        return None
    device_hash = _hash(device_id)
    query = select(devices.c.id).where(devices.c.user_id == user_id, devices.c.device_hash == device_hash)
    return device_hash if one(query) is not None else None


def remember(user_id: int) -> tuple[str, bool]:
    """Note this request's device for ``user_id`` (a new id when it has no valid cookie); the
    id for the cookie, and whether the device is news: new to an account that had one already,
    and not a look-alike of one (the same browser from the same address: a client that keeps no
    cookie, a script say, is not news at each sign-in). Only the newest ``KEEP`` are kept."""
    device_id = presented() or secrets.token_urlsafe(24)
    device_hash, at = _hash(device_id), now()
    agent, ip = request.user_agent.string[:512], client_ip()
    with transaction():
        if not accounts.lock(user_id):  # deleted meanwhile: nothing may name it again
            return device_id, False
        known = execute(
            update(devices)
            .where(devices.c.user_id == user_id, devices.c.device_hash == device_hash)
            .values(last_used_at=at, user_agent=agent, ip=ip)
        ).rowcount
        if known:
            return device_id, False
        mine = devices.c.user_id == user_id
        had_one = one(select(devices.c.id).where(mine).limit(1)) is not None
        look_alike = select(devices.c.id).where(mine, devices.c.user_agent == agent, devices.c.ip == ip)
        familiar = had_one and one(look_alike.limit(1)) is not None
        # Two sign-ins from one new browser at once: the second finds the first's row.
        values = {"user_id": user_id, "device_hash": device_hash, "at": at, "agent": agent, "ip": ip}
        inserted = execute(_INSERT, **values).rowcount
        oldest_kept = select(devices.c.last_used_at).where(mine).order_by(devices.c.last_used_at.desc())
        execute(
            delete(devices).where(
                mine, devices.c.last_used_at < oldest_kept.offset(KEEP - 1).limit(1).scalar_subquery()
            )
        )
    return device_id, had_one and bool(inserted) and not familiar


def set_cookie(response: Response, device_id: str) -> None:
    """The signed cookie: HttpOnly, ``Lax`` (a link from the mail still carries it), a year."""
    secure = settings().cookie_secure
    value = _signer().sign(device_id).decode()
    response.set_cookie(
        cookie_name(), value, max_age=LIFETIME, path="/", secure=secure, httponly=True, samesite="Lax"
    )


def listed(user_id: int) -> list[dict[str, Any]]:
    """The account's remembered devices, most recently used first; ``current`` marks this one."""
    device_id = presented()
    mine = _hash(device_id) if device_id is not None else None
    statement = select(devices).where(devices.c.user_id == user_id).order_by(devices.c.last_used_at.desc())
    return [{**row, "current": row["device_hash"] == mine} for row in rows(statement)]


def forget(user_id: int, device_row_id: int) -> bool:
    """Drop one remembered device of ``user_id``; whether there was one."""
    with transaction():
        statement = delete(devices).where(devices.c.user_id == user_id, devices.c.id == device_row_id)
        return bool(execute(statement).rowcount)
