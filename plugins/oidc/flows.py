"""Sign-ins in flight, bound to the browser that started them.

``start`` stores a row keyed by the SHA-256 of the ``state`` it sends to the provider, holding
the nonce, the PKCE verifier, ``next`` and (when linking) the user, and binds it to a random
cookie of this browser (HttpOnly, Secure, SameSite=Lax, 10 minutes). The callback takes the row
by its state, once: a replayed callback, another browser's state or an expired one find none.
Rows live in the database, so every instance of the site finishes what another started.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Response, request
from sqlalchemy import delete, insert, select

from core import execute, now, one, transaction
from plugins.oidc.schema import flows
from plugins.oidc.settings import settings

#: Seconds a flow (and its cookie, and a link intent) stays usable.
LIFETIME = 600
#: The flow cookie's path: sent to this plugin's routes only.
COOKIE_PATH = "/api/oidc/"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def cookie_name() -> str:
    return "__Secure-annex_oidc" if settings().cookie_secure else "annex_oidc"


def browser_key() -> str | None:
    """This browser's flow cookie, if it has one."""
    return request.cookies.get(cookie_name()) or None


def bind(response: Response, key: str) -> None:
    """Give the browser its flow cookie (kept when it has one: several tabs share it)."""
    response.set_cookie(
        cookie_name(), key, max_age=LIFETIME, path=COOKIE_PATH,
        secure=settings().cookie_secure, httponly=True, samesite="Lax",
    )  # fmt: skip


def unbind(response: Response) -> None:
    response.delete_cookie(
        cookie_name(), path=COOKIE_PATH, secure=settings().cookie_secure, httponly=True, samesite="Lax"
    )


def _purge() -> None:
    execute(delete(flows).where(flows.c.expires_at < now()))


def begin(provider: str, browser: str, next_path: str, user_id: int | None) -> dict[str, str]:
    """A new flow: its ``state``, ``nonce`` and PKCE ``verifier``."""
    made = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(48),  # 64 characters: RFC 7636 asks 43-128
    }
    with transaction():
        _purge()
        execute(
            insert(flows).values(
                key=digest(made["state"]), kind="state", provider=provider, browser=digest(browser),
                nonce=made["nonce"], verifier=made["verifier"], next=next_path, user_id=user_id,
                expires_at=now() + LIFETIME,
            )
        )  # fmt: skip
    return made


def take(state: str, provider: str, browser: str | None) -> dict[str, Any] | None:
    """The flow of ``state``, used up, when this browser started it for ``provider`` within
    its lifetime; else None (and a flow presented by the wrong browser is used up too)."""
    if not state or not browser:
        return None
    key = digest(state)
    with transaction():
        row = one(select(flows).where(flows.c.key == key, flows.c.kind == "state"))
        if row is None or execute(delete(flows).where(flows.c.key == key)).rowcount != 1:
            return None  # unknown, or another request took it first
    fits = secrets.compare_digest(row["browser"], digest(browser)) and row["provider"] == provider
    return row if fits and row["expires_at"] >= now() else None


def intend_link(provider: str, user_id: int, next_path: str) -> str:
    """A single-use token for ``GET /start?link=…``: the signed-in user asked to link."""
    token = secrets.token_urlsafe(32)
    with transaction():
        _purge()
        execute(
            insert(flows).values(
                key=digest(token), kind="link", provider=provider, browser="", nonce="", verifier="",
                next=next_path, user_id=user_id, expires_at=now() + LIFETIME,
            )
        )  # fmt: skip
    return token


def take_intent(token: str, provider: str) -> dict[str, Any] | None:
    """The link intent of ``token``, used up; None when unknown, used, expired or for another provider."""
    key = digest(token)
    with transaction():
        row = one(select(flows).where(flows.c.key == key, flows.c.kind == "link"))
        if row is None or execute(delete(flows).where(flows.c.key == key)).rowcount != 1:
            return None
    return row if row["provider"] == provider and row["expires_at"] >= now() else None


def forget_user(user_id: int) -> None:
    execute(delete(flows).where(flows.c.user_id == user_id))
