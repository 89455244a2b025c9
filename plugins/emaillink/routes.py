"""``/api/emaillink``: ask for a sign-in mail, and confirm it with its link's token or its code."""

from __future__ import annotations

from flask import Blueprint

from core import (
    RateLimit,
    check_rate_limit,
    client_ip_key,
    endpoint,
    find_account,
    rate_limited,
    rate_limiter,
    sign_in,
    transaction,
)
from plugins.emaillink import accounts, links, mail
from plugins.emaillink.answers import Accepted, SignedIn
from plugins.emaillink.bodies import Confirm, LinkRequest
from plugins.emaillink.settings import settings

bp = Blueprint("emaillink", __name__, url_prefix="/api/emaillink")

#: Limit name of the wrong confirmations of one client.
CONFIRM_LIMIT = "emaillink_confirm_ip"


def _request_ip_limit() -> str:
    return settings().limits.request_ip


@bp.post("")
@endpoint(
    body=LinkRequest,
    status=202,
    response=Accepted,
    rate_limits=[RateLimit("emaillink_request_ip", _request_ip_limit)],
    responses={429: "rate_limited: too many requests from this client or for this address"},
)
def request_link(body: LinkRequest):
    """Mail a sign-in link and code if the address has an account (or may get one); the answer
    is the same either way."""
    s = settings()
    # Counted for every address, with an account or not: the limit tells nothing either.
    check_rate_limit("emaillink_request_email", s.limits.request_email, body.email)
    account = find_account(body.email)
    if account is not None and account.get("disabled"):
        return {"status": "accepted"}, 202  # a disabled account is mailed nothing
    if account is None and not s.create_accounts:
        return {"status": "accepted"}, 202
    creates = account is None
    address = body.email if creates else account["email"]
    with transaction():  # the mail is queued with the row it carries, or not at all
        token, code = links.issue(address, None if creates else int(account["id"]), s.lifetime)
        mail.send(address, token, code, creates=creates)
    return {"status": "accepted"}, 202


@bp.post("/confirm")
@endpoint(
    body=Confirm,
    response=SignedIn,
    responses={
        400: "invalid_token: the link or the code is unknown, used, expired or ended by wrong codes",
        401: "mfa_required, with error.mfa {token, factors, expires_in}: finish at POST /api/auth/mfa",
        403: "registration_closed (a link that creates the account) or account_disabled",
        429: "rate_limited: too many wrong confirmations from this client",
    },
)
def confirm(body: Confirm):
    """Sign in with the mailed link's token, or with the address and the mailed code: the token
    body and cookies, or the MFA challenge. Either one spends both."""
    s = settings()
    client = client_ip_key()
    limiter = rate_limiter()
    if not limiter.test(CONFIRM_LIMIT, s.limits.confirm_ip, client):
        raise rate_limited()
    if body.token is not None:
        link = links.take_token(body.token)
    else:
        link = links.take_code(body.email, body.code, s.max_code_attempts)
    if link is None:
        limiter.hit(CONFIRM_LIMIT, s.limits.confirm_ip, client)
        raise accounts.invalid()
    return sign_in(accounts.signing_in(link), [accounts.METHOD])
