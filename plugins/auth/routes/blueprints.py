"""Auth's two URL prefixes. ``/api/auth`` is served by several route modules, one per job, so its
blueprint lives here, where each of them can add its views without importing another."""

from __future__ import annotations

from flask import Blueprint

from plugins.auth.responses import no_store

#: Sessions, passwords and email verification.
auth = Blueprint("auth", __name__, url_prefix="/api/auth")
#: The account itself: deleting it and exporting it.
account = Blueprint("auth_account", __name__, url_prefix="/api/user")

# Both carry tokens or account data: no cache keeps them, whatever a view said.
auth.after_request(no_store)
account.after_request(no_store)
