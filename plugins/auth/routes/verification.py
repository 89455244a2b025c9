"""``/api/auth``: confirming the account's email address by a mailed link."""

from __future__ import annotations

from core import check_rate_limit, endpoint
from plugins.auth import accounts, activity, mail, onetime, service
from plugins.auth.answers import Accepted
from plugins.auth.bodies import TokenOnly
from plugins.auth.routes.blueprints import auth
from plugins.auth.settings import settings


@auth.post("/verify-email")
@endpoint(
    auth=True,
    status=202,
    response=Accepted,
    responses={429: "too many messages for this account"},
)
def request_email_verification():
    """Mail a link that confirms the account's address (a few an hour: an inbox is not flooded)."""
    user = service.me()
    check_rate_limit("verify_email_account", settings().limits.verify_email_account, str(user["id"]))
    service.mail_link(user, onetime.VERIFY, mail.verification_message)
    return {"status": "accepted"}, 202


@auth.post("/verify-email/confirm")
@endpoint(body=TokenOnly, status=204, responses={400: "invalid_token"})
def confirm_email(body: TokenOnly):
    """Mark the address as verified with the mailed token."""
    user_id = onetime.consume(body.token, onetime.VERIFY)
    accounts.set_email_verified(user_id)
    activity.record(user_id, "email_verified")
    return service.no_content()
