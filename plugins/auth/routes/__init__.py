"""Auth's routes, one module per job; their shared helpers live in ``plugins.auth.service``.

``session``: register (and who may), login, refresh, logout, logout-all. ``factors``: the MFA
step and re-authentication. ``signins``: the user's sessions and
security log. ``password``: change and reset. ``verification``: confirming the email address.
``email``: changing it.
``account``: ``/api/user`` (delete, export).
"""

from __future__ import annotations

from plugins.auth.routes import account, email, factors, password, session, signins, verification
from plugins.auth.routes.blueprints import account as account_bp
from plugins.auth.routes.blueprints import auth as auth_bp

#: Every view above is on one of these; importing the modules is what put them there.
BLUEPRINTS = [auth_bp, account_bp]
__all__ = ["BLUEPRINTS", "account", "email", "factors", "password", "session", "signins", "verification"]
