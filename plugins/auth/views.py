"""``/api/auth``: register, login, refresh, logout, sessions, activity, password, reset, verify."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from core import (
    ApiError,
    RateLimit,
    check_rate_limit,
    client_ip,
    client_ip_key,
    current_identity,
    endpoint,
    field_error,
    hooks,
    plugin_settings,
    rfc3339,
    transaction,
    unauthorized,
)
from plugins.auth import (
    accounts,
    activity,
    emails,
    guard,
    mail,
    onetime,
    passwords,
    responses,
    sessions,
    tokens,
)
from plugins.auth.bodies import (
    ChangePassword,
    Login,
    OptionalPassword,
    Password,
    RefreshToken,
    Register,
    ResetConfirm,
    ResetRequest,
    TokenOnly,
)
from plugins.auth.cookies import CookieNames, check_csrf, clear_auth_cookies
from plugins.auth.identify import bearer_token
from plugins.auth.issuance import token_response

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def settings() -> Any:
    return plugin_settings("auth")


def limit(name: str) -> Any:
    """A limit read from ``[plugins.auth.limits]`` at request time."""
    return lambda: getattr(settings().limits, name)


def _ip_and_account(user: dict[str, Any] | None, login: str) -> tuple[str, ...]:
    """The ``login`` limit's key: the account, whichever of its names was typed (username and
    email share one budget); an unknown login is counted in the form it is looked up in, so
    the spellings of one address share a budget too (``emails.lookup_form``)."""
    if user is not None:
        return client_ip_key(), "account", str(user["id"])
    return client_ip_key(), "login", emails.lookup_form(login)


def cookie_names() -> CookieNames:
    return CookieNames.for_settings(settings().cookie_secure)


#: OpenAPI's words for the 429 of a route that asks for the password again.
RECHECK_LIMITED = "too many password checks for this session or account; see Retry-After"


def invalid_credentials() -> ApiError:
    return responses.invalid_credentials()


def no_content(clear_cookies: bool = False) -> Response:
    response = Response(status=204)
    if clear_cookies and "cookie" in settings().transports:
        clear_auth_cookies(response, cookie_names())
    return response


def password_hash(password: str) -> str:
    s = settings()
    return passwords.hash_password(password, s.bcrypt_rounds, s.password_pepper)


def verify(user: dict[str, Any], password: str) -> bool:
    """Re-authentication of the signed-in user: limited per session, failures counted per
    account with login's (see ``guard``); ``429`` once either is spent."""
    return guard.reauthenticate(user, password)


def new_session(user: dict[str, Any]) -> dict[str, Any]:
    return sessions.create(user["id"], settings().session_max_age, request.user_agent.string, client_ip())


def me() -> dict[str, Any]:
    identity = current_identity()
    user = accounts.get(identity.id) if identity else None
    if user is None:
        raise sessions.revoked()
    return user


# ------------------------------------------------------------------------------------------------
# accounts and sessions
# ------------------------------------------------------------------------------------------------


@bp.post("/register")
@endpoint(
    body=Register,
    status=201,
    rate_limits=[RateLimit("register", limit("register"))],
    responses={409: "username_taken or email_taken"},
)
def register(body: Register):
    """Create an account and log it in."""
    clash = accounts.conflict(body.username, body.email)
    if clash is not None:
        raise clash
    user = accounts.create(body.username, body.email, password_hash(body.password), settings().default_roles)
    session = new_session(user)
    activity.record(user["id"], "register")
    hooks().user_created(user=accounts.public(user))
    return token_response(user, session, session["generation"], status=201)


@bp.post("/login")
@endpoint(
    body=Login,
    responses={401: "invalid_credentials", 503: "the login limits cannot be counted right now"},
    rate_limits=[
        RateLimit("login_ip", limit("login_ip"), fail_closed=True),
    ],
)
def login(body: Login):
    """Log in with username or email and password; a new session starts."""
    s = settings()
    user = accounts.find_by_login(body.username)
    # Counted here, not by the decorator: the key is the account this one lookup found.
    check_rate_limit("login", s.limits.login, *_ip_and_account(user, body.username), fail_closed=True)
    if not guard.check(user, body.password) or user is None:
        raise invalid_credentials()
    stronger = None
    if passwords.cost_of(user["password_hash"]) < s.bcrypt_rounds:  # never weaken a stored hash
        stronger = password_hash(body.password)
    # The password was checked outside any transaction (bcrypt is slow): the session starts only
    # if it is still the account's password, so a change that ended the others ends this too.
    with transaction():
        if not accounts.password_unchanged(
            user["id"], user["password_version"], exclusive=stronger is not None
        ):
            raise invalid_credentials()
        if stronger is not None:
            accounts.set_password_hash(user["id"], stronger)
        session = new_session(user)
    activity.record(user["id"], "login")
    return token_response(user, session, session["generation"])


