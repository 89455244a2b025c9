"""``/api/auth``: the second step of a sign-in (``/mfa``) and re-authentication (``/reauth``)."""

from __future__ import annotations

from flask import request

from core import ApiError, current_identity, endpoint, field_error, second_factors, verify_factor
from plugins.auth import accounts, challenges, responses, service, sessions, signin, stepup
from plugins.auth.answers import Tokens
from plugins.auth.bodies import MfaAnswer, Reauth
from plugins.auth.cookies import CSRF_HEADER
from plugins.auth.issuance import token_response
from plugins.auth.routes.blueprints import auth


@auth.post("/mfa")
@endpoint(
    body=MfaAnswer,
    response=Tokens,
    responses={
        400: "invalid_token (unknown, used, expired or ended by five wrong factors) or unknown_factor",
        401: "invalid_code",
        403: "account_disabled",
        429: "too many wrong second factors for this account; see Retry-After",
    },
)
def mfa(body: MfaAnswer):
    """Answer the MFA challenge of a first step with a second factor: the session starts."""
    challenge = challenges.open_one(body.mfa_token)
    user = accounts.get(challenge["user_id"])
    if user is None:
        raise challenges.invalid()
    factors = second_factors(user["id"])
    if body.factor not in factors:
        message = f"this account has no second factor {body.factor!r}; it has: {', '.join(factors) or 'none'}"
        raise ApiError(400, "unknown_factor", message)
    stepup.check_factor_budget(user["id"])
    amr = verify_factor(user["id"], body.factor, body.proof())
    if amr is None:
        challenges.failed(challenge["id"])
        stepup.count_wrong_factor(user["id"])
        raise responses.invalid_code()
    if not challenges.consume(challenge["id"]):
        raise challenges.invalid()  # another request answered it first
    return signin.finish(user, signin.combined(challenge["methods"], amr), multi_factor=True)


@auth.post("/reauth")
@endpoint(
    body=Reauth,
    auth=True,
    response=Tokens,
    responses={
        401: "invalid_credentials (wrong password) or invalid_code (wrong code or credential)",
        429: "too many checks for this session or account; see Retry-After",
    },
)
def reauth(body: Reauth):
    """Prove it is still you (password, code or credential): this session's ``auth_time``
    becomes now and fresh tokens carry it (no new session)."""
    identity = current_identity()
    user = service.me()
    if not stepup.prove(user, body.model_dump(exclude_none=True)):
        raise field_error("password", "send password, code or credential")
    session = sessions.proved_again(identity.session_id)
    if session is None:
        raise sessions.revoked()
    csrf = request.headers.get(CSRF_HEADER) if identity.transport == "cookie" else None
    return token_response(user, session, session["generation"], csrf=csrf)
