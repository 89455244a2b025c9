"""Changing the account's address: a link to the new address confirms it, a notice tells the old one.

The token is single-use, valid 24 hours and bound to the account and the new address; asking
again ends the previous one, so only the newest link works. The change is made by the new
mailbox's link, never by the session that asked: a stolen session alone cannot move the account
to another address, and the owner's old address hears of it first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request

from core import client_ip, now, transaction
from plugins.auth import accounts, activity, mail, notices, onetime
from plugins.auth.settings import settings

#: Seconds a confirmation link works.
LIFETIME = 24 * 60 * 60


def request_change(user: dict[str, Any], new_email: str) -> None:
    """A new confirmation link to ``new_email`` and a notice to the account's address, queued
    in one transaction with the token (the outbox sends them once the answer has gone)."""
    asked_at, ip, browser = now(), client_ip(), notices.browser_of(request.user_agent.string)
    with transaction():
        if not accounts.lock(user["id"]):  # first, before the tokens' rows
            return
        onetime.void(user["id"], onetime.EMAIL_CHANGE)
        token = onetime.create(user["id"], onetime.EMAIL_CHANGE, lifetime=LIFETIME, email=new_email)
        if token is None:
            return
        confirmation_message(user, new_email, token)
        if settings().notify.email_changed:
            change_notice(user, new_email, asked_at, ip, browser)
    activity.record(user["id"], "email_change_requested")


def confirm(token: str) -> int:
    """Give the token's account the address it was sent to, verified; the account's id.

    ``400 invalid_token`` for an unknown, used, expired or superseded token; ``409 email_taken``
    when another account took the address meanwhile (the token then stays usable). The
    account's pending reset and verification links die: they went to the old address.
    """
    user_id = onetime.owner(token, onetime.EMAIL_CHANGE)
    with transaction():
        # The account first, as every writer of its tokens locks it: no two wait for each other.
        if not accounts.lock(user_id, exclusive=True):
            raise onetime.invalid()
        new_email = onetime.consume_address(token, onetime.EMAIL_CHANGE, user_id)
        holder = accounts.find_by_email(new_email)
        if holder is not None and holder["id"] != user_id:
            raise accounts.taken("email")
        accounts.change_email(user_id, new_email)
        onetime.void(user_id, onetime.RESET)
        onetime.void(user_id, onetime.VERIFY)
    activity.record(user_id, "email_changed")
    return user_id


def confirmation_message(user: dict[str, Any], to: str, token: str) -> None:
    """The link that makes ``to`` the account's address (templates ``email_change_confirmation``)."""
    mail.send_message(
        "email_change_confirmation",
        to,
        user=user,
        link=mail.link(settings().email_change_page, token),
        valid_hours=LIFETIME // 3600,
    )


def change_notice(user: dict[str, Any], new_email: str, asked_at: float, ip: str, browser: str) -> None:
    """The notice to the old address (templates ``email_change_notice``): what was asked, when,
    from where, and what to do if it was not the owner."""
    mail.send_message(
        "email_change_notice",
        user["email"],
        user=user,
        new_email=new_email,
        when=datetime.fromtimestamp(asked_at, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        ip=ip,
        browser=browser,
        valid_hours=LIFETIME // 3600,
    )
