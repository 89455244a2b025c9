"""``/api/auth``: changing the password, and resetting it by a mailed link."""

from __future__ import annotations

from core import RateLimit, check_rate_limit, current_identity, endpoint, field_error, transaction
from plugins.auth import accounts, activity, mail, notices, onetime, passwords, service, sessions
from plugins.auth.answers import Accepted
from plugins.auth.bodies import ChangePassword, ResetConfirm, ResetRequest
from plugins.auth.routes.blueprints import auth
from plugins.auth.settings import settings


@auth.post("/password")
@endpoint(
    body=ChangePassword,
    auth=True,
    status=204,
    responses={401: "invalid_credentials", 429: service.RECHECK_LIMITED},
)
def change_password(body: ChangePassword):
    """Change the password; every other session ends, this one stays."""
    user = service.me()
    problem = passwords.problem(
        body.new_password, settings().password_min_length, user["username"], user["email"]
    )
    if problem:
        raise field_error("new_password", f"password {problem}")
    if not service.verify(user, body.current_password):
        raise service.invalid_credentials()
    new_hash = service.password_hash(body.new_password)
    # One transaction: no session or reset link of the old password outlives the change.
    with transaction():
        if not accounts.replace_password(user["id"], new_hash, user["password_version"]):
            raise service.invalid_credentials()  # changed meanwhile: the password checked was an old one
        onetime.void(user["id"], onetime.RESET)
        onetime.void(user["id"], onetime.EMAIL_CHANGE)  # the notice of a change promises this
        sessions.revoke_all(user["id"], keep=current_identity().session_id)
        notices.password_changed(user)
    activity.record(user["id"], "password_changed")
    return service.no_content()


@auth.post("/password-reset")
@endpoint(
    body=ResetRequest,
    status=202,
    response=Accepted,
    rate_limits=[RateLimit("password_reset", service.limit("password_reset"))],
)
def request_password_reset(body: ResetRequest):
    """Mail a reset link if the address has an enabled account; the answer is the same either way."""
    check_rate_limit("password_reset_account", settings().limits.password_reset_account, body.email)
    user = accounts.find_by_email(body.email)
    if user is not None and not user["disabled"]:
        service.mail_link(user, onetime.RESET, mail.reset_message)
    return {"status": "accepted"}, 202


@auth.post("/password-reset/confirm")
@endpoint(body=ResetConfirm, status=204, responses={400: "invalid_token"})
def confirm_password_reset(body: ResetConfirm):
    """Set a new password with a reset token; every session ends."""
    user = accounts.get(onetime.owner(body.token, onetime.RESET))
    if user is None:
        raise onetime.invalid()
    problem = passwords.problem(
        body.new_password, settings().password_min_length, user["username"], user["email"]
    )
    if problem:
        raise field_error("new_password", f"password {problem}")
    new_hash = service.password_hash(body.new_password)
    # One transaction, the account locked first: the token is used, every other link of the
    # user dies with the password it was sent to replace, and every session ends.
    with transaction():
        if not accounts.replace_password(user["id"], new_hash, user["password_version"]):
            raise onetime.invalid()  # another reset or change came first and ended this link
        onetime.consume(body.token, onetime.RESET)
        onetime.void(user["id"], onetime.RESET)
        onetime.void(user["id"], onetime.EMAIL_CHANGE)
        sessions.revoke_all(user["id"])
        notices.password_changed(user)
    activity.record(user["id"], "password_reset")
    return service.no_content()
