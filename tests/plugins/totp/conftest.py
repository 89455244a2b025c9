"""Fixtures and helpers for the totp plugin's HTTP tests (api-v2.md, "`totp` plugin").

Apps enable ``auth`` and ``totp``; users register and sign in through auth's routes. Codes are
computed with ``pyotp`` from the secret ``POST /api/totp/setup`` returned, for any time
(``code_at``), as an authenticator app would show them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt
import pyotp
import pytest

from tests.conftest import deep_merge
from tests.plugins.auth.conftest import run_parallel as run_parallel

#: plugins.auth.jwt_key of every test app (fixed, so that apps sharing a database share tokens).
JWT_KEY = "annex-tests-totp-jwt-key-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD = "violet-Kettle-42-harbor"
STEP = 30
#: Every route of the plugin, with its method.
ROUTES = [
    ("GET", "/api/totp"),
    ("POST", "/api/totp/setup"),
    ("POST", "/api/totp/confirm"),
    ("DELETE", "/api/totp"),
    ("POST", "/api/totp/recovery-codes"),
]


@pytest.fixture
def make_totp_app(make_app: Callable[..., Any], tmp_path: Any) -> Callable[..., Any]:
    """``make_totp_app(totp={...}, auth={...}, config={...}, rate_limits=False)``."""

    def build(
        totp: Mapping[str, Any] | None = None,
        auth: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        rate_limits: bool = False,
        plugins: Iterable[Any] = (),
    ) -> Any:
        auth_settings = deep_merge(
            {
                "bcrypt_rounds": 4,
                "jwt_key": JWT_KEY,
                "mail_backend": "file",
                "mail_dir": str(tmp_path / "mail"),
            },
            auth or {},
        )
        overrides = deep_merge(
            {
                "plugins": {"enabled": ["auth", "totp"], "auth": auth_settings, "totp": dict(totp or {})},
                "rate_limits": {"enabled": rate_limits},
            },
            config or {},
        )
        return make_app(overrides, plugins=list(plugins))

    return build


@pytest.fixture
def app(make_totp_app: Callable[..., Any]) -> Any:
    return make_totp_app()


@pytest.fixture
def client(app: Any) -> Any:
    """An API client without a cookie jar: it authenticates only with the Bearer token sent."""
    return app.test_client(use_cookies=False)


# -------------------------------------------------------------------------------------------------
# requests
# -------------------------------------------------------------------------------------------------


def call(client: Any, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {"json": body} if body is not None else {}
    return client.open(path, method=method, headers=headers, **kwargs)


def error_of(response: Any) -> str | None:
    data = response.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def assert_error(response: Any, status: int, code: str) -> None:
    assert (response.status_code, error_of(response)) == (status, code), response.get_data(as_text=True)


class User:
    """A registered user: the current session's tokens, and the TOTP secret once set up."""

    def __init__(self, client: Any, body: dict[str, Any]) -> None:
        self.client = client
        self.update(body)
        self.id: int = body["user"]["id"]
        self.username: str = body["user"]["username"]
        self.secret: str | None = None
        self.recovery_codes: list[str] = []

    def update(self, body: dict[str, Any]) -> None:
        self.body = body
        self.token: str = body["access_token"]
        self.refresh: str = body.get("refresh_token", "")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return call(self.client, method, path, body, token=self.token)

    def status(self) -> dict[str, Any]:
        response = self.call("GET", "/api/totp")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def setup(self, body: Any = None) -> Any:
        response = self.call("POST", "/api/totp/setup", body)
        if response.status_code == 200:
            self.secret = response.get_json()["secret"]
        return response

    def confirm(self, code: str) -> Any:
        response = self.call("POST", "/api/totp/confirm", {"code": code})
        if response.status_code == 200:
            self.recovery_codes = response.get_json()["recovery_codes"]
        return response

    def code(self, offset_steps: int = 0) -> str:
        """The code the authenticator shows ``offset_steps`` steps from now."""
        assert self.secret, "set up first"
        return code_at(self.secret, time.time() + offset_steps * STEP)

    def enrol(self) -> list[str]:
        """Set up and confirm with the code of the previous step (so the current and the next
        step stay unused for the test); the recovery codes."""
        assert self.setup().status_code == 200
        fresh_step()
        response = self.confirm(self.code(-1))
        assert response.status_code == 200, response.get_data(as_text=True)
        return self.recovery_codes

    def events(self) -> list[str]:
        response = self.call("GET", "/api/auth/activity")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [event["type"] for event in response.get_json()["events"]]


def register(client: Any, username: str = "alice") -> User:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return User(client, response.get_json())


def login(client: Any, username: str = "alice", password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def mfa(client: Any, token: str, factor: str, code: str) -> Any:
    return client.post("/api/auth/mfa", json={"mfa_token": token, "factor": factor, "code": code})


def challenge_of(response: Any) -> dict[str, Any]:
    """The ``mfa`` part of a ``401 mfa_required`` answer."""
    assert_error(response, 401, "mfa_required")
    return response.get_json()["error"]["mfa"]


def mfa_token(client: Any, username: str = "alice") -> str:
    """A password login's MFA token (the user has TOTP on)."""
    return challenge_of(login(client, username))["token"]


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# -------------------------------------------------------------------------------------------------
# codes and time
# -------------------------------------------------------------------------------------------------


def code_at(secret: str, when: float) -> str:
    """What an RFC 6238 authenticator (SHA-1, 6 digits, 30 s) shows at ``when``."""
    return pyotp.TOTP(secret).at(when)


def fresh_step(margin: float = 6.0) -> None:
    """Wait for the next time step when less than ``margin`` seconds are left of this one, so a
    test's codes keep their offsets from "now" while it runs."""
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.05)


# -------------------------------------------------------------------------------------------------
# stored rows and threads
# -------------------------------------------------------------------------------------------------


def stored_rows(app: Any, table: str) -> list[dict[str, Any]]:
    """Every row of ``table``, read through core's SQL helpers in an app context."""
    from core import rows

    with app.app_context():
        return rows(f"SELECT * FROM {table}")
