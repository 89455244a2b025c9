"""Fixtures and helpers for the black-box HTTP tests of the auth plugin (api.md, "Auth plugin").

Everything here talks to the app through HTTP (the Flask test client), reads mail the file
backend wrote, and decodes or forges JWTs with PyJWT using the key the test configured.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jwt
import pytest

from core import hookimpl
from tests.conftest import deep_merge

#: site.url of every test app unless a test changes it (the default of the setting).
SITE_URL = "http://127.0.0.1:5000"
#: plugins.auth.jwt_key of every test app: tests sign their own tokens with it.
JWT_KEY = "annex-tests-jwt-signing-key-0123456789abcdefghijklmnopqrstuvwxyz"
#: A password no common-password list holds.
PASSWORD = "violet-Kettle-42-harbor"
NEW_PASSWORD = "amber-Lantern-77-meadow"
#: Cookie names with the default cookie_secure = true.
ACCESS = "__Host-annex_access"
REFRESH = "__Secure-annex_refresh"
CSRF = "__Host-annex_csrf"
COOKIES = (ACCESS, REFRESH, CSRF)
#: The device cookie every sign-in sets beside them (remembered browsers pass a lockout).
DEVICE = "__Host-annex_device"
#: An authenticated auth route without side effects, used to probe whether a token works.
PROBE = "/api/auth/sessions"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
BCRYPT_HASH = re.compile(r"\$2[abxy]?\$(\d\d)\$[./A-Za-z0-9]{53}")


# -------------------------------------------------------------------------------------------------
# apps
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def make_auth_app(make_app: Callable[..., Any], mail_dir: Path) -> Callable[..., Any]:
    """``make_auth_app(auth={...}, config={...}, plugins=[...], rate_limits=False)``: an app with
    the auth plugin enabled, cheap bcrypt, a known JWT key and the file mail backend."""

    def build(
        auth: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        plugins: Iterable[Any] = (),
        rate_limits: bool = False,
    ) -> Any:
        settings = deep_merge(
            {
                "bcrypt_rounds": 4,
                "jwt_key": JWT_KEY,
                "mail_backend": "file",
                "mail_dir": str(mail_dir),
            },
            auth or {},
        )
        overrides = deep_merge(
            {"plugins": {"enabled": ["auth"], "auth": settings}, "rate_limits": {"enabled": rate_limits}},
            config or {},
        )
        return make_app(overrides, plugins=list(plugins))

    return build


@pytest.fixture
def app(make_auth_app: Callable[..., Any]) -> Any:
    """pytest-flask's app: the auth plugin with the test defaults."""
    return make_auth_app()


@pytest.fixture
def client(app: Any) -> Any:
    """An API client without a cookie jar: it authenticates only with what a test sends."""
    return app.test_client(use_cookies=False)


@pytest.fixture
def browser(app: Any) -> Any:
    """A test client speaking HTTPS, so it behaves like a browser holding Secure cookies."""
    return https_client(app)


def https_client(app: Any) -> Any:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


class Recorder:
    """A tiny third-party plugin that records the account hooks the auth plugin calls."""

    name = "recorder"

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.deleted: list[int] = []
        self.mail: list[EmailMessage] = []
        self.catch_mail = False

    @hookimpl
    def user_created(self, user: dict[str, Any]) -> None:
        self.created.append(dict(user))

    @hookimpl
    def user_deleted(self, user_id: int) -> None:
        self.deleted.append(user_id)

    @hookimpl
    def user_export(self, user_id: int) -> dict[str, Any]:
        return {"recorder": {"user_id": user_id}}

    @hookimpl
    def send_email(self, message: EmailMessage) -> bool | None:
        if not self.catch_mail:
            return None
        self.mail.append(message)
        return True


