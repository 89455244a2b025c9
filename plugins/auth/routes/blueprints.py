"""Auth's two URL prefixes. ``/api/auth`` is served by several route modules, one per job, so its
blueprint lives here, where each of them can add its views without importing another."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from core import add_security_scheme
from plugins.auth.cookies import CookieNames
from plugins.auth.responses import no_store
from plugins.auth.settings import settings

#: Sessions, passwords and email verification.
auth = Blueprint("auth", __name__, url_prefix="/api/auth")
#: The account itself: deleting it and exporting it.
account = Blueprint("auth_account", __name__, url_prefix="/api/user")

# Both carry tokens or account data: no cache keeps them, whatever a view said.
auth.after_request(no_store)
account.after_request(no_store)


@auth.record_once
def document_cookie_transport(state: BlueprintSetupState) -> None:
    """/api/openapi.json lists the access cookie next to the bearer token (docs/auth.md)."""
    with state.app.app_context():
        s = settings()
        if "cookie" not in s.transports:
            return
        name = CookieNames.for_settings(s.cookie_secure).access
    add_security_scheme(
        state.app,
        "cookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": name,
            "description": "The HttpOnly access cookie set by login; POST, PUT, PATCH and DELETE "
            "also send the CSRF cookie's value in X-CSRF-Token.",
        },
    )
