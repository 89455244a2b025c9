"""``/api/totp``: enrol an authenticator app, confirm it, remove it, renew the recovery codes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint
from pydantic import BaseModel, Field

from core import (
    Body,
    current_identity,
    endpoint,
    get_settings,
    rate_limited,
    rate_limiter,
    require_recent_auth,
)
from plugins.totp import codes, enrolments
from plugins.totp.settings import settings

bp = Blueprint("totp", __name__, url_prefix="/api/totp")

#: The rate limit of wrong codes at confirm (``limits.confirm``), counted per account.
CONFIRM_LIMIT = "totp_confirm"
REAUTH = "reauth_required: the last sign-in is not recent; send a proof or call POST /api/auth/reauth"
#: What the routes that take a proof may answer besides success (the proof is checked by the
#: accounts owner: a wrong one is its 401, too many wrong codes its 429).
STEP_UP = {
    401: "not authenticated, or a wrong proof (invalid_credentials, invalid_code)",
    403: REAUTH,
    429: "rate_limited: too many wrong proofs",
}


class TotpProof(Body):
    """A fresh proof for a sensitive action, needed only when the last sign-in is not recent."""

    password: str | None = Field(None, max_length=1024)
    code: str | None = Field(None, max_length=64)
    credential: dict[str, Any] | None = None


class TotpCode(Body):
    code: str = Field(min_length=1, max_length=64)


class TotpStatus(BaseModel):
    enabled: bool
    recovery_codes_left: int


class TotpSetup(BaseModel):
    secret: str
    otpauth_uri: str


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


def _recently_proved(body: TotpProof) -> int:
    """The user's id, once the sign-in is recent enough or ``body`` proves a factor now."""
    return require_recent_auth(proof=body.model_dump(exclude_none=True)).id


def _issuer() -> str:
    return settings().issuer or urlsplit(get_settings().site.url).hostname or "Annex"


@bp.get("")
@endpoint(auth=True, response=TotpStatus)
def get_status():
    """Whether an authenticator is on, and how many recovery codes are left."""
    return enrolments.status(current_identity().id)


@bp.post("/setup")
@endpoint(
    body=TotpProof,
    body_optional=True,
    auth=True,
    response=TotpSetup,
    responses={**STEP_UP, 409: "already_enrolled: remove the authenticator first"},
)
def setup(body: TotpProof):
    """Start enrolling an authenticator app: a new secret and its otpauth:// URI.

    The page draws the URI as a QR code; nothing is on until ``POST /api/totp/confirm``. A
    second setup replaces the pending secret."""
    identity = current_identity()
    if enrolments.status(identity.id)["enabled"]:
        raise enrolments.already_enrolled()  # before the step-up: a proof is not spent for nothing
    user_id = _recently_proved(body)
    secret = enrolments.begin(user_id)
    account = identity.username or str(identity.account.get("username") or user_id)
    return {"secret": secret, "otpauth_uri": codes.otpauth_uri(secret, _issuer(), account)}


@bp.post("/confirm")
@endpoint(
    body=TotpCode,
    auth=True,
    response=RecoveryCodes,
    responses={
        401: "invalid_code: the code is wrong",
        409: "not_enrolled (no setup) or already_enrolled",
        429: "rate_limited: too many wrong codes",
    },
)
def confirm(body: TotpCode):
    """Turn the authenticator on with a code it shows; answers ten recovery codes.

    The codes are shown this once. The user's other sessions end."""
    user_id = current_identity().id
    limit = (CONFIRM_LIMIT, settings().limits.confirm, str(user_id))
    if not rate_limiter().test(*limit, fail_closed=True):
        raise rate_limited()
    fresh = enrolments.confirm(user_id, body.code)
    if fresh is None:
        rate_limiter().hit(*limit, fail_closed=True)
        raise enrolments.invalid_code()
    return {"recovery_codes": fresh}


@bp.delete("")
@endpoint(body=TotpProof, body_optional=True, auth=True, status=204, responses=STEP_UP)
def remove(body: TotpProof):
    """Remove the authenticator (or a pending setup) and its recovery codes."""
    enrolments.disable(_recently_proved(body))


@bp.post("/recovery-codes")
@endpoint(
    body=TotpProof,
    body_optional=True,
    auth=True,
    response=RecoveryCodes,
    responses={**STEP_UP, 409: "not_enrolled: no authenticator is on"},
)
def new_recovery_codes(body: TotpProof):
    """Ten new recovery codes; the old ones stop working."""
    return {"recovery_codes": enrolments.regenerate(_recently_proved(body))}
