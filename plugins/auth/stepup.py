"""Recent authentication (step-up): a sensitive action needs a recent proof or one now.

Recent means ``auth_time`` (carried by the access token: no read per request) within
``reauth_max_age``. A proof now is the account's password (counted like every password check)
or a code or credential, tried against each second factor the user has (auth names no
factor plugin: it asks ``core.second_factors`` and ``core.verify_factor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core import Identity, check_rate_limit, now, rate_limited, rate_limiter, second_factors, verify_factor
from plugins.auth import accounts, guard, responses
from plugins.auth.responses import DetailedError
from plugins.auth.settings import settings

#: The per-account limit of wrong second factors (``limits.mfa``).
MFA_LIMIT = "mfa"
#: What may carry a second factor's proof in a request body.
FACTOR_FIELDS = ("code", "credential")


def methods_for(user: dict[str, Any]) -> list[str]:
    """What re-authentication accepts for ``user``: ``password`` when it has one, and its factors."""
    return (["password"] if user["password_hash"] else []) + second_factors(user["id"])


def reauth_required(user: dict[str, Any]) -> DetailedError:
    return DetailedError(
        403,
        "reauth_required",
        "confirm it is you: send one of methods in this request or to POST /api/auth/reauth",
        methods=methods_for(user),
    )


def check_factor_budget(user_id: int) -> None:
    """``429`` while the account's wrong-factor budget is spent (nothing is verified then)."""
    if not rate_limiter().test(MFA_LIMIT, settings().limits.mfa, str(user_id)):
        raise rate_limited()


def count_wrong_factor(user_id: int) -> None:
    check_rate_limit(MFA_LIMIT, settings().limits.mfa, str(user_id))


def prove(user: dict[str, Any], proof: Mapping[str, Any]) -> bool:
    """Whether ``proof`` proves ``user`` now: True, False when it carries no proof; a wrong one
    raises (``401 invalid_credentials`` for a password, ``401 invalid_code`` for a factor)."""
    password = proof.get("password")
    if isinstance(password, str) and password:
        if guard.reauthenticate(user, password):
            return True
        raise responses.invalid_credentials()
    factor_proof = {key: proof[key] for key in FACTOR_FIELDS if proof.get(key) is not None}
    if not factor_proof:
        return False
    check_factor_budget(user["id"])
    for factor in second_factors(user["id"]):
        if verify_factor(user["id"], factor, factor_proof):
            return True
    count_wrong_factor(user["id"])
    raise responses.invalid_code()


def check(identity: Identity, proof: Mapping[str, Any]) -> bool | None:
    """The ``check_recent_auth`` hook: True, or ``403 reauth_required``; None for an identity
    that is not an account of auth's."""
    if identity.auth_time is not None and now() - identity.auth_time <= settings().reauth_max_age:
        return True
    user = accounts.get(identity.id)
    if user is None:
        return None
    if prove(user, proof):
        return True
    raise reauth_required(user)
