"""Security notices: mail to the account's address when something happened to it.

Sent for a sign-in from a new device, a password change, a sign-in method or second factor
added or removed (other plugins report those through ``core.account_event`` with a ``notice``
detail), and a lockout (``lockout``); the email-change notice is ``emailchange``'s. Each says what
happened, when, from where (IP and browser) and what to do if it was not the owner, and each is
switched by ``plugins.auth.notify``. They are queued in the caller's transaction, like every
message, and never sent for a disabled account.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context, request

from core import client_ip, now
from plugins.auth import mail
from plugins.auth.settings import settings

#: The ``notice`` details of ``core.account_event`` that mail the owner; each is its template's name.
FACTOR_NOTICES = frozenset({"factor_added", "factor_removed"})
_BROWSERS = (
    ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)  # fmt: skip
_SYSTEMS = (
    ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
    ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
)  # fmt: skip


def browser_of(agent: str) -> str:
    """A short name for a User-Agent ("Firefox on Linux"), or the start of it when unknown."""
    name = next((label for marker, label in _BROWSERS if marker in agent), None)
    system = next((label for marker, label in _SYSTEMS if marker in agent), None)
    if name and system:
        return f"{name} on {system}"
    return re.sub(r"\s+", " ", agent).strip()[:120]  # not one of the usual: as it came


def context() -> dict[str, str]:
    """When, from which address and browser: this request's (``when`` only outside one)."""
    when = datetime.fromtimestamp(now(), UTC).strftime("%Y-%m-%d %H:%M UTC")
    values = {"when": when, "ip": "", "browser": ""}
    if has_request_context():
        values.update(ip=client_ip(), browser=browser_of(request.user_agent.string))
    return values


def _send(
    template: str,
    user: dict[str, Any],
    *,
    by_operator: bool = False,
    stranger: bool = False,
    **variables: Any,
) -> None:
    """Queue notice ``template`` to ``user``. ``by_operator``: an ``annex users`` command caused
    it, so it names no address or browser. ``stranger``: the request is likely not the owner's,
    so its browser's language does not choose the owner's (their profile's or the site's does)."""
    if user.get("disabled"):
        return
    facts = context()
    if by_operator:
        facts.update(ip="", browser="")
    mail.send_message(template, user["email"], user=user, from_request=not stranger, **facts, **variables)


def new_device(user: dict[str, Any]) -> None:
    if settings().notify.new_device:
        _send("new_device", user)


def password_changed(user: dict[str, Any], *, by_operator: bool = False) -> None:
    if settings().notify.password_changed:
        _send("password_changed", user, by_operator=by_operator)


def factor_changed(user: dict[str, Any], notice: str, details: dict[str, Any]) -> None:
    """``factor_added`` / ``factor_removed``: ``method`` names it (``totp``, ``passkey``,
    ``oidc``… shown in words by the template), ``name`` is the user's label for it, if any."""
    if settings().notify.factor_changed:
        method, name = str(details.get("method", "")), details.get("name")
        _send(notice, user, method=method, name=str(name) if name else "")


def account_locked(user: dict[str, Any], link: str, valid_minutes: int) -> None:
    if settings().notify.account_locked:
        _send("account_locked", user, stranger=True, link=link, valid_minutes=valid_minutes)
