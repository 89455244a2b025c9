"""Who sent this request: a Bearer access token, or the access cookie plus CSRF proof."""

from __future__ import annotations

import json

from flask import Request

from core import UNSAFE_METHODS, Identity, rfc3339, unauthorized
from plugins.auth import sessions, tokens
from plugins.auth.cookies import CookieNames, check_csrf
from plugins.auth.settings import settings


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer …``; None when the header is absent or of another scheme."""
    header = request.environ.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def identify(request: Request) -> Identity | None:
    s = settings()
    names = CookieNames.for_settings(s.cookie_secure)
    if "HTTP_AUTHORIZATION" in request.environ:
        token = bearer_token(request)
        if token is None:
            return None  # another scheme: another plugin's business
        if "bearer" not in s.transports:
            raise unauthorized(message="this site accepts cookies only")
        claims = tokens.decode(token, tokens.ACCESS)
        transport = "bearer"
    else:
        token = request.cookies.get(names.access) if "cookie" in s.transports else None
        if not token:
            return None
        claims = tokens.decode(token, tokens.ACCESS)
        if request.method in UNSAFE_METHODS:
            check_csrf(request, names, claims.get("csrf"))
        transport = "cookie"
    row = sessions.for_request(claims["sid"], claims.get(tokens.SESSION_KEY))
    if row is None or row["user_id"] != int(claims["sub"]):
        raise sessions.revoked()
    roles = json.loads(row["roles"])
    amr, auth_time = claims.get("amr"), claims.get("auth_time")
    return Identity(
        id=row["user_id"],
        username=row["username"],
        roles=frozenset(roles),
        session_id=claims["sid"],
        transport=transport,
        methods=tuple(m for m in amr if isinstance(m, str)) if isinstance(amr, list) else (),
        auth_time=auth_time if type(auth_time) is int else None,
        account={
            "id": row["user_id"],
            "username": row["username"],
            "email": row["email"],
            "email_verified": bool(row["email_verified"]),
            "roles": roles,
            "created_at": rfc3339(row["created_at"]),
        },
    )
