"""Lockout without a denial of service (the OWASP "device cookie" method).

Past ``login_account_failures`` wrong passwords, the account stops taking passwords from any
browser it has not signed in from (``429``), while its owner's remembered browser still signs
in with the right one (counted apart, ``login_device_failures``). A stranger's guesses thus
stop themselves without locking the owner out. The owner hears of it: the first refusal of an
hour records ``account_locked`` in the account's activity and mails a notice with a link that
signs in by email (``POST /api/auth/login-link``), which also remembers that browser, for an
owner whose device cookie is gone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core import ApiError, now, one, rate_limited, transaction
from plugins.auth import accounts, activity, mail, notices, onetime
from plugins.auth.schema import events
from plugins.auth.settings import settings

#: Seconds between two "locked" notices of one account, and the life of the link one carries.
NOTICE_INTERVAL = 60 * 60
LINK_LIFETIME = 60 * 60
#: The account's activity entry of a refusal that sent (or would have sent) a notice.
LOCKED = "account_locked"


def refused(user: dict[str, Any]) -> ApiError:
    """The ``429`` of a password from an unremembered device while ``user`` is locked; the
    first of an hour tells the owner."""
    if not user["disabled"]:
        _tell_owner(user)
    return rate_limited()


def _told_lately(user_id: int) -> bool:
    recent = select(events.c.id).where(
        events.c.user_id == user_id, events.c.type == LOCKED, events.c.at > now() - NOTICE_INTERVAL
    )
    return one(recent.limit(1)) is not None


def _tell_owner(user: dict[str, Any]) -> None:
    # A guesser's refusals come by the hundred: each after the first of the hour costs one read,
    # not a write transaction (SQLite has one writer at a time).
    if _told_lately(user["id"]):
        return
    with transaction():
        # Exclusive, and asked again under the lock: two refusals at once send one notice.
        if not accounts.lock(user["id"], exclusive=True) or _told_lately(user["id"]):
            return
        activity.record(user["id"], LOCKED)
        if not settings().notify.account_locked:
            return
        token = onetime.create(user["id"], onetime.LOGIN_LINK, lifetime=LINK_LIFETIME)
        if token is not None:
            link = mail.link(settings().login_link_page, token)
            notices.account_locked(user, link, LINK_LIFETIME // 60)