@bp.post("/refresh")
@endpoint(
    body=RefreshToken,
    body_optional=True,
    rate_limits=[RateLimit("refresh", limit("refresh"))],
    responses={401: "unauthorized, token_expired or token_revoked"},
)
def refresh(body: RefreshToken):
    """Trade a refresh token (body, or the refresh cookie with CSRF proof) for a rotated pair."""
    token, csrf = body.refresh_token, None
    from_cookie = token is None and "cookie" in settings().transports
    if from_cookie:
        token = request.cookies.get(cookie_names().refresh)
    if not token:
        raise unauthorized(message="no refresh token")
    claims = tokens.decode(token, tokens.REFRESH)
    if from_cookie:
        csrf = check_csrf(request, cookie_names(), claims.get("csrf"))
    generation = claims.get("gen")
    if not isinstance(generation, int):
        raise unauthorized(message="invalid token")
    try:
        result = sessions.refresh(
            claims["sid"],
            claims.get(tokens.SESSION_KEY),
            generation,
            int(claims["sub"]),
            settings().refresh_grace_seconds,
        )
    except sessions.ReuseDetected as reuse:
        activity.record(reuse.session["user_id"], "refresh_reuse")
        raise sessions.revoked() from None
    user = accounts.get(result.session["user_id"])
    if user is None:
        raise sessions.revoked()
    return token_response(user, result.session, result.generation, csrf=csrf)


@bp.post("/logout")
@endpoint(body=RefreshToken, body_optional=True, status=204, responses={401: "no valid token"})
def logout(body: RefreshToken):
    """End this session (access token, refresh token in the body, or the cookies)."""
    claims = _logout_claims(body.refresh_token)
    session = sessions.get(claims["sid"])
    if (
        session is not None
        and session["user_id"] == int(claims["sub"])
        and sessions.matches(session, claims.get(tokens.SESSION_KEY))
        and sessions.revoke(claims["sid"])
    ):
        activity.record(session["user_id"], "logout")
    return no_content(clear_cookies=True)


def _logout_claims(refresh_token: str | None) -> dict[str, Any]:
    """Whose session to end. Expiry is not checked: ending a session is always allowed to its owner."""
    if refresh_token:
        return tokens.decode(refresh_token, tokens.REFRESH, verify_exp=False)
    s, names = settings(), cookie_names()
    if request.headers.get("Authorization") is not None and "bearer" in s.transports:
        token = bearer_token(request)
        if token:
            return tokens.decode(token, tokens.ACCESS, verify_exp=False)
    if "cookie" in s.transports:
        for name, typ in ((names.access, tokens.ACCESS), (names.refresh, tokens.REFRESH)):
            if request.cookies.get(name):
                claims = tokens.decode(request.cookies[name], typ, verify_exp=False)
                check_csrf(request, names, claims.get("csrf"))
                return claims
    raise unauthorized()


@bp.post("/logout-all")
@endpoint(body=Password, auth=True, status=204, responses={401: "invalid_credentials", 429: RECHECK_LIMITED})
def logout_all(body: Password):
    """End every session of the user (asks for the password again)."""
    user = me()
    if not verify(user, body.password):
        raise invalid_credentials()
    sessions.log_out_everywhere(user["id"])
    activity.record(user["id"], "logout_all")
    return no_content(clear_cookies=True)


@bp.get("/sessions")
@endpoint(auth=True)
def list_sessions():
    """The user's active sessions; ``current`` marks this one."""
    identity = current_identity()
    return {
        "sessions": [
            {
                "id": row["id"],
                "created_at": rfc3339(row["created_at"]),
                "last_used_at": rfc3339(row["last_used_at"]),
                "user_agent": row["user_agent"],
                "ip": row["ip"],
                "current": row["id"] == identity.session_id,
            }
            for row in sessions.active(identity.id)
        ]
    }


