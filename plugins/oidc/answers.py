"""What a browser gets from the start and callback routes: always a redirect, never JSON.

A failure goes to the login page with ``?error=oidc_<reason>``; a session goes to ``next`` with
its cookies; an MFA challenge goes to the login page with ``?mfa=<token>`` to continue from.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Response, redirect

from plugins.oidc import flows
from plugins.oidc.settings import login_url

#: Why a sign-in with a provider failed, as the login page reads it from ``?error=``.
REASONS = {
    "invalid_state": "the sign-in was not started by this browser, was used already or expired",
    "denied": "the provider, or the person, refused",
    "provider_error": "the provider could not be reached or answered an error",
    "invalid_token": "the provider's ID token did not pass the checks",
    "account_exists": "an account with this email exists: sign in to it and link the provider",
    "already_linked": "this provider account is linked to another user",
    "no_email": "the provider gave no email address, which a new account needs",
    "unknown_provider": "no provider of that name is configured",
    "sign_in_failed": "the site refused to open a session",
    "no_session": "the site does not send sessions as cookies, which a browser sign-in needs",
}
#: Errors of the account owner passed on under their own code (the login page knows them).
PASSED_ON = frozenset({"registration_closed", "account_disabled"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site (``/account.html?tab=2``), else ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or _CONTROL.search(value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, v) for k, v in params.items() if v]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def failure(reason: str) -> Response:
    """``302`` to the login page with ``?error=oidc_<reason>`` (or a passed-on code)."""
    code = reason if reason in PASSED_ON else f"oidc_{reason}"
    response = redirect(_with_query(login_url(), error=code), code=302)
    flows.unbind(response)
    return no_store(response)


def mfa(token: str, factors: list[str], next_path: str) -> Response:
    """``302`` to the login page, which asks for the second factor with ``?mfa=<token>``."""
    params = {"mfa": token, "factors": ",".join(factors), "next": next_path if next_path != "/" else ""}
    response = redirect(_with_query(login_url(), **params), code=302)
    flows.unbind(response)
    return no_store(response)


def success(next_path: str, session: Response | None = None) -> Response:
    """``302`` to ``next``, with the session's cookies when one was opened."""
    response = redirect(next_path, code=302)
    if session is not None:
        for cookie in session.headers.getlist("Set-Cookie"):
            response.headers.add("Set-Cookie", cookie)
    flows.unbind(response)
    return no_store(response)


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
