"""Fixtures and helpers for the passkeys plugin's HTTP tests (api-v2.md, "`passkeys` plugin").

The app runs auth and passkeys on the test's database (SQLite, and PostgreSQL when configured);
users register and sign in through auth's routes; passkeys are made and used by the software
authenticator of ``authenticator.py`` as a browser on ``ORIGIN`` would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jwt
import pytest

from tests.conftest import deep_merge
from tests.plugins.passkeys.authenticator import Authenticator

#: site.url of the test apps: the relying party id is its host, the expected origin its origin.
SITE_URL = "http://localhost:5000"
ORIGIN = SITE_URL
RP_ID = "localhost"
JWT_KEY = "annex-passkeys-tests-jwt-signing-key-0123456789abcdefghijklmnop"
PASSWORD = "violet-Kettle-42-harbor"


@pytest.fixture
def make_passkeys_app(make_app: Callable[..., Any], tmp_path: Path) -> Callable[..., Any]:
    """``make_passkeys_app(passkeys={...}, auth={...}, config={...}, rate_limits=False)``."""

    def build(
        passkeys: Mapping[str, Any] | None = None,
        auth: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        rate_limits: bool = False,
        plugins: Any = (),
    ) -> Any:
        overrides = {
            "site": {"url": SITE_URL},
            "rate_limits": {"enabled": rate_limits},
            "plugins": {
                "enabled": ["auth", "passkeys"],
                "auth": deep_merge(
                    {
                        "bcrypt_rounds": 4,
                        "jwt_key": JWT_KEY,
                        "mail_backend": "file",
                        "mail_dir": str(tmp_path / "mail"),
                    },
                    auth or {},
                ),
                "passkeys": dict(passkeys or {}),
            },
        }
        return make_app(deep_merge(overrides, config or {}), plugins=list(plugins))

    return build


@pytest.fixture
def app(make_passkeys_app: Callable[..., Any]) -> Any:
    return make_passkeys_app()


@pytest.fixture
def client(app: Any) -> Any:
    """An API client without a cookie jar: it authenticates with the Bearer token it sends."""
    return app.test_client(use_cookies=False)


@pytest.fixture
def key() -> Authenticator:
    """A security key: a device-bound passkey whose counter counts."""
    return Authenticator()


class User:
    """An account signed in through auth: its Bearer token and id."""

    def __init__(self, body: dict[str, Any], password: str | None = PASSWORD) -> None:
        self.body = body
        self.token: str = body["access_token"]
        self.id: int = body["user"]["id"]
        self.username: str = body["user"]["username"]
        self.email: str = body["user"]["email"]
        self.password = password

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signup(client: Any, username: str = "alice") -> User:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return User(response.get_json())


def password_login(client: Any, username: str = "alice") -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": PASSWORD})


def passwordless_account(app: Any, email: str = "paula@example.com") -> User:
    """An account without a password, made and signed in through core's public API as a
    sign-in plugin would (the way an emailed link or a provider makes one)."""
    from core import create_account, sign_in

    with app.test_request_context("/", method="POST"):
        account = create_account(email, method="mail", email_verified=True)
        response = sign_in(account["id"], ["mail"])
        assert response.status_code == 200, response.get_data(as_text=True)
        return User(response.get_json(), password=None)


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, JWT_KEY, algorithms=["HS256"], options={"verify_aud": False})


def call(client: Any, method: str, path: str, user: User | None = None, body: Any = None, **kw: Any) -> Any:
    headers = dict(kw.pop("headers", {}))
    if user is not None:
        headers.update(user.headers)
    if body is not None:
        kw["json"] = body
    return client.open(path, method=method, headers=headers, **kw)


def registration_options(client: Any, user: User, body: Any = None) -> dict[str, Any]:
    response = call(client, "POST", "/api/passkeys/register/options", user, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def register_response(client: Any, user: User, credential: dict[str, Any], name: str | None = None) -> Any:
    body: dict[str, Any] = {"credential": credential}
    if name is not None:
        body["name"] = name
    return call(client, "POST", "/api/passkeys/register", user, body)


def enrol(client: Any, user: User, authenticator: Authenticator, name: str = "My key") -> dict[str, Any]:
    """Register a passkey of ``authenticator`` for ``user``; the stored passkey as the API shows it."""
    options = registration_options(client, user)
    response = register_response(client, user, authenticator.create(options, ORIGIN), name)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def login_options(client: Any, body: Any = None, **kw: Any) -> Any:
    return call(client, "POST", "/api/passkeys/login/options", body=body, **kw)


def sign_in_options(client: Any) -> dict[str, Any]:
    response = login_options(client, {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def passkey_login(client: Any, credential: dict[str, Any], **kw: Any) -> Any:
    return call(client, "POST", "/api/passkeys/login", body={"credential": credential}, **kw)


def passkeys_of(client: Any, user: User) -> list[dict[str, Any]]:
    response = call(client, "GET", "/api/passkeys", user)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["passkeys"]


def activity(client: Any, user: User) -> list[str]:
    """The types of the user's security log, newest first."""
    response = call(client, "GET", "/api/auth/activity", user)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [event["type"] for event in response.get_json()["events"]]


def error_code(response: Any) -> str | None:
    data = response.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def assert_error(response: Any, status: int, code: str) -> None:
    assert (response.status_code, error_code(response)) == (status, code), response.get_data(as_text=True)


def stored_rows(app: Any, table: str) -> list[dict[str, Any]]:
    database = app.extensions["annex"].db
    try:
        if not database.has_table(table):
            return []
        return [dict(row) for row in database[table].all()]
    finally:
        database.release()


def update_rows(app: Any, sql: str, **params: Any) -> None:
    """Run one statement against the app's database (to age a stored challenge)."""
    from core import transaction

    database = app.extensions["annex"].db
    try:
        with transaction(database) as db:
            db.query(sql, **params)
    finally:
        database.release()
