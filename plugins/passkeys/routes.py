"""``/api/passkeys``: enrol, list, rename and remove passkeys; sign in with one (api-v2.md)."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import select

from core import (
    ApiError,
    RateLimit,
    account_event,
    current_identity,
    endpoint,
    ensure_not_last_method,
    execute,
    hold_account,
    mfa_user,
    require_recent_auth,
    sign_in,
    transaction,
)
from plugins.passkeys import ceremonies, credentials
from plugins.passkeys.answers import CreationOptions, Passkey, Passkeys, RequestOptions, SignedIn
from plugins.passkeys.bodies import Login, LoginOptions, NewPasskey, Proof, Rename
from plugins.passkeys.schema import handles
from plugins.passkeys.settings import settings

bp = Blueprint("passkeys", __name__, url_prefix="/api/passkeys")

INVALID_CREDENTIAL = "the registration response proves no new passkey of yours"
INVALID_CREDENTIALS = "the passkey could not be verified"
REAUTH = "the last sign-in is not recent enough: send a proof, or POST /api/auth/reauth first"


@bp.after_request
def no_store(response: Response) -> Response:
    """Challenges, passkey lists and tokens are nobody's to cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no such passkey")


@bp.post("/register/options")
@endpoint(
    body=Proof,
    body_optional=True,
    auth=True,
    response=CreationOptions,
    responses={403: "reauth_required"},
)
def register_options(body: Proof):
    """Creation options for a new passkey (recent sign-in, or a proof in the body)."""
    identity = require_recent_auth(proof=body.fields())
    return ceremonies.registration_options(identity)


@bp.post("/register")
@endpoint(body=NewPasskey, auth=True, status=201, response=Passkey, responses={400: "invalid_credential"})
def register(body: NewPasskey):
    """Store the passkey a registration response proves; activity ``passkey_added``."""
    identity = current_identity()
    try:
        record = ceremonies.register(identity.id, body.credential.model_dump(exclude_unset=True))
        row = credentials.add(identity.id, {**record, "name": body.name})
    except (ceremonies.Refused, credentials.AlreadyRegistered):
        raise ApiError(400, "invalid_credential", INVALID_CREDENTIAL) from None
    notice = {"notice": "factor_added", "method": "passkey", "name": row["name"]}
    account_event(identity.id, "passkey_added", passkey=row["id"], **notice)
    return credentials.public(row), 201


@bp.get("")
@endpoint(auth=True, response=Passkeys)
def list_passkeys():
    """The current user's passkeys, oldest first."""
    return {"passkeys": [credentials.public(row) for row in credentials.of_user(current_identity().id)]}


@bp.patch("/<int:passkey_id>")
@endpoint(body=Rename, auth=True, response=Passkey, responses={404: "no such passkey of yours"})
def rename(passkey_id: int, body: Rename):
    """Rename one of the current user's passkeys."""
    row = credentials.rename(current_identity().id, passkey_id, body.name)
    if row is None:
        raise _not_found()
    return credentials.public(row)


@bp.delete("/<int:passkey_id>")
@endpoint(
    body=Proof,
    body_optional=True,
    auth=True,
    status=204,
    responses={403: "reauth_required", 404: "no such passkey of yours", 409: "last_sign_in_method"},
)
def remove(passkey_id: int, body: Proof):
    """Remove a passkey (recent sign-in); never the account's last way to sign in."""
    user_id = current_identity().id
    if credentials.get(user_id, passkey_id) is None:
        raise _not_found()
    require_recent_auth(proof=body.fields())
    with transaction():
        hold_account(user_id)
        # Two removals at once must not both see a passkey left: the second waits here.
        execute(select(handles.c.user_id).where(handles.c.user_id == user_id).with_for_update())
        ensure_not_last_method(user_id, "passkey")
        if not credentials.remove(user_id, passkey_id):
            raise _not_found()
        notice = {"notice": "factor_removed", "method": "passkey"}
        account_event(user_id, "passkey_removed", passkey=passkey_id, **notice)
    return None


@bp.post("/login/options")
@endpoint(
    body=LoginOptions,
    body_optional=True,
    public=True,
    response=RequestOptions,
    responses={400: "invalid_token"},
    rate_limits=[RateLimit("passkeys_options", lambda: settings().limits.options)],
)
def login_options(body: LoginOptions):
    """Request options: any discoverable passkey, or the passkeys of an MFA challenge's user."""
    if body.mfa_token is None:
        return ceremonies.authentication_options()
    user_id = mfa_user(body.mfa_token)
    if user_id is None:
        raise ApiError(400, "invalid_token", "the MFA token is unknown, used or expired")
    return ceremonies.authentication_options(user_id)


@bp.post("/login")
@endpoint(
    body=Login,
    response=SignedIn,
    responses={401: "invalid_credentials or mfa_required", 403: "account_disabled"},
    rate_limits=[RateLimit("passkeys_login", lambda: settings().limits.login)],
)
def login(body: Login):
    """Passwordless sign-in: the token body and cookies, ``amr`` ``["hwk"]`` or ``["swk"]``."""
    try:
        row, method = ceremonies.assert_passkey(body.credential.model_dump(exclude_unset=True))
    except ceremonies.Refused:
        raise ApiError(401, "invalid_credentials", INVALID_CREDENTIALS) from None
    return sign_in(row["user_id"], [method], multi_factor=True)
