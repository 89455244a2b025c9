"""``/api/user``: deleting the account and exporting everything every plugin keeps of it."""

from __future__ import annotations

from typing import Any

from core import ApiError, current_identity, endpoint, field_error, hooks, require_recent_auth
from plugins.auth import accounts, service, sessions
from plugins.auth.answers import Export
from plugins.auth.bodies import AccountDeletion
from plugins.auth.routes.blueprints import account


@account.delete("")
@endpoint(
    body=AccountDeletion,
    auth=True,
    status=204,
    responses={
        401: "invalid_credentials",
        403: "reauth_required",
        429: service.RECHECK_LIMITED,
    },
)
def delete_account(body: AccountDeletion):
    """Delete the account and, through ``user_deleted``, every plugin's data of it.

    An account with a password confirms with it (contract v1); one without (made by another
    sign-in method) needs a recent sign-in or a second factor's proof in the body (step-up).
    """
    user = service.me()
    if user["password_hash"]:
        if body.password is None:
            raise field_error("password", "field required")
        user = service.me_confirmed(body.password)
    else:
        require_recent_auth(proof=body.model_dump(exclude_none=True))
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
