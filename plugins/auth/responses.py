"""What the auth plugin adds to its own answers.

They carry tokens and account data, so no cache keeps them, whatever a view said; and a wrong
password is not a bad token, so its 401 challenge names a token error only when one was sent.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from core import ApiError

#: The RFC 6750 challenge of a refused login or password check.
REALM = 'Bearer realm="annex"'
INVALID_CREDENTIALS = "invalid username or password"


def no_store(response: Response) -> Response:
    """An ``after_request`` of auth's blueprints."""
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid_credentials() -> ApiError:
    """The 401 of a wrong login or password."""
    challenge = REALM
    if request.headers.get("Authorization"):
        challenge += f', error="invalid_token", error_description="{INVALID_CREDENTIALS}"'
    return ApiError(401, "invalid_credentials", INVALID_CREDENTIALS, challenge=challenge)


class DetailedError(ApiError):
    """An ``ApiError`` whose ``error`` object carries more than code and message (the MFA
    challenge's ``mfa``, the step-up's ``methods``), as the contract shapes them."""

    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(status, code, message)
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["error"].update(self.details)
        return body


def invalid_code() -> ApiError:
    """The 401 of a wrong second factor."""
    return ApiError(401, "invalid_code", "this code or credential is not right", challenge=REALM)
