"""Credentials against a real gunicorn (2 workers x 4 threads), on each database, one server per
database for the module (issue 15, points 1 and 15).

- A deleted account's tokens never open the account registered after it.
- A password change ends every session it did not keep, including the logins with the old
  password that were in flight while it ran, whatever order they arrive in.
"""

from __future__ import annotations

import itertools
import os
import threading

import pytest

from tests.conftest import DATABASES, scratch_database
from tests.plugins.auth.conftest import JWT_KEY, PASSWORD
from tests.servers import free_port, migrate, start_gunicorn, write_toml

#: Threads logging in with the old password while the change runs (more than the server's 8).
LOGIN_THREADS = 12
PASSWORDS = [PASSWORD, "amber-Lantern-77-meadow", "copper-Willow-19-canyon", "slate-Orchid-63-ferry"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=DATABASES)
def server(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
    port = free_port()
    with scratch_database(request.param, workdir) as url:
        config = write_toml(
            workdir / "config.toml",
            {
                "site": {"url": f"http://127.0.0.1:{port}", "static_dir": ""},
                "database": {"url": url},
                "rate_limits": {"enabled": False},
                "plugins": {
                    "enabled": ["auth", "profile"],
                    # bcrypt costs a few ms here, so that many logins are mid-check when the change runs
                    "auth": {"bcrypt_rounds": 6, "jwt_key": JWT_KEY, "mail_backend": "console"},
                },
            },
        )
        env = {"ANNEX_SECRET_KEY": "gunicorn-credentials-secret-" + "x" * 40}
        migrate({**os.environ, "ANNEX_CONFIG": str(config), **env})
        running = start_gunicorn(config, workdir, env=env, port=port)
        try:
            yield running
        finally:
            running.stop()


def register(server, name, password=PASSWORD):
    body = {"username": name, "email": f"{name}@example.com", "password": password}
    status, data, _ = server.request("POST", "/api/auth/register", body)
    assert status == 201, data
    return data


def login(server, name, password):
    return server.request("POST", "/api/auth/login", {"username": name, "password": password})[:2]


def code(answer):
    status, data = answer[:2]
    return status, (data or {}).get("error", {}).get("code")


def test_delete_then_register_then_the_old_tokens_are_revoked(server):
    alice = register(server, "gone_alice")
    old_access = bearer(alice["access_token"])
    assert server.request("DELETE", "/api/user", {"password": PASSWORD}, old_access)[0] == 204
    bob = register(server, "next_bob")
    assert bob["user"]["id"] != alice["user"]["id"]
    for path in ("/api/user/profile", "/api/user/export"):
        assert code(server.request("GET", path, None, old_access)) == (401, "token_revoked")
    old_refresh = {"refresh_token": alice["refresh_token"]}
    assert code(server.request("POST", "/api/auth/refresh", old_refresh)) == (401, "token_revoked")
    status, profile, _ = server.request("GET", "/api/user/profile", None, bearer(bob["access_token"]))
    assert (status, profile["username"]) == (200, "next_bob")
    status, _, _ = server.request("POST", "/api/auth/refresh", {"refresh_token": bob["refresh_token"]})
    assert status == 200


def race(server, name, old, new, changer):
    """Logins of ``name`` with ``old`` from many threads while ``changer`` changes it to ``new``:
    the access tokens the logins got, and the errors of the refused ones."""
    stop, lock = threading.Event(), threading.Lock()
    flowing = threading.Semaphore(0)
    tokens: list[str] = []
    refusals: list[tuple[int, str | None]] = []

    def hammer():
        while not stop.is_set():
            answer = login(server, name, old)
            with lock:
                if answer[0] == 200:
                    tokens.append(answer[1]["access_token"])
                    flowing.release()
                else:
                    refusals.append(code(answer))

    threads = [threading.Thread(target=hammer) for _ in range(LOGIN_THREADS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(LOGIN_THREADS):  # logins are flowing before the change starts
            assert flowing.acquire(timeout=60)
        body = {"current_password": old, "new_password": new}
        status, data, _ = server.request("POST", "/api/auth/password", body, bearer(changer))
        assert status == 204, data
    finally:
        stop.set()  # the logins in flight still finish, some after the change has answered
        for thread in threads:
            thread.join(60)
    return tokens, refusals


def works(server, token):
    return server.request("GET", "/api/auth/sessions", None, bearer(token))[0] == 200


def test_no_login_with_the_old_password_outlives_the_change(server):
    name = "racer"
    changer = register(server, name, PASSWORDS[0])["access_token"]
    for old, new in itertools.pairwise(PASSWORDS):
        tokens, refusals = race(server, name, old, new, changer)
        assert set(refusals) <= {(401, "invalid_credentials")}, refusals
        alive = [token for token in tokens if works(server, token)]
        assert not alive, f"{len(alive)} of {len(tokens)} logins with the old password outlived the change"
        # The change kept its own session; the new password works and the old one does not.
        assert works(server, changer)
        assert code(login(server, name, old)) == (401, "invalid_credentials")
        assert login(server, name, new)[0] == 200
