"""Issue 15's reset links, mail and login limits and CORS matching, through a real gunicorn
(2 workers x 4 threads) on each database; one server per database for the module.

- Point 2: a reset link dies when the password is changed, and on logout-all.
- Point 6: verification mail is limited per account (3 an hour by default).
- Point 7: the username and the email of one account share one login budget, and so do two
  IPv6 addresses of one /64 (behind one trusted proxy).
- Point 9: a CORS entry allows exactly its origin, not a longer host that starts with it.
"""

from __future__ import annotations

import os
import time

import pytest

from tests.conftest import DATABASES, scratch_database
from tests.plugins.auth.conftest import JWT_KEY, NEW_PASSWORD, PASSWORD, link_token, mails
from tests.servers import free_port, migrate, start_gunicorn, write_toml

FRONTEND = "https://app.example.com"
#: An IPv6 origin: its brackets once made flask-cors read the entry as a prefix regex.
DEV_SERVER = "http://[::1]:5173"


@pytest.fixture(scope="module", params=DATABASES)
def server(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"links-limits-{request.param}")
    port = free_port()
    with scratch_database(request.param, workdir) as url:
        config = write_toml(
            workdir / "config.toml",
            {
                "site": {"url": f"http://127.0.0.1:{port}", "static_dir": ""},
                "database": {"url": url},
                "security": {"cors_origins": [FRONTEND, DEV_SERVER], "trusted_proxies": 1},
                "rate_limits": {"enabled": True, "storage": "memory://", "default": "10000/minute"},
                "plugins": {
                    "enabled": ["auth"],
                    "auth": {
                        "bcrypt_rounds": 4,
                        "jwt_key": JWT_KEY,
                        "cookie_secure": False,
                        "mail_backend": "file",
                        "mail_dir": str(workdir / "mail"),
                        "limits": {"login": "3/minute", "password_reset_account": "100/hour"},
                    },
                },
            },
        )
        env = {"ANNEX_SECRET_KEY": "gunicorn-links-limits-secret-" + "x" * 40}
        migrate({**os.environ, "ANNEX_CONFIG": str(config), **env})
        running = start_gunicorn(config, workdir, env=env, port=port)
        running.mail_dir = workdir / "mail"
        running.site_url = f"http://127.0.0.1:{port}"
        try:
            yield running
        finally:
            running.stop()


def register(server, name):
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    status, data, _ = server.request("POST", "/api/auth/register", body)
    assert status == 201, data
    return data


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def mails_to(server, address, count, timeout=10.0):
    """The mails to ``address`` once there are ``count`` of them (the outbox sends after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mails(server.mail_dir) if m["To"] == address]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"expected {count} mail(s) to {address}, found {len(found)}"
            return found
        time.sleep(0.05)


def reset_link(server, address, already):
    """Request a reset for ``address``; the token of the mail it sends (after ``already`` ones)."""
    status, _, _ = server.request("POST", "/api/auth/password-reset", {"email": address})
    assert status == 202
    return link_token(mails_to(server, address, already + 1)[-1], server.site_url)


def test_a_reset_link_dies_with_a_password_change_and_with_logout_all(server):
    account = register(server, "rita")
    token = reset_link(server, "rita@example.com", already=0)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    status, _, _ = server.request("POST", "/api/auth/password", change, bearer(account["access_token"]))
    assert status == 204
    confirm = {"token": token, "new_password": "copper-Willow-19-canyon"}
    status, data, _ = server.request("POST", "/api/auth/password-reset/confirm", confirm)
    assert (status, data["error"]["code"]) == (400, "invalid_token")

    token = reset_link(server, "rita@example.com", already=2)  # the first link, the change's notice
    status, login, _ = server.request(
        "POST", "/api/auth/login", {"username": "rita", "password": NEW_PASSWORD}
    )
    assert status == 200
    status, _, _ = server.request(
        "POST", "/api/auth/logout-all", {"password": NEW_PASSWORD}, bearer(login["access_token"])
    )
    assert status == 204
    status, data, _ = server.request("POST", "/api/auth/password-reset/confirm", confirm)
    assert (status, data["error"]["code"]) == (400, "invalid_token")


def test_verification_mail_is_limited_per_account(server):
    account = register(server, "vera")
    answers = [
        server.request("POST", "/api/auth/verify-email", None, bearer(account["access_token"]))
        for _ in range(5)
    ]
    assert [status for status, _, _ in answers] == [202, 202, 202, 429, 429]
    assert int(answers[-1][2].getheader("Retry-After")) >= 1
    assert len(mails_to(server, "vera@example.com", 3)) == 3
    time.sleep(1)  # a fourth would have been sent by now
    assert len(mails_to(server, "vera@example.com", 3)) == 3


def test_username_email_and_one_ipv6_64_share_one_login_budget(server):
    register(server, "lena")
    tries = [
        ("lena", "2001:db8:1:2::1"),
        ("LENA@example.com", "2001:db8:1:2::ff"),
        ("lena", "2001:db8:1:2:0:0:0:7"),
    ]
    for login, address in tries:
        status, data, _ = server.request(
            "POST",
            "/api/auth/login",
            {"username": login, "password": "wrong-password-1"},
            {"X-Forwarded-For": address},
        )
        assert (status, data["error"]["code"]) == (401, "invalid_credentials")
    status, data, response = server.request(
        "POST", "/api/auth/login", {"username": "lena@example.com", "password": PASSWORD},
        {"X-Forwarded-For": "2001:db8:1:2::9"},
    )  # fmt: skip
    assert (status, data["error"]["code"]) == (429, "rate_limited")
    assert response.getheader("Retry-After")
    # Another /64 has a budget of its own.
    status, _, _ = server.request(
        "POST",
        "/api/auth/login",
        {"username": "lena", "password": PASSWORD},
        {"X-Forwarded-For": "2001:db8:1:3::1"},
    )
    assert status == 200


def test_a_cors_entry_allows_exactly_its_origin(server):
    cases = {
        FRONTEND: True,
        DEV_SERVER: True,
        "https://app.example.com.attacker.net": False,
        "http://1:5173": False,  # what [::1] read as a character class matches
        "http://[::1]:51730": False,  # a prefix match
    }
    for origin, allowed in cases.items():
        status, _, response = server.request("GET", "/api/health", headers={"Origin": origin})
        assert status == 200
        assert response.getheader("Access-Control-Allow-Origin") == (origin if allowed else None), origin
        assert response.getheader("Access-Control-Allow-Credentials") == ("true" if allowed else None), origin
