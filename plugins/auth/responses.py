"""What the auth plugin adds to its own answers.

They carry tokens and account data, so no cache keeps them, whatever a view said; and a wrong
password is not a bad token, so its 401 challenge names a token error only when one was sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Response, request

from core import ApiError

#: The RFC 6750 challenge of a refused login or password check.
REALM = 'Bearer realm="annex"'
INVALID_CREDENTIALS = "invalid username or password"

# Flask takes an after_request only before a blueprint's first registration, and
# register_routes runs once per app: each blueprint gets it once.
_never_cached: set[str] = set()


def never_cached(blueprints: Iterable[Blueprint]) -> list[Blueprint]:
    """``blueprints``, each of whose answers is sent with ``Cache-Control: no-store``."""
    blueprints = list(blueprints)
    for bp in blueprints:
        if bp.name not in _never_cached:
            bp.after_request(_no_store)
            _never_cached.add(bp.name)
    return blueprints


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid_credentials() -> ApiError:
    """The 401 of a wrong login or password."""
    challenge = REALM
    if request.headers.get("Authorization"):
        challenge += f', error="invalid_token", error_description="{INVALID_CREDENTIALS}"'
    return ApiError(401, "invalid_credentials", INVALID_CREDENTIALS, challenge=challenge)
