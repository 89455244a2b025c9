"""Counted password checks: every place that checks an account's password shares one budget.

Login, the routes that ask for the password again (password change, logout-all, ending another
session, account delete) and the ``verify_password`` hook all check it here. A wrong password
anywhere counts toward ``limits.login_account_failures`` of that account and is logged as
``login_failed``; once the budget is spent they all answer ``429`` before computing a hash.
Re-authentication of a signed-in user is also limited per session (``limits.password_check``),
so a stolen session cannot guess at the budget's pace alone.
"""

from __future__ import annotations

from typing import Any

from core import check_rate_limit, current_identity, rate_limited, rate_limiter
from plugins.auth import activity, devices, lockout, passwords
from plugins.auth.settings import settings

#: The per-account limit of failed password checks (named as login's, which it always was).
FAILURES = "login_account_failures"
#: The per-session limit of re-authentications.
PER_SESSION = "password_check"


#: The per-device limit of a remembered device once the account's budget is spent.
PER_DEVICE = "login_device_failures"


def _failures(user: dict[str, Any]) -> tuple[str, str, str]:
    return FAILURES, settings().limits.login_account_failures, str(user["id"])


def _device_failures(user: dict[str, Any], device: str) -> tuple[str, str, str, str]:
    return PER_DEVICE, settings().limits.login_device_failures, str(user["id"]), device


def check(user: dict[str, Any] | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s. A wrong one counts against the account's budget.

    ``user`` None (an unknown login) or without a password costs one hash check too, so every
    failure takes as long.
    While the account's budget is spent, a device the account has signed in from still gets
    its own budget; any other request is ``429 rate_limited`` without hashing (``lockout``).
    """
    s = settings()
    device = None
    if user is not None and not rate_limiter().test(*_failures(user), fail_closed=True):
        device = devices.remembered(user["id"])
        if device is None:
            raise lockout.refused(user)
        if not rate_limiter().test(*_device_failures(user, device), fail_closed=True):
            raise rate_limited()
    # An unknown login, or an account without a password: one hash check all the same.
    has_password = user is not None and bool(user["password_hash"])
    stored = user["password_hash"] if has_password else passwords.dummy_hash(s.bcrypt_rounds)
    if passwords.check_password(password, stored, s.password_pepper) and has_password:
        return True
    if user is not None:
        rate_limiter().hit(*_failures(user), fail_closed=True)
        if device is not None:
            rate_limiter().hit(*_device_failures(user, device), fail_closed=True)
        activity.record(user["id"], "login_failed")
    return False


def reauthenticate(user: dict[str, Any], password: str) -> bool:
    """``check`` for the signed-in ``user``, after counting the attempt against its session."""
    identity = current_identity()
    session = getattr(identity, "session_id", None)
    key = ("session", str(session)) if session is not None else ("user", str(user["id"]))
    check_rate_limit(PER_SESSION, settings().limits.password_check, *key, fail_closed=True)
    return check(user, password)
