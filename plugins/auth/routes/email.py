"""``/api/auth``: changing the account's email address (a link to the new one confirms it)."""

from __future__ import annotations

from core import check_rate_limit, endpoint, field_error, require_recent_auth
from plugins.auth import accounts, emailchange, emails, service
from plugins.auth.answers import Accepted
from plugins.auth.bodies import EmailChange, TokenOnly
from plugins.auth.routes.blueprints import auth
from plugins.auth.settings import settings


@auth.post("/email")
@endpoint(
    body=EmailChange,
    auth=True,
    status=202,
    response=Accepted,
    responses={
        401: "invalid_credentials or invalid_code (a wrong proof in the body)",
        403: "reauth_required",
        409: "email_taken",
        422: "new_email is not an address, or is already the account's",
        429: "too many email changes for this account, or too many checks; see Retry-After",
    },
)
def request_email_change(body: EmailChange):
    """Mail a confirmation link to ``new_email`` and a notice to the current address; nothing
    changes until the link is used. Needs a recent sign-in or a proof in the body."""
    identity = require_recent_auth(proof=body.proof())
    check_rate_limit("email_change_account", settings().limits.email_change_account, str(identity.id))
    user = service.me()
    if emails.lookup_form(user["email"]) == body.new_email:
        raise field_error("new_email", "this is already the account's address")
    if accounts.find_by_email(body.new_email) is not None:
        raise accounts.taken("email")
    emailchange.request_change(user, body.new_email)
    return {"status": "accepted"}, 202


@auth.post("/email/confirm")
@endpoint(
    body=TokenOnly,
    status=204,
    responses={
        400: "invalid_token (unknown, used, expired, or not the newest request's)",
        409: "email_taken",
    },
)
def confirm_email_change(body: TokenOnly):
    """Make the address the link was sent to the account's (verified)."""
    emailchange.confirm(body.token)
    return service.no_content()
