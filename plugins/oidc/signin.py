"""What a provider's verified answer leads to: a sign-in, a link, or a new account.

In this order (the contract): a linked identity signs its user in; a flow started to link
links to the signed-in user who started it; otherwise an account is made through
``core.create_account`` (the site's registration rule applies) unless the email belongs to an
account already, which is never taken over by email alone.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy.exc import IntegrityError

from core import (
    ApiError,
    account_event,
    create_account,
    current_identity,
    find_account,
    sign_in,
    transaction,
)
from plugins.oidc import answers, identities
from plugins.oidc.settings import Provider

#: The RFC 8176 method value of a sign-in through a provider.
FED = "fed"


def signed_in_user() -> int | None:
    """The id of the user this browser is signed in as (cookies), if any."""
    try:
        identity = current_identity()
    except ApiError:  # an expired or revoked session: nobody
        return None
    return identity.id if identity is not None else None


def _verified(claims: dict[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or value == "true"  # some providers send the string


def outcome(provider: Provider, flow: dict[str, Any], claims: dict[str, Any]) -> Response:
    """The browser's answer once the ID token passed every check."""
    sub, email = claims["sub"], claims.get("email") if isinstance(claims.get("email"), str) else None
    linked = identities.find(provider.issuer, sub)
    next_path = flow["next"]
    if flow["user_id"] is not None:
        return _link(provider, flow["user_id"], linked, sub, email, next_path)
    if linked is not None:
        identities.used(linked["id"], email)
        return session(linked["user_id"], next_path)
    if not email:
        return answers.failure("no_email")
    if find_account(email) is not None:
        return answers.failure("account_exists")
    try:
        user_id = _create(provider, sub, email, claims)
    except ApiError as exc:
        return _refused(exc)
    except IntegrityError:  # the same identity was linked by a concurrent callback
        linked = identities.find(provider.issuer, sub)
        if linked is None:
            raise
        user_id = linked["user_id"]
    return session(user_id, next_path)


def _link(
    provider: Provider,
    user_id: int,
    linked: dict[str, Any] | None,
    sub: str,
    email: str | None,
    next_path: str,
) -> Response:
    if signed_in_user() != user_id:  # signed out, or another user, since the link was asked for
        return answers.failure("invalid_state")
    if linked is not None and linked["user_id"] != user_id:
        return answers.failure("already_linked")
    try:
        identities.link(user_id, provider.name, provider.issuer, sub, email)
    except identities.AlreadyLinked:
        return answers.failure("already_linked")
    if linked is None:
        notice = {"notice": "factor_added", "method": "oidc", "name": provider.shown}
        account_event(user_id, "oidc_linked", provider=provider.name, **notice)
    return answers.success(next_path)


def _create(provider: Provider, sub: str, email: str, claims: dict[str, Any]) -> int:
    """A new account for this identity, linked to it, in one transaction."""
    wished = claims.get("preferred_username")
    with transaction():
        try:
            account = _new_account(email, wished if isinstance(wished, str) else None, claims)
        except ApiError as exc:
            if not _username_refused(exc):
                raise
            account = _new_account(email, None, claims)  # the owner picks a free one from the email
        identities.insert(account["id"], provider.name, provider.issuer, sub, email)
    return account["id"]


def _new_account(email: str, username: str | None, claims: dict[str, Any]) -> dict[str, Any]:
    return create_account(email, method=FED, username=username, email_verified=_verified(claims))


def _username_refused(exc: ApiError) -> bool:
    return exc.code == "username_taken" or (exc.status == 422 and "username" in (exc.fields or {}))


def _refused(exc: ApiError) -> Response:
    if exc.code in answers.PASSED_ON:
        return answers.failure(exc.code)
    if exc.status == 409:  # the email was registered meanwhile
        return answers.failure("account_exists")
    if exc.status == 422:  # an address the owner will not take
        return answers.failure("no_email")
    return answers.failure("sign_in_failed")


def session(user_id: int, next_path: str) -> Response:
    """Sign ``user_id`` in through the accounts owner; its answer as a redirect."""
    try:
        answer = sign_in(user_id, [FED])
    except ApiError as exc:
        return _challenge(exc.to_dict()["error"], next_path) or _refused(exc)
    if answer.status_code == 401:  # an owner may answer the challenge instead of raising it
        error = (answer.get_json(silent=True) or {}).get("error", {})
        return _challenge(error, next_path) or answers.failure("sign_in_failed")
    if answer.status_code >= 300:
        code = (answer.get_json(silent=True) or {}).get("error", {}).get("code", "")
        return answers.failure(code if code in answers.PASSED_ON else "sign_in_failed")
    if not answer.headers.getlist("Set-Cookie"):
        return answers.failure("no_session")
    return answers.success(next_path, answer)


def _challenge(error: dict[str, Any], next_path: str) -> Response | None:
    challenge = error.get("mfa") if error.get("code") == "mfa_required" else None
    if not isinstance(challenge, dict) or not challenge.get("token"):
        return None
    return answers.mfa(str(challenge["token"]), list(challenge.get("factors") or []), next_path)
