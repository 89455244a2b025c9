"""``/api/auth``: register, login, refresh, logout and logout-all: a session starts, renews and ends."""

from __future__ import annotations

from typing import Any

from flask import request

from core import RateLimit, check_rate_limit, client_ip_key, endpoint, hooks, unauthorized
from plugins.auth import (
    accounts,
    activity,
    emails,
    guard,
    onetime,
    passwords,
    registration,
    service,
    sessions,
    signin,
    tokens,
)
from plugins.auth.answers import Registration, Tokens
from plugins.auth.bodies import Login, Password, RefreshToken, Register, TokenOnly
from plugins.auth.cookies import check_csrf
from plugins.auth.identify import bearer_token
from plugins.auth.issuance import token_response
from plugins.auth.routes.blueprints import auth
from plugins.auth.settings import settings


def _ip_and_account(user: dict[str, Any] | None, login: str) -> tuple[str, ...]:
    """The ``login`` limit's key: the account, whichever of its names was typed (username and
    email share one budget); an unknown login is counted in the form it is looked up in, so
    the spellings of one address share a budget too (``emails.lookup_form``)."""
    if user is not None:
        return client_ip_key(), "account", str(user["id"])
    return client_ip_key(), "login", emails.lookup_form(login)


@auth.post("/register")
@endpoint(
    body=Register,
    status=201,
    response=Tokens,
    rate_limits=[RateLimit("register", service.limit("register"))],
    responses={
        403: "registration_closed: closed, or by invitation and the invitation is missing, used, "
        "expired or for another address",
        409: "username_taken or email_taken",
    },
)
def register(body: Register):
    """Create an account and log it in (as ``plugins.auth.registration`` allows)."""
    use_up = registration.admit(body.email, body.invite)
    clash = accounts.conflict(body.username, body.email)
    if clash is not None:
        raise clash
    user = accounts.create(
        body.username,
        body.email,
        service.password_hash(body.password),
        settings().default_roles,
        claim=use_up,
    )
    session = service.new_session(user, ["pwd"])
    activity.record(user["id"], "register")
    hooks().user_created(user=accounts.public(user))
    response = token_response(user, session, session["generation"], status=201)
    signin.give_device_cookie(user, response, signin.remember_device(user))
    return response


@auth.get("/registration")
@endpoint(response=Registration)
def registration_mode():
    """Who may create an account here: ``open``, ``invite`` (with an invitation) or ``closed``."""
    return {"registration": settings().registration}


@auth.post("/login")
@endpoint(
    body=Login,
    response=Tokens,
    responses={
        401: "invalid_credentials, or mfa_required with error.mfa {token, factors, expires_in}",
        403: "account_disabled (after a right password)",
        503: "the login limits cannot be counted right now",
    },
    rate_limits=[
        RateLimit("login_ip", service.limit("login_ip"), fail_closed=True),
    ],
)
def login(body: Login):
    """Log in with username or email and password: a new session, or the MFA challenge when
    the account has a second factor."""
    s = settings()
    user = accounts.find_by_login(body.username)
    # Counted here, not by the decorator: the key is the account this one lookup found.
    check_rate_limit("login", s.limits.login, *_ip_and_account(user, body.username), fail_closed=True)
    if not guard.check(user, body.password) or user is None:
        raise service.invalid_credentials()
    stronger = None
    if passwords.cost_of(user["password_hash"]) < s.bcrypt_rounds:  # never weaken a stored hash
        stronger = service.password_hash(body.password)

    def still_the_password() -> None:
        # The password was checked outside any transaction (bcrypt is slow): the session starts
        # only if it is still the account's password, so a change that ended the others ends this too.
        if not accounts.password_unchanged(
            user["id"], user["password_version"], exclusive=stronger is not None
        ):
            raise service.invalid_credentials()
        if stronger is not None:
            accounts.set_password_hash(user["id"], stronger)

    return signin.finish(user, ["pwd"], before=still_the_password)


@auth.post("/login-link")
@endpoint(
    body=TokenOnly,
    response=Tokens,
    rate_limits=[RateLimit("login_link", service.limit("login_link"))],
    responses={
        400: "invalid_token",
        401: "mfa_required (the account has a second factor: answer at POST /api/auth/mfa)",
        403: "account_disabled",
    },
)
def login_by_link(body: TokenOnly):
    """Sign in with the link of an "account locked" notice (single use, one hour), which also
    remembers this browser: its password then signs in again despite the lock."""
    user = accounts.get(onetime.consume(body.token, onetime.LOGIN_LINK))
    if user is None:
        raise onetime.invalid()
    return signin.finish(user, [signin.MAILBOX])


@auth.post("/refresh")
@endpoint(
    body=RefreshToken,
    body_optional=True,
    response=Tokens,
    rate_limits=[RateLimit("refresh", service.limit("refresh"))],
    responses={401: "unauthorized, token_expired or token_revoked", 403: "account_disabled"},
)
def refresh(body: RefreshToken):
    """Trade a refresh token (body, or the refresh cookie with CSRF proof) for a rotated pair."""
    token, csrf = body.refresh_token, None
    from_cookie = token is None and "cookie" in settings().transports
    if from_cookie:
        token = request.cookies.get(service.cookie_names().refresh)
    if not token:
        raise unauthorized(message="no refresh token")
    claims = tokens.decode(token, tokens.REFRESH)
    if from_cookie:
        csrf = check_csrf(request, service.cookie_names(), claims.get("csrf"))
    generation = claims.get("gen")
    if not isinstance(generation, int):
        raise unauthorized(message="invalid token")
    owner = accounts.get(int(claims["sub"]))
    if owner is not None and owner["disabled"]:  # its sessions ended when it was disabled: say why
        raise accounts.disabled_error()
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
    if owner is None:  # the session is its owner's (sessions.refresh checked): deleted meanwhile
        raise sessions.revoked()
    return token_response(owner, result.session, result.generation, csrf=csrf)


@auth.post("/logout")
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
    return service.no_content(clear_cookies=True)


def _logout_claims(refresh_token: str | None) -> dict[str, Any]:
    """Whose session to end. Expiry is not checked: ending a session is always allowed to its owner."""
    if refresh_token:
        return tokens.decode(refresh_token, tokens.REFRESH, verify_exp=False)
    s, names = settings(), service.cookie_names()
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


@auth.post("/logout-all")
@endpoint(
    body=Password, auth=True, status=204, responses={401: "invalid_credentials", 429: service.RECHECK_LIMITED}
)
def logout_all(body: Password):
    """End every session of the user (asks for the password again)."""
    user = service.me_confirmed(body.password)
    sessions.log_out_everywhere(user["id"])
    activity.record(user["id"], "logout_all")
    return service.no_content(clear_cookies=True)
