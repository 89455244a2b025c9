"""``/api/user``: deleting the account and exporting everything every plugin keeps of it."""

from __future__ import annotations

from typing import Any

from core import ApiError, current_identity, endpoint, hooks
from plugins.auth import accounts, service, sessions
from plugins.auth.answers import Export
from plugins.auth.bodies import Password
from plugins.auth.routes.blueprints import account


@account.delete("")
@endpoint(
    body=Password, auth=True, status=204, responses={401: "invalid_credentials", 429: service.RECHECK_LIMITED}
)
def delete_account(body: Password):
    """Delete the account and, through ``user_deleted``, every plugin's data of it."""
    user = service.me_confirmed(body.password)
    if not accounts.delete_account(user["id"]):
        raise sessions.revoked()  # deleted meanwhile by another request
    return service.no_content(clear_cookies=True)


@account.get("/export")
@endpoint(auth=True, response=Export)
def export():
    """Everything the plugins keep about the user, one section per plugin."""
    document: dict[str, Any] = {}
    for section in hooks().user_export(user_id=current_identity().id):
        document.update(section or {})
    if "auth" not in document:
        raise ApiError(500, "internal_error", "account export is incomplete")
    return document