class Whoami:
    """A tiny third-party plugin with routes of its own: it shows who the auth plugin says is
    asking (any method, so CSRF applies to it like to any route) and adds token claims."""

    name = "whoami"

    def __init__(self, claims: Mapping[str, Any] | None = None) -> None:
        from flask import Blueprint

        from core import current_identity, endpoint, hooks, read_json_object

        self.claims = dict(claims or {})
        self.blueprint = Blueprint("whoami", __name__, url_prefix="/api/whoami")

        @self.blueprint.route("", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        @endpoint(auth=True)
        def whoami() -> dict[str, Any]:
            identity = current_identity()
            return {
                "id": identity.id,
                "username": identity.username,
                "roles": sorted(identity.roles),
                "transport": identity.transport,
                "session_id": None if identity.session_id is None else str(identity.session_id),
            }

        @self.blueprint.post("/verify-password")
        @endpoint(auth=True)
        def verify() -> dict[str, Any]:
            body = read_json_object()
            answer = hooks().verify_password(user_id=body["user_id"], password=body["password"])
            return {"answer": answer}

    @hookimpl
    def register_routes(self, app: Any) -> Any:
        return self.blueprint

    @hookimpl
    def extra_token_claims(self, identity: Any) -> dict[str, Any] | None:
        return dict(self.claims) or None


# -------------------------------------------------------------------------------------------------
# requests
# -------------------------------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(
    client: Any,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    ip: str | None = None,
    **kwargs: Any,
) -> Any:
    """One request; ``body`` is sent as JSON, ``token`` as a Bearer header, ``ip`` as the peer."""
    all_headers = dict(headers or {})
    if token is not None:
        all_headers.update(bearer(token))
    if ip is not None:
        kwargs["environ_base"] = {**kwargs.get("environ_base", {}), "REMOTE_ADDR": ip}
    if body is not None:
        kwargs["json"] = body
    return client.open(path, method=method, headers=all_headers, **kwargs)


def post(client: Any, path: str, body: Any = None, **kwargs: Any) -> Any:
    return call(client, "POST", path, body, **kwargs)


def email_of(username: str) -> str:
    return f"{username.lower()}@example.com"


def register(
    client: Any, username: str = "alice", email: str | None = None, password: str = PASSWORD, **kwargs: Any
) -> Any:
    body = {
        "username": username,
        "email": email if email is not None else email_of(username),
        "password": password,
    }
    return post(client, "/api/auth/register", body, **kwargs)


def login(client: Any, username: str = "alice", password: str = PASSWORD, **kwargs: Any) -> Any:
    return post(client, "/api/auth/login", {"username": username, "password": password}, **kwargs)


def refresh(client: Any, refresh_token: str, **kwargs: Any) -> Any:
    return post(client, "/api/auth/refresh", {"refresh_token": refresh_token}, **kwargs)


def probe(client: Any, token: str, **kwargs: Any) -> Any:
    """GET an authenticated route with ``token`` as Bearer."""
    return call(client, "GET", PROBE, token=token, **kwargs)


class Account:
    """A registered (or logged-in) user as the token body described them."""

    def __init__(self, response: Any, password: str) -> None:
        body = response.get_json()
        self.response = response
        self.body = body
        self.access: str = body.get("access_token", "")
        self.refresh: str = body.get("refresh_token", "")
        self.user: dict[str, Any] = body["user"]
        self.id: int = body["user"]["id"]
        self.username: str = body["user"]["username"]
        self.email: str = body["user"]["email"]
        self.password = password


