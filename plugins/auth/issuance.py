"""The token body and cookies that register, login and refresh answer with."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from core import Identity, hooks
from plugins.auth import accounts, sessions, tokens
from plugins.auth.cookies import CookieNames, new_csrf_value, set_auth_cookies
from plugins.auth.settings import settings

#: Claims no plugin may override through ``extra_token_claims``.
REGISTERED = frozenset({*tokens.REQUIRED_CLAIMS, tokens.SESSION_KEY, "gen", "csrf", "amr", "auth_time"})


def token_response(
    user: dict[str, Any], session: dict[str, Any], generation: int, status: int = 200, csrf: str | None = None
) -> Response:
    """Sign a fresh access/refresh pair for ``session`` at ``generation`` and answer with it.

    ``csrf`` keeps the browser's CSRF value across a cookie refresh; otherwise a new one is made.
    """
    s = settings()
    use_cookies = "cookie" in s.transports
    csrf_value = (csrf or new_csrf_value()) if use_cookies else None
    identity = Identity(id=user["id"], username=user["username"], roles=frozenset(accounts.roles_of(user)))
    extra: dict[str, Any] = {}
    for claims in hooks().extra_token_claims(identity=identity):
        extra.update({key: value for key, value in (claims or {}).items() if key not in REGISTERED})
    common = {
        "user_id": user["id"],
        "session_id": session["id"],
        "session_key": session["key"],
        "session_end": session["expires_at"],
        "csrf": csrf_value,
        "amr": sessions.methods_of(session),
        "auth_time": session.get("auth_time") or session.get("created_at"),
    }
    access, access_lifetime = tokens.issue(tokens.ACCESS, ttl=s.access_token_ttl, extra=extra, **common)
    refresh, refresh_lifetime = tokens.issue(
        tokens.REFRESH, ttl=s.refresh_token_ttl, generation=generation, **common
    )
    body: dict[str, Any] = {}
    if "bearer" in s.transports:
        body.update(access_token=access, refresh_token=refresh)
    body.update(token_type="Bearer", expires_in=access_lifetime, user=accounts.public(user))
    response = jsonify(body)
    response.status_code = status
    if use_cookies:
        names = CookieNames.for_settings(s.cookie_secure)
        set_auth_cookies(response, names, access, refresh, csrf_value, refresh_lifetime)
    return response
