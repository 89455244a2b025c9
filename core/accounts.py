"""``hold_account``: order a plugin's write of a user's rows against the account's deletion.

Any plugin may store rows naming a user, but only the plugin that owns accounts can delete
one. A write that checked the user at the start of its request could otherwise commit after
the delete's ``user_deleted`` hook ran and leave a row of a deleted account behind. Holding the
account inside the write's transaction orders the two; core only asks the owner, through the
``hold_account`` hook, and knows nothing of how it keeps accounts.
"""

from __future__ import annotations

from core.errors import unauthorized
from core.state import get_db, hooks


def hold_account(user_id: int) -> None:
    """Keep account ``user_id`` until the current ``transaction()`` ends; call it first in it.

    Raises ``401`` when the account is gone: ``unauthorized``, or the owner's own refusal.
    Without a plugin that owns accounts there is nothing to hold and nothing happens. Costs one
    indexed lookup; reads need no hold.
    """
    if not get_db().in_transaction:
        raise RuntimeError("hold_account() belongs inside `with transaction():`")
    held = hooks().hold_account(user_id=user_id)
    if held is False:
        raise unauthorized(message="this account no longer exists")