def signup(client: Any, username: str = "alice", password: str = PASSWORD, **kwargs: Any) -> Account:
    """Register ``username`` and return the account; fails the test unless 201."""
    response = register(client, username, password=password, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return Account(response, password)


def signin(client: Any, username: str = "alice", password: str = PASSWORD, **kwargs: Any) -> Account:
    """Log in and return the new session's tokens; fails the test unless 200."""
    response = login(client, username, password, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return Account(response, password)


def error_of(response: Any) -> str | None:
    data = response.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def assert_error(response: Any, status: int, code: str) -> None:
    assert (response.status_code, error_of(response)) == (status, code), response.get_data(as_text=True)


def assert_token_refused(response: Any, code: str = "unauthorized") -> None:
    """A 401 with ``code`` and the RFC 6750 challenge naming ``invalid_token``."""
    assert_error(response, 401, code)
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer"), challenge
    assert 'error="invalid_token"' in challenge, challenge


def assert_refused(response: Any, code: str = "unauthorized") -> None:
    """A 401 with ``code`` and a Bearer challenge (for tokens sent in a body or a cookie)."""
    assert_error(response, 401, code)
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), response.headers


def field_errors(response: Any) -> dict[str, str]:
    assert_error(response, 422, "validation_error")
    return response.get_json()["error"]["fields"]


def run_parallel(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; return results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # reported by the caller
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def parse_time(text: str) -> datetime:
    assert RFC3339_UTC.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds_since(text: str) -> float:
    return (datetime.now(UTC) - parse_time(text)).total_seconds()


# -------------------------------------------------------------------------------------------------
# tokens
# -------------------------------------------------------------------------------------------------


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def header_of(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def sign(
    claims: Mapping[str, Any],
    key: str | bytes = JWT_KEY,
    *,
    algorithm: str = "HS256",
    headers: Mapping[str, Any] | None = None,
) -> str:
    return jwt.encode(dict(claims), key, algorithm=algorithm, headers=dict(headers or {}))


def resign(token: str, key: str | bytes = JWT_KEY, drop: Iterable[str] = (), **changes: Any) -> str:
    """The claims of ``token`` with ``changes`` applied and ``drop`` removed, signed again with
    ``key`` under the same ``kid``."""
    claims = claims_of(token)
    claims.update(changes)
    for name in drop:
        claims.pop(name, None)
    return sign(claims, key, headers={"kid": header_of(token).get("kid")})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jwt(
    header: Mapping[str, Any], claims: Mapping[str, Any], key: bytes | None, digest: Any = hashlib.sha256
) -> str:
    """A JWT built by hand (for headers PyJWT refuses to produce): HMAC with ``digest`` under
    ``key``, or an empty signature when ``key`` is None."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(signature)}"


# -------------------------------------------------------------------------------------------------
# cookies
# -------------------------------------------------------------------------------------------------


class SetCookie:
    """One parsed ``Set-Cookie`` header: name, value and attributes (lower-cased names)."""

    def __init__(self, header: str) -> None:
        first, *rest = header.split(";")
        self.header = header
        self.name, _, self.value = (part.strip() for part in first.partition("="))
        self.attributes: dict[str, str | bool] = {}
        for item in rest:
            key, sep, value = item.strip().partition("=")
            if key:
                self.attributes[key.lower()] = value.strip() if sep else True

    def has(self, flag: str) -> bool:
        return flag.lower() in self.attributes

    def get(self, name: str) -> Any:
        return self.attributes.get(name.lower())

    @property
    def clears(self) -> bool:
        """Whether a browser would delete the cookie: empty, Max-Age=0 or an Expires in the past."""
        if self.get("max-age") is not None and int(str(self.get("max-age"))) <= 0:
            return True
        expires = self.get("expires")
        if isinstance(expires, str):
            when = email.utils.parsedate_to_datetime(expires)
            if when.timestamp() <= time.time():
                return True
        return False

    def __repr__(self) -> str:
        return f"SetCookie({self.header!r})"


def set_cookies(response: Any) -> dict[str, SetCookie]:
    """The response's Set-Cookie headers by cookie name (a name set twice fails the test)."""
    parsed = [SetCookie(h) for h in response.headers.getlist("Set-Cookie")]
    names = [cookie.name for cookie in parsed]
    assert len(names) == len(set(names)), f"a cookie set twice in one response: {names}"
    return {cookie.name: cookie for cookie in parsed}


def cookie_value(client: Any, name: str, path: str = "/") -> str | None:
    cookie = client.get_cookie(name, path=path)
    return cookie.value if cookie is not None else None


def csrf_headers(client: Any, name: str = CSRF) -> dict[str, str]:
    """``X-CSRF-Token`` equal to the CSRF cookie the client holds."""
    value = cookie_value(client, name)
    assert value, "the client holds no CSRF cookie"
    return {"X-CSRF-Token": value}


# -------------------------------------------------------------------------------------------------
# mail
# -------------------------------------------------------------------------------------------------


def mails(mail_dir: Path) -> list[EmailMessage]:
    """Every .eml file the file backend wrote, oldest first."""
    if not mail_dir.is_dir():
        return []
    files = sorted(mail_dir.glob("*.eml"), key=lambda path: (path.stat().st_mtime_ns, path.name))
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]


def wait_for_mails(mail_dir: Path, count: int, timeout: float = 5.0) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while True:
        found = mails(mail_dir)
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"expected {count} message(s) in {mail_dir}, found {len(found)}"
            return found
        time.sleep(0.05)


def text_of(message: EmailMessage) -> str:
    """All text parts of a message, concatenated."""
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def link_token(message: EmailMessage, site_url: str = SITE_URL) -> str:
    """The token of the ``<site.url>/<page>?token=<token>`` link in the message text."""
    found = re.search(re.escape(site_url) + r"/[^\s?\"'<>]*\?token=([^\s&\"'<>]+)", text_of(message))
    assert found, f"no {site_url}/<page>?token= link in:\n{text_of(message)}"
    return found.group(1)


# -------------------------------------------------------------------------------------------------
# stored effects
# -------------------------------------------------------------------------------------------------


def stored_values(app: Any) -> list[tuple[str, str, Any]]:
    """``(table, column, value)`` of every value the auth plugin stored (tables ``auth_*``)."""
    database = app.extensions["annex"].db
    values = []
    try:
        for table in database.tables:
            if table.startswith("auth"):
                for row in database.query(f'SELECT * FROM "{table}"'):
                    values.extend((table, column, value) for column, value in row.items())
    finally:
        database.release()
    return values


def update_rows(app: Any, sql: str, **params: Any) -> None:
    """Run one UPDATE against the app's database (to age a stored row)."""
    from core.db import transaction

    database = app.extensions["annex"].db
    try:
        with transaction(database) as db:
            db.query(sql, **params)
    finally:
        database.release()


def as_text(value: Any) -> str | None:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode(errors="replace")
    return value if isinstance(value, str) else None


def stored_bcrypt_costs(app: Any) -> list[int]:
    """The cost of every bcrypt hash the auth plugin stored."""
    costs = []
    for _, _, value in stored_values(app):
        text = as_text(value)
        if text:
            costs.extend(int(found.group(1)) for found in BCRYPT_HASH.finditer(text))
    return costs


def _as_epoch(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value > 1_000_000_000:
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    return None


def _shifted(value: Any, seconds: float) -> Any:
    """``value`` (an epoch number, a datetime or an ISO string) moved by ``seconds``."""
    from datetime import timedelta

    if isinstance(value, int):
        return value + int(seconds)
    if isinstance(value, float):
        return value + seconds
    if isinstance(value, datetime):
        return value + timedelta(seconds=seconds)
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    text = when.isoformat()
    if value.endswith("Z"):
        text = text.replace("+00:00", "Z")
    if " " in value[:20] and "T" not in value[:20]:
        text = text.replace("T", " ", 1)
    return text


def expiries_around(app: Any, seconds_ahead: float, slack: float = 60) -> list[tuple[str, str, Any]]:
    """Stored ``(table, column, value)`` whose value is a time about ``seconds_ahead`` from now."""
    now = time.time()
    return [
        (table, column, value)
        for table, column, value in stored_values(app)
        if (epoch := _as_epoch(value)) is not None and abs(epoch - (now + seconds_ahead)) <= slack
    ]


def expire_stored(app: Any, found: Iterable[tuple[str, str, Any]], by: float) -> None:
    """Move each stored time in ``found`` back by ``by`` seconds (ages a one-time token)."""
    for table, column, value in found:
        update_rows(
            app,
            f'UPDATE "{table}" SET "{column}" = :new WHERE "{column}" = :old',
            new=_shifted(value, -by),
            old=value,
        )


# -------------------------------------------------------------------------------------------------
# time
# -------------------------------------------------------------------------------------------------


class Clock:
    """Runs steps of a test in the past, without sleeping: ``with clock.ago(301): login(…)``
    makes that login (its session, tokens, challenge) five minutes old now.

    ``time.time`` is moved, which every expiry reads; it is moved back rather than forward
    because PyJWT refuses a token whose ``iat`` is ahead of the real clock."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + self.offset)

    @contextlib.contextmanager
    def ago(self, seconds: float) -> Iterator[None]:
        self.offset -= seconds
        try:
            yield
        finally:
            self.offset += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)
