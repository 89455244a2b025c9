"""``/api/user``: deleting the account and exporting everything every plugin keeps of it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from core import ApiError, current_identity, endpoint, hooks
from plugins.auth import accounts, sessions
from plugins.auth.bodies import Password
from plugins.auth.views import RECHECK_LIMITED, invalid_credentials, me, no_content, verify

bp = Blueprint("auth_account", __name__, url_prefix="/api/user")


@bp.delete("")
@endpoint(body=Password, auth=True, status=204, responses={401: "invalid_credentials", 429: RECHECK_LIMITED})
def delete_account(body: Password):
    """Delete the account and, through ``user_deleted``, every plugin's data of it."""
    user = me()
    if not verify(user, body.password):
        raise invalid_credentials()
    if not accounts.delete_account(user["id"]):
        raise sessions.revoked()  # deleted meanwhile by another request
    return no_content(clear_cookies=True)


@bp.get("/export")
@endpoint(auth=True)
def export():
    """Everything the plugins keep about the user, one section per plugin."""
    document: dict[str, Any] = {}
    for section in hooks().user_export(user_id=current_identity().id):
        document.update(section or {})
    if "auth" not in document:
        raise ApiError(500, "internal_error", "account export is incomplete")
    return document
