"""The three auth cookies and the double-submit CSRF check.

``annex_access`` and ``annex_refresh`` are HttpOnly; ``annex_csrf`` is readable by the page,
which echoes it in ``X-CSRF-Token``. Every token carries a hash of the CSRF value it was issued
with, so a CSRF cookie planted by a sibling subdomain does not match.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask import Request, Response

from core import ApiError
from plugins.auth.tokens import csrf_hash

#: Header a page sends the CSRF cookie's value in.
CSRF_HEADER = "X-CSRF-Token"
#: Path of the refresh cookie: only the auth routes ever see it.
REFRESH_PATH = "/api/auth"


@dataclass(frozen=True)
class CookieNames:
    access: str
    refresh: str
    csrf: str
    secure: bool

    @classmethod
    def for_settings(cls, secure: bool) -> CookieNames:
        if secure:
            return cls("__Host-annex_access", "__Secure-annex_refresh", "__Host-annex_csrf", True)
        return cls("annex_access", "annex_refresh", "annex_csrf", False)


def new_csrf_value() -> str:
    return secrets.token_urlsafe(32)


def set_auth_cookies(
    response: Response, names: CookieNames, access: str, refresh: str, csrf: str, max_age: int
) -> None:
    common = {"secure": names.secure, "max_age": max_age}
    response.set_cookie(names.access, access, httponly=True, samesite="Lax", path="/", **common)
    response.set_cookie(names.refresh, refresh, httponly=True, samesite="Strict", path=REFRESH_PATH, **common)
    response.set_cookie(names.csrf, csrf, httponly=False, samesite="Lax", path="/", **common)


def clear_auth_cookies(response: Response, names: CookieNames) -> None:
    """Expire all three (same names, same paths; prefixed cookies must keep ``Secure``)."""
    response.delete_cookie(names.access, path="/", secure=names.secure, httponly=True, samesite="Lax")
    response.delete_cookie(
        names.refresh, path=REFRESH_PATH, secure=names.secure, httponly=True, samesite="Strict"
    )
    response.delete_cookie(names.csrf, path="/", secure=names.secure, samesite="Lax")


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two client-supplied strings. ``compare_digest`` refuses str
    with non-ASCII characters (a header may carry any Latin-1 byte), so bytes are compared."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def check_csrf(request: Request, names: CookieNames, bound_hash: str | None) -> str:
    """Refuse a cookie-authenticated unsafe request that is cross-site or lacks the CSRF proof.

    Returns the CSRF value (kept across refreshes).
    """
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ApiError(403, "csrf_failed", "cross-site request refused")
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(names.csrf, "")
    if not header or not cookie or not _same(header, cookie):
        raise ApiError(403, "csrf_failed", f"send the {names.csrf} cookie's value in {CSRF_HEADER}")
    if bound_hash is None or not _same(csrf_hash(header), str(bound_hash)):
        raise ApiError(403, "csrf_failed", "CSRF token does not belong to this session")
    return header