@bp.delete("/sessions/<int:session_id>")
@endpoint(
    body=OptionalPassword,
    body_optional=True,
    auth=True,
    status=204,
    responses={401: "invalid_credentials", 404: "no such session of yours", 429: RECHECK_LIMITED},
)
def delete_session(session_id: int, body: OptionalPassword):
    """End one session: this one freely, any other with the password."""
    identity = current_identity()
    target = sessions.get(session_id)
    if target is None or target["user_id"] != identity.id or target["revoked_at"] is not None:
        raise ApiError(404, "not_found", "no such session")
    current = session_id == identity.session_id
    if not current:
        if body.password is None:
            raise field_error("password", "field required")
        if not verify(me(), body.password):
            raise invalid_credentials()
    sessions.revoke(session_id)
    activity.record(identity.id, "session_revoked")
    return no_content(clear_cookies=current)


@bp.get("/activity")
@endpoint(auth=True)
def list_activity():
    """The user's own security log, newest first (at most 100 entries)."""
    return {"events": activity.recent(current_identity().id)}


# ------------------------------------------------------------------------------------------------
# passwords and email
# ------------------------------------------------------------------------------------------------


@bp.post("/password")
@endpoint(
    body=ChangePassword, auth=True, status=204, responses={401: "invalid_credentials", 429: RECHECK_LIMITED}
)
def change_password(body: ChangePassword):
    """Change the password; every other session ends, this one stays."""
    user = me()
    problem = passwords.problem(
        body.new_password, settings().password_min_length, user["username"], user["email"]
    )
    if problem:
        raise field_error("new_password", f"password {problem}")
    if not verify(user, body.current_password):
        raise invalid_credentials()
    new_hash = password_hash(body.new_password)
    # One transaction: no session or reset link of the old password outlives the change.
    with transaction():
        if not accounts.replace_password(user["id"], new_hash, user["password_version"]):
            raise invalid_credentials()  # changed meanwhile: the password checked was an old one
        onetime.void(user["id"], onetime.RESET)
        sessions.revoke_all(user["id"], keep=current_identity().session_id)
    activity.record(user["id"], "password_changed")
    return no_content()


@bp.post("/password-reset")
@endpoint(body=ResetRequest, status=202, rate_limits=[RateLimit("password_reset", limit("password_reset"))])
def request_password_reset(body: ResetRequest):
    """Mail a reset link if the address has an account; the answer is the same either way."""
    check_rate_limit("password_reset_account", settings().limits.password_reset_account, body.email)
    user = accounts.find_by_email(body.email)
    if user is not None:
        # The link and its mail in one transaction; the outbox sends it after the answer.
        with transaction():
            token = onetime.create(user["id"], onetime.RESET)
            if token is not None:  # None: the account was deleted meanwhile
                mail.reset_message(user["email"], token)
    return {"status": "accepted"}, 202


@bp.post("/password-reset/confirm")
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
    new_hash = password_hash(body.new_password)
    # One transaction, the account locked first: the token is used, every other link of the
    # user dies with the password it was sent to replace, and every session ends.
    with transaction():
        if not accounts.replace_password(user["id"], new_hash, user["password_version"]):
            raise onetime.invalid()  # another reset or change came first and ended this link
        onetime.consume(body.token, onetime.RESET)
        onetime.void(user["id"], onetime.RESET)
        sessions.revoke_all(user["id"])
    activity.record(user["id"], "password_reset")
    return no_content()


@bp.post("/verify-email")
@endpoint(
    auth=True,
    status=202,
    responses={429: "too many messages for this account"},
)
def request_email_verification():
    """Mail a link that confirms the account's address (a few an hour: an inbox is not flooded)."""
    user = me()
    check_rate_limit("verify_email_account", settings().limits.verify_email_account, str(user["id"]))
    with transaction():
        token = onetime.create(user["id"], onetime.VERIFY)
        if token is not None:  # None: the account was deleted meanwhile
            mail.verification_message(user["email"], token)
    return {"status": "accepted"}, 202


@bp.post("/verify-email/confirm")
@endpoint(body=TokenOnly, status=204, responses={400: "invalid_token"})
def confirm_email(body: TokenOnly):
    """Mark the address as verified with the mailed token."""
    user_id = onetime.consume(body.token, onetime.VERIFY)
    accounts.set_email_verified(user_id)
    activity.record(user_id, "email_verified")
    return no_content()
