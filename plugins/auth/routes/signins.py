"""``/api/auth``: the user's own sign-ins: active sessions (ending one) and the security log."""

from __future__ import annotations

from core import ApiError, current_identity, endpoint, field_error, rfc3339
from plugins.auth import activity, service, sessions
from plugins.auth.answers import Activity, Sessions
from plugins.auth.bodies import OptionalPassword
from plugins.auth.routes.blueprints import auth


@auth.get("/sessions")
@endpoint(auth=True, response=Sessions)
def list_sessions():
    """The user's active sessions; ``current`` marks this one."""
    identity = current_identity()
    return {
        "sessions": [
            {
                "id": row["id"],
                "created_at": rfc3339(row["created_at"]),
                "last_used_at": rfc3339(row["last_used_at"]),
                "user_agent": row["user_agent"],
                "ip": row["ip"],
                "current": row["id"] == identity.session_id,
                "methods": sessions.methods_of(row),
            }
            for row in sessions.active(identity.id)
        ]
    }


@auth.delete("/sessions/<int:session_id>")
@endpoint(
    body=OptionalPassword,
    body_optional=True,
    auth=True,
    status=204,
    responses={401: "invalid_credentials", 404: "no such session of yours", 429: service.RECHECK_LIMITED},
)
def delete_session(session_id: int, body: OptionalPassword):
    """End one session: this one freely, any other with the password."""
    identity = current_identity()
    target = sessions.get(session_id)
    if target is None or target["user_id"] != identity.id or target["revoked_at"] is not None:
        raise ApiError(404, "not_found", "no such session")
    current = session_id == identity.session_id
    if not current:
        if body.password is None:
            raise field_error("password", "field required")
        service.me_confirmed(body.password)
    sessions.revoke(session_id)
    activity.record(identity.id, "session_revoked")
    return service.no_content(clear_cookies=current)


@auth.get("/activity")
@endpoint(auth=True, response=Activity)
def list_activity():
    """The user's own security log, newest first (at most 100 entries)."""
    return {"events": activity.recent(current_identity().id)}
