"""The auth flows through a real gunicorn (2 workers x 4 threads) over HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import JWT_KEY, PASSWORD, SetCookie, claims_of, run_parallel
from tests.servers import free_port, start_gunicorn, write_toml


class Client:
    """Speaks JSON to a running gunicorn; answers are ``(status, headers, body)``."""

    def __init__(self, server):
        self.server = server

    def request(self, method, path, body=None, headers=None):
        status, payload, response = self.server.request(method, path, body, headers)
        return status, response.headers, payload

    def post(self, path, body=None, token=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, body, headers)

    def get(self, path, token=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("GET", path, None, headers)


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    config = write_toml(
        tmp_path / "config.toml",
        {
            "site": {"url": f"http://127.0.0.1:{port}", "static_dir": ""},
            "rate_limits": {"enabled": False},
            "plugins": {
                "enabled": ["auth"],
                "auth": {
                    "bcrypt_rounds": 4,
                    "jwt_key": JWT_KEY,
                    "cookie_secure": False,
                    "mail_backend": "file",
                    "mail_dir": str(tmp_path / "mail"),
                },
            },
        },
    )
    env = {"ANNEX_DATABASE_URL": database_url, "ANNEX_SECRET_KEY": "gunicorn-test-secret-" + "x" * 40}
    running = start_gunicorn(config, tmp_path, env=env, port=port)
    try:
        yield Client(running)
    finally:
        running.stop()


def register_over_http(server, name="alice", email=None):
    return server.post(
        "/api/auth/register",
        {"username": name, "email": email or f"{name}@example.com", "password": PASSWORD},
    )


def cookies_of(headers):
    return {cookie.name: cookie for cookie in (SetCookie(h) for h in headers.get_all("Set-Cookie") or [])}


def test_register_login_refresh_logout_over_real_http(server):
    status, headers, body = register_over_http(server)
    assert status == 201, body
    assert {"annex_access", "annex_refresh", "annex_csrf"} <= set(cookies_of(headers))
    assert headers["Cache-Control"] == "no-store"

    status, _, body = server.post("/api/auth/login", {"username": "alice", "password": PASSWORD})
    assert status == 200, body
    status, _, renewed = server.post("/api/auth/refresh", {"refresh_token": body["refresh_token"]})
    assert status == 200, renewed
    assert claims_of(renewed["refresh_token"])["sid"] == claims_of(body["refresh_token"])["sid"]
    access = renewed["access_token"]
    status, _, sessions = server.get("/api/auth/sessions", token=access)
    assert status == 200 and len(sessions["sessions"]) == 2

    status, _, _ = server.post("/api/auth/logout", token=access)
    assert status == 204
    # Revoked for every worker: many requests land on both processes.
    refusals = [server.get("/api/auth/sessions", token=access) for _ in range(12)]
    assert {(s, b["error"]["code"]) for s, _, b in refusals} == {(401, "token_revoked")}


def test_failed_logins_are_identical_over_real_http(server):
    register_over_http(server)
    wrong = server.post("/api/auth/login", {"username": "alice", "password": "wrong-Password-99"})
    unknown = server.post("/api/auth/login", {"username": "nobody", "password": "wrong-Password-99"})
    assert wrong[0] == unknown[0] == 401
    assert wrong[2] == unknown[2]
    assert wrong[1]["WWW-Authenticate"] == unknown[1]["WWW-Authenticate"]


def test_parallel_registrations_of_one_name_over_real_http(server):
    results = run_parallel(20, lambda i: register_over_http(server, "racer", f"racer{i}@example.com")[0])
    assert sorted(results, key=str) == sorted([201] + [409] * 19, key=str), results


def test_concurrent_refreshes_over_real_http_stay_one_session(server):
    _, _, body = register_over_http(server)
    results = run_parallel(
        2, lambda _: server.post("/api/auth/refresh", {"refresh_token": body["refresh_token"]})
    )
    assert [status for status, _, _ in results] == [200, 200], results
    sid = claims_of(body["refresh_token"])["sid"]
    assert {claims_of(b["refresh_token"])["sid"] for _, _, b in results} == {sid}
    status, _, sessions = server.get("/api/auth/sessions", token=results[0][2]["access_token"])
    assert status == 200 and len(sessions["sessions"]) == 1


def test_cookie_authentication_and_csrf_over_real_http(server):
    _, headers, _ = register_over_http(server)
    cookies = cookies_of(headers)
    jar = "; ".join(f"{name}={cookies[name].value}" for name in ("annex_access", "annex_csrf"))
    status, _, body = server.post("/api/auth/logout", headers={"Cookie": jar})
    assert (status, body["error"]["code"]) == (403, "csrf_failed")
    status, _, _ = server.get("/api/auth/sessions", headers={"Cookie": jar})
    assert status == 200
    status, _, _ = server.post(
        "/api/auth/logout", headers={"Cookie": jar, "X-CSRF-Token": cookies["annex_csrf"].value}
    )
    assert status == 204
    status, _, _ = server.get("/api/auth/sessions", headers={"Cookie": jar})
    assert status == 401


def test_a_foreign_origin_is_refused_over_real_http(server):
    status, _, body = server.post(
        "/api/auth/register",
        {"username": "alice", "email": "alice@example.com", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert (status, body["error"]["code"]) == (403, "csrf_failed")
