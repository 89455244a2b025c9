"""A third-party sign-in method and second factor, from outside plugins/: it imports only ``core``.

The method, "magic code": ``POST /api/magic/signin {"email", "code"}`` signs in (and, for an
unknown address, signs up) whoever knows the site's code, with an ``amr`` of its own
(``"magic"``). The factor, a PIN: ``POST /api/magic/pin {"pin"}`` enrols one (a sensitive
action: it needs a recent sign-in), and from then on every sign-in asks for it.
``DELETE /api/magic/link`` stops the account signing in by magic code, never its last way in.
"""

from __future__ import annotations

import hmac

from flask import Blueprint
from pydantic import Field
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, delete, insert, select, update

from core import (
    ApiError,
    Body,
    Migration,
    Section,
    account_event,
    create_account,
    endpoint,
    ensure_not_last_method,
    execute,
    find_account,
    hold_account,
    hookimpl,
    one,
    plugin_settings,
    require_recent_auth,
    sign_in,
    transaction,
)


class Settings(Section):
    #: The code that signs anyone in: a test plugin's stand-in for a code sent by mail.
    code: str = "424242"


metadata = MetaData()
#: One row per account of this plugin: whether it signs in by magic code, and its PIN if any.
links = Table(
    "signin_method_links",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("magic", Boolean, nullable=False),
    Column("pin", String(16)),
)


def _row(user_id: int) -> dict | None:
    return one(select(links).where(links.c.user_id == user_id))


def _save(user_id: int, **values) -> None:
    """Insert or update the account's row, ordered against its deletion (``hold_account``)."""
    with transaction():
        hold_account(user_id)
        if _row(user_id) is None:
            execute(insert(links).values(user_id=user_id, **{"magic": False, **values}))
        else:
            execute(update(links).where(links.c.user_id == user_id).values(**values))


class MagicSignIn(Body):
    email: str = Field(min_length=3, max_length=254)
    code: str = Field(min_length=1, max_length=64)
    invite: str | None = Field(None, max_length=256)


class NewPin(Body):
    pin: str = Field(pattern=r"^[0-9]{4,8}$")
    # A proof of the account's owner, for when the sign-in is not recent.
    password: str | None = Field(None, max_length=4096)
    code: str | None = Field(None, max_length=64)


class Proof(Body):
    password: str | None = Field(None, max_length=4096)
    code: str | None = Field(None, max_length=64)


bp = Blueprint("signin_method", __name__, url_prefix="/api/magic")


@bp.post("/signin")
@endpoint(body=MagicSignIn, responses={401: "invalid_credentials or mfa_required"})
def magic_sign_in(body: MagicSignIn):
    """Sign in (or up) with the site's magic code: answers exactly as a password login."""
    if not hmac.compare_digest(body.code.encode(), plugin_settings("signin_method").code.encode()):
        raise ApiError(401, "invalid_credentials", "wrong code")
    account = find_account(body.email)
    if account is None:
        account = create_account(body.email, method="magic", email_verified=True, invite=body.invite)
    _save(account["id"], magic=True)
    return sign_in(account["id"], ["magic"])


@bp.post("/pin")
@endpoint(body=NewPin, auth=True, status=204)
def enrol_pin(body: NewPin):
    """Enrol a PIN as second factor (recent sign-in, or a proof in this request)."""
    identity = require_recent_auth(body.model_dump(exclude={"pin"}, exclude_none=True))
    _save(identity.id, pin=body.pin)
    account_event(identity.id, "pin_enabled")
    return None


@bp.delete("/link")
@endpoint(body=Proof, body_optional=True, auth=True, status=204, responses={409: "last_sign_in_method"})
def unlink(body: Proof):
    """Stop signing in by magic code; refused when it is the account's last way in."""
    identity = require_recent_auth(body.model_dump(exclude_none=True))
    row = _row(identity.id)
    if row is None or not row["magic"]:
        raise ApiError(404, "not_found", "this account does not sign in by magic code")
    ensure_not_last_method(identity.id, "magic")
    _save(identity.id, magic=False)
    return None


@hookimpl
def register_settings():
    return Settings


@hookimpl
def register_routes(app):
    return [bp]


@hookimpl
def register_migrations():
    return [Migration("signin_method", "0001_links", lambda db: links.create(db.executable, checkfirst=True))]


@hookimpl
def sign_in_methods(user_id):
    row = _row(user_id)
    return ["magic"] if row is not None and row["magic"] else None


@hookimpl
def second_factors(user_id):
    row = _row(user_id)
    return ["pin"] if row is not None and row["pin"] else None


@hookimpl
def verify_factor(user_id, factor, proof):
    if factor != "pin":
        return None  # another plugin's factor
    row = _row(user_id)
    code = proof.get("code")
    if row is None or not row["pin"] or not isinstance(code, str):
        return False
    return "pin" if hmac.compare_digest(code.encode(), row["pin"].encode()) else False


@hookimpl
def user_deleted(user_id):
    execute(delete(links).where(links.c.user_id == user_id))
