"""Fixtures and helpers for the profile plugin's HTTP tests.

The identity comes from the auth plugin: users register through ``POST /api/auth/register`` and
send the returned access token as ``Authorization: Bearer``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import deep_merge

PASSWORD = "correct horse battery"
#: The account fields the identity brings (api.md, GET /api/user/profile).
ACCOUNT_FIELDS = ("id", "username", "email", "email_verified", "roles", "created_at")
#: The profile's own editable fields.
BUILTIN_FIELDS = ("display_name", "bio", "avatar_url")


@pytest.fixture
def make_profile_app(make_app: Callable[..., Any], tmp_path: Path) -> Callable[..., Any]:
    """``make_profile_app(fields={...}, config={...})``: auth + profile + content on the test's
    database, cheap bcrypt, rate limits off, custom profile fields as declared."""

    def build(
        fields: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        plugins: Any = (),
    ) -> Any:
        (tmp_path / "protected").mkdir(exist_ok=True)
        overrides: dict[str, Any] = {
            "plugins": {
                "enabled": ["auth", "profile", "content"],
                "auth": {"bcrypt_rounds": 4},
                "content": {"root": str(tmp_path / "protected")},
            },
            "rate_limits": {"enabled": False},
        }
        if fields is not None:
            overrides = deep_merge(overrides, {"plugins": {"profile": {"fields": dict(fields)}}})
        return make_app(deep_merge(overrides, config or {}), plugins=list(plugins))

    return build


@pytest.fixture
def app(make_profile_app: Callable[..., Any]) -> Any:
    return make_profile_app()


@pytest.fixture
def client(app: Any) -> Any:
    """An API client without a cookie jar: it authenticates only with the Bearer token sent."""
    return app.test_client(use_cookies=False)


class User:
    """A registered user: its token body and a Bearer header."""

    def __init__(self, response: Any) -> None:
        body = response.get_json()
        self.body = body
        self.token: str = body["access_token"]
        self.account: dict[str, Any] = body["user"]
        self.id: int = body["user"]["id"]
        self.username: str = body["user"]["username"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signup(client: Any, username: str = "alice", password: str = PASSWORD) -> User:
    body = {"username": username, "email": f"{username.lower()}@example.com", "password": password}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return User(response)


def login(client: Any, username: str, password: str = PASSWORD) -> User:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return User(response)


def get_profile(client: Any, user: User) -> Any:
    return client.get("/api/user/profile", headers=user.headers)


def profile_of(client: Any, user: User) -> dict[str, Any]:
    response = get_profile(client, user)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def put_profile(client: Any, user: User, body: Any, method: str = "PUT") -> Any:
    return client.open("/api/user/profile", method=method, json=body, headers=user.headers)


def error_code(response: Any) -> str | None:
    data = response.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def assert_error(response: Any, status: int, code: str) -> None:
    assert (response.status_code, error_code(response)) == (status, code), response.get_data(as_text=True)


def field_errors(response: Any) -> dict[str, str]:
    """The ``fields`` of a 422 ``validation_error`` (fails the test for anything else)."""
    assert_error(response, 422, "validation_error")
    fields = response.get_json()["error"].get("fields")
    assert isinstance(fields, dict), response.get_data(as_text=True)
    return fields


def stored_rows(app: Any, table: str, **where: Any) -> list[dict[str, Any]]:
    """Rows of ``table`` matching ``where``, read straight from the app's database."""
    database = app.extensions["annex"].db
    try:
        if not database.has_table(table):
            return []
        return [dict(row) for row in database[table].find(**where)]
    finally:
        database.release()
