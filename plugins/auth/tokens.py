"""JWTs: issuing and verifying access and refresh tokens.

Verification pins the algorithm, requires every registered claim, checks issuer, audience and
type, and picks the key by ``kid`` among the current and previous keys.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import secrets
import time
from typing import Any

import jwt

from core import ApiError, get_settings
from plugins.auth.keys import KeyRing, derive
from plugins.auth.settings import settings

ALGORITHM = "HS256"
AUDIENCE = "annex"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "jti", "iat", "exp", "typ"]
#: The claim carrying the session's random key. Not required by ``decode``: a token without it
#: (issued before sessions had keys) is a valid signature of a session that has ended.
SESSION_KEY = "sk"
ACCESS = "access"
#: A user id as ``sub`` carries it: 1 to 19 ASCII digits.
SUBJECT = re.compile(r"[0-9]{1,19}")
REFRESH = "refresh"
#: Verified tokens remembered per process (about 1 KB each).
VERIFIED_TOKENS = 4096


@functools.lru_cache(maxsize=8)
def _ring(jwt_key: str, previous: tuple[str, ...], secret_key: str) -> KeyRing:
    return KeyRing.build(jwt_key or derive(secret_key), list(previous))


def keyring() -> KeyRing:
    s = settings()
    return _ring(s.jwt_key, tuple(s.previous_keys), get_settings().security.secret_key or "")


def csrf_hash(value: str) -> str:
    """What a token carries of its CSRF value: enough to bind it, useless to forge it."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def issue(
    typ: str,
    user_id: int,
    session_id: int,
    session_key: str,
    ttl: int,
    session_end: float,
    *,
    generation: int | None = None,
    csrf: str | None = None,
    extra: dict[str, Any] | None = None,
    amr: list[str] | None = None,
    auth_time: float | None = None,
) -> tuple[str, int]:
    """A signed token and how many seconds it lives (``exp - iat``); never valid past the
    session's absolute end. The lifetime comes from the token's own claims, so a body's
    ``expires_in`` is exactly the TTL even when a second boundary passes meanwhile.

    ``amr`` and ``auth_time`` (RFC 8176 methods, the last proof) travel in the token, so a
    request learns them without reading the session's row."""
    issued = int(time.time())
    expires = int(min(issued + ttl, session_end))
    claims: dict[str, Any] = dict(extra or {})
    claims.update(
        iss=get_settings().site.url,
        aud=AUDIENCE,
        sub=str(user_id),
        sid=session_id,
        jti=secrets.token_urlsafe(12),
        iat=issued,
        exp=expires,
        typ=typ,
    )
    claims[SESSION_KEY] = session_key
    if generation is not None:
        claims["gen"] = generation
    if csrf is not None:
        claims["csrf"] = csrf_hash(csrf)
    if amr is not None:
        claims["amr"] = list(amr)
    if auth_time is not None:
        claims["auth_time"] = int(auth_time)
    ring = keyring()
    token = jwt.encode(claims, ring.current, algorithm=ALGORITHM, headers={"kid": ring.current_kid})
    return token, max(0, expires - issued)


def refused(message: str, code: str = "unauthorized") -> ApiError:
    """A 401 for a token that was presented and rejected (RFC 6750 ``invalid_token``)."""
    challenge = f'Bearer realm="annex", error="invalid_token", error_description="{message}"'
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


def _kid(token: str) -> str | None:
    """The ``kid`` of a token's header, read from the header segment alone.

    PyJWT's own ``get_unverified_header`` validates every segment character by character,
    and ``jwt.decode`` does it again: on the per-request path, once is enough. Anything odd
    here is simply "no kid"; ``jwt.decode`` judges the token itself.
    """
    segment = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        return None
    return str(header.get("kid")) if isinstance(header, dict) else None


def decode(token: str, typ: str, *, verify_exp: bool = True) -> dict[str, Any]:
    """The verified claims of ``token``, or a 401 (``token_expired`` past ``exp``)."""
    claims = _verified(token, keyring(), get_settings().site.url)
    if verify_exp and claims["exp"] <= time.time():
        raise refused("token has expired", "token_expired")
    if claims["typ"] != typ:
        raise refused(f"not an {typ} token" if typ == ACCESS else f"not a {typ} token")
    return dict(claims)


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(token: str, ring: KeyRing, issuer: str) -> dict[str, Any]:
    """What never changes for a token: its key, signature, algorithm, audience, issuer and claims.

    Remembered, because a client sends one access token on every request for its lifetime and
    PyJWT's checks cost more than the rest of a read; ``exp`` and ``typ`` are checked by the
    caller on every use. A refused token raises and is therefore never remembered.
    """
    kid = _kid(token)
    if kid is None:
        raise refused("malformed token")
    key = ring.by_kid.get(kid)
    if key is None:
        raise refused("unknown signing key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": REQUIRED_CLAIMS, "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise refused("invalid token") from None
    # Only our own key signs these, but a malformed claim must still never reach SQL or int().
    if (
        type(claims["sid"]) is not int
        or type(claims["exp"]) is not int
        or not SUBJECT.fullmatch(str(claims["sub"]))
    ):
        raise refused("invalid token")
    return claims
