"""Flask's signed-cookie session, paid for only by the requests that use it.

Annex's own plugins never touch ``flask.session``, but a third-party plugin may. Flask's
interface builds a signing serializer on every request that has a secret key, cookie or
not; this one skips that for requests without a Cookie header, and skips saving a session
that was never read, written or sent.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # what Flask's save_session would do, after computing every cookie option
        super().save_session(app, session, response)
