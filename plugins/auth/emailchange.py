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

from core import client_ip, get_settings, now, transaction
from plugins.auth import accounts, activity, mail, onetime
from plugins.auth.settings import settings

#: Seconds a confirmation link works.
LIFETIME = 24 * 60 * 60


def request_change(user: dict[str, Any], new_email: str) -> None:
    """A new confirmation link to ``new_email`` and a notice to the account's address, queued
    in one transaction with the token (the outbox sends them once the answer has gone)."""
    asked_at, ip, browser = now(), client_ip(), request.user_agent.string[:200]
    with transaction():
        if not accounts.lock(user["id"]):  # first, before the tokens' rows
            return
        onetime.void(user["id"], onetime.EMAIL_CHANGE)
        token = onetime.create(user["id"], onetime.EMAIL_CHANGE, lifetime=LIFETIME, email=new_email)
        if token is None:
            return
        confirmation_message(new_email, token)
        change_notice(user["email"], new_email, asked_at, ip, browser)
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


def _site() -> str:
    return get_settings().site.url.rstrip("/")


def confirmation_message(to: str, token: str) -> None:
    """The link that makes ``to`` the account's address."""
    url = mail.link(settings().email_change_page, token)
    mail.send(
        to,
        "Confirm your new email address",
        f"Someone asked to make this the email address of their account at {_site()}.\n\n"
        f"To confirm it, open:\n{url}\n\n"
        "The link works once, for 24 hours. If you did not ask, ignore this message: nothing changes.\n",
    )


def change_notice(to: str, new_email: str, asked_at: float, ip: str, browser: str) -> None:
    """The notice to the old address: what was asked, when, from where, and what to do if it
    was not the owner."""
    when = datetime.fromtimestamp(asked_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    mail.send(
        to,
        "Your email address is being changed",
        f"Someone signed in to your account at {_site()} asked to change its email address\n"
        f"from {to} to {new_email}.\n\n"
        f"When: {when}\nFrom: {ip}\nBrowser: {browser or 'unknown'}\n\n"
        "Nothing changes until the link sent to the new address is opened (it works for 24 hours).\n\n"
        "If this was not you, someone else can sign in to your account: change your password now\n"
        "(or reset it through 'Forgot password'). That ends every other session and cancels this\n"
        "change. Then look at the account's sessions and security log.\n",
    )
