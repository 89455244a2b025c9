"""What the oidc tests do as a person at the site would: register, sign in, call the API with
the session's cookies (and the CSRF header a page's script sends)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.plugins.oidc.provider import SITE

PASSWORD = "violet-Kettle-42-harbor"
CSRF = "__Host-annex_csrf"
START = f"{SITE}/api/oidc/test/start"


def landing(hop: Any) -> tuple[str, dict[str, str]]:
    """Where the callback sent the browser: (path, query)."""
    assert hop.status == 302, hop
    assert "/api/oidc/" in hop.url, hop  # the answer came from Annex, not from the provider
    parts = urlsplit(hop.location)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


def api(browser: Any, method: str, path: str, body: Any = None) -> Any:
    """A call of the site's script: the session cookies, and the CSRF cookie echoed in the header."""
    csrf = browser.client.get_cookie(CSRF, domain="annex.test")
    headers = {"X-CSRF-Token": csrf.value} if csrf is not None else {}
    return browser.client.open(path, method=method, json=body, headers=headers, base_url=SITE)


def account(browser: Any) -> dict[str, Any] | None:
    """The signed-in browser's account and linked identities (the export), None when signed out."""
    answer = browser.client.get("/api/user/export", base_url=SITE)
    if answer.status_code != 200:
        return None
    data = answer.get_json()
    return {**data["auth"]["account"], "identities": data.get("oidc", {}).get("identities")}


def register(browser: Any, username: str, email: str) -> Any:
    """A password account, signed in on ``browser``."""
    answer = browser.client.post(
        "/api/auth/register", json={"username": username, "email": email, "password": PASSWORD}, base_url=SITE
    )
    assert answer.status_code == 201, answer.get_json()
    answer = browser.client.post(
        "/api/auth/login", json={"username": username, "password": PASSWORD}, base_url=SITE
    )
    assert answer.status_code == 200, answer.get_json()
    return answer
