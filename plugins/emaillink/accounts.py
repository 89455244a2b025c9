"""The account a spent link or code signs into: the one it was mailed for, or a new one.

Accounts belong to the plugin that owns them; this asks through core (``core.find_account``,
``core.create_account``), so the site's registration rule decides every account made here.
"""

from __future__ import annotations

from typing import Any

from core import ApiError, create_account, find_account

#: The ``amr`` value of an emailed link or code (RFC 8176 style, the contract's word).
METHOD = "mail"


def invalid() -> ApiError:
    return ApiError(400, "invalid_token", "this link or code is unknown, used or expired")


def signing_in(link: dict[str, Any]) -> int:
    """The user id a spent ``link`` row signs in as.

    A link mailed to an account works only while the account still has that address; a link
    for an address without one creates the account (``403 registration_closed`` when the rule
    forbids it), or signs into the account registered with that address meanwhile: the mail
    reached that mailbox either way.
    """
    account = find_account(link["email"])
    if link["user_id"] is not None:
        if account is None or account["id"] != link["user_id"]:
            raise invalid()
        return int(account["id"])
    if account is not None:
        return int(account["id"])
    return int(create_account(link["email"], method=METHOD, email_verified=True)["id"])
