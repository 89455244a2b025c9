"""``/api/auth``: the user's own sign-ins: active sessions (ending one), remembered devices
(forgetting one) and the security log."""

from __future__ import annotations

from core import ApiError, current_identity, endpoint, field_error, rfc3339, sign_in_methods
from plugins.auth import activity, devices, notices, service, sessions
from plugins.auth.answers import Activity, Devices, Methods, Sessions
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


@auth.get("/methods")
@endpoint(auth=True, response=Methods)
def list_methods():
    """Every way this account can sign in, from every enabled plugin: the account page offers
    "Set a password" rather than "Change your password" to an account without one."""
    return {"methods": sign_in_methods(current_identity().id)}


@auth.get("/devices")
@endpoint(auth=True, response=Devices)
def list_devices():
    """The browsers this account has signed in from (remembered by their device cookie), most
    recently used first; ``current`` marks this one. A remembered browser still signs in with
    the right password while the account is locked, and signing in from any other is notified."""
    return {
        "devices": [
            {
                "id": row["id"],
                "created_at": rfc3339(row["created_at"]),
                "last_used_at": rfc3339(row["last_used_at"]),
                "user_agent": row["user_agent"],
                "browser": notices.browser_of(row["user_agent"] or ""),
                "ip": row["ip"],
                "current": row["current"],
            }
            for row in devices.listed(current_identity().id)
        ]
    }


@auth.delete("/devices/<int:device_id>")
@endpoint(auth=True, status=204, responses={404: "no such device of yours"})
def forget_device(device_id: int):
    """Forget a remembered browser: it no longer passes a lockout, and its next sign-in is
    notified as a new device's. Its sessions go on (end them under sessions)."""
    identity = current_identity()
    if not devices.forget(identity.id, device_id):
        raise ApiError(404, "not_found", "no such device")
    activity.record(identity.id, "device_forgotten")
    return service.no_content()


@auth.get("/activity")
@endpoint(auth=True, response=Activity)
def list_activity():
    """The user's own security log, newest first (at most 100 entries)."""
    return {"events": activity.recent(current_identity().id)}
