"""Checking an ID token: its signature by the provider's published keys, then its claims.

joserfc verifies the signature (against the JWKS, read again when the token names a key the
cache lacks); authlib's ``CodeIDToken`` checks ``iss``, ``aud``, ``exp``, ``iat``, ``nonce`` and
``azp`` (OpenID Connect Core 1.0, 3.1.3.7). Only asymmetric algorithms are accepted: ``none`` and
the HMAC ones (keyed with the client secret) never are.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from plugins.oidc import remote
from plugins.oidc.settings import Provider

#: Signature algorithms accepted when discovery does not list the provider's.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
#: Seconds of clock difference tolerated on ``exp`` and ``iat``.
LEEWAY = 60


class InvalidIdToken(Exception):
    """The ID token is not one this client may trust; the message says which check failed."""


def _algorithms(provider: Provider) -> list[str]:
    listed = remote.metadata(provider).get("id_token_signing_alg_values_supported") or ASYMMETRIC
    return [alg for alg in listed if alg in ASYMMETRIC] or ["RS256"]


def validate(provider: Provider, id_token: str, nonce: str) -> dict[str, Any]:
    """The claims of ``id_token`` once every check passed; raises ``InvalidIdToken``."""
    try:
        header = extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(f"not a signed JWT: {exc}") from None
    algorithms = _algorithms(provider)
    if header.get("alg") not in algorithms:
        raise InvalidIdToken(f"signed with {header.get('alg')!r}, not one of {algorithms}")
    keys = remote.keys(provider, header.get("kid"))
    try:
        token = jwt.decode(id_token, keys, algorithms=algorithms)
    except (JoseError, ValueError) as exc:  # an unknown kid is a ValueError in joserfc
        raise InvalidIdToken(f"signature: {exc}") from None
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
            "sub": {"essential": True},
        },
        params={"nonce": nonce, "client_id": provider.client_id},
    )
    try:
        claims.validate(now=int(time.time()), leeway=LEEWAY)
    except JoseError as exc:
        raise InvalidIdToken(f"claims: {exc}") from None
    if not isinstance(token.claims.get("sub"), str) or not token.claims["sub"]:
        raise InvalidIdToken("claims: no sub")
    if token.claims.get("iat", 0) > time.time() + LEEWAY:
        raise InvalidIdToken("claims: issued in the future")
    return dict(token.claims)
