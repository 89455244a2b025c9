"""Limits that follow the account (issue 15, points 3, 6 and 7): every password check spends the
account's one budget of failures, re-authentication is limited per session, verification mail is
limited per account, and the login key is the account whichever of its names is typed."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    JWT_KEY,
    NEW_PASSWORD,
    PASSWORD,
    PROBE,
    Whoami,
    assert_error,
    call,
    login,
    mails,
    post,
    register,
    signin,
    signup,
    wait_for_mails,
)
from tests.servers import free_port, start_gunicorn, write_toml

WRONG = "wrong-Password-99"
#: The subject of the verification mail (the account also gets security notices).
VERIFICATION = "Confirm your email address"
#: The routes that ask a signed-in user for the password again (api.md).
RECHECKS = ("password", "logout-all", "delete-account", "delete-session")


def assert_limited(response):
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600, response.headers


@pytest.fixture
def limited(make_auth_app):
    """``limited(plugins=[...], **limits)``: an app with rate limits on and these auth limits;
    login's own per-(IP, account) limit is lifted unless given, so only the budget under test acts."""

    def build(plugins=(), **limits):
        return make_auth_app(
            {"limits": {"login": "1000/minute", **limits}}, plugins=plugins, rate_limits=True
        )

    return build


def sessions_of(client, token):
    response = call(client, "GET", PROBE, token=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["sessions"]


def other_session_id(client, token):
    (other,) = [s["id"] for s in sessions_of(client, token) if not s["current"]]
    return other


def recheck(client, route, token, password, other=None):
    """One request to a route that checks the password of the user of ``token``; ``other`` is the
    id of another session of theirs (for ``delete-session``)."""
    if route == "password":
        body = {"current_password": password, "new_password": NEW_PASSWORD}
        return call(client, "POST", "/api/auth/password", body, token=token)
    if route == "logout-all":
        return call(client, "POST", "/api/auth/logout-all", {"password": password}, token=token)
    if route == "delete-account":
        return call(client, "DELETE", "/api/user", {"password": password}, token=token)
    return call(client, "DELETE", f"/api/auth/sessions/{other}", {"password": password}, token=token)


def alice_with_two_sessions(app):
    """Alice, signed in twice: ``(client, account, other)`` where ``other`` is the second session's id."""
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice", ip="198.51.100.1")
    signin(client, "alice", ip="198.51.100.2")
    return client, account, other_session_id(client, account.access)


# point 3: one budget of wrong passwords per account ------------------------------------------------


@pytest.mark.parametrize("route", RECHECKS)
def test_wrong_passwords_on_a_recheck_route_spend_the_login_budget(limited, route):
    app = limited(login_account_failures="3/hour")
    client, account, other = alice_with_two_sessions(app)
    statuses = [recheck(client, route, account.access, WRONG, other).status_code for _ in range(3)]
    assert statuses == [401] * 3
    # The account's budget is spent: login refuses even the right password, from a new IP ...
    assert_limited(login(client, "alice", PASSWORD, ip="203.0.113.50"))
    # ... and so does the route itself, without doing anything.
    assert_limited(recheck(client, route, account.access, PASSWORD, other))
    # (a change or logout-all would have ended the other session, a delete every one)
    assert len(sessions_of(client, account.access)) == 2


@pytest.mark.parametrize("route", RECHECKS)
def test_failed_logins_spend_the_budget_of_the_recheck_routes(limited, route):
    app = limited(login_account_failures="2/hour")
    client, account, other = alice_with_two_sessions(app)
    assert [login(client, "alice", WRONG, ip=f"203.0.113.{i}").status_code for i in (1, 2)] == [401, 401]
    assert_limited(recheck(client, route, account.access, PASSWORD, other))
    assert len(sessions_of(client, account.access)) == 2


def test_one_budget_for_login_and_all_four_routes_together(limited):
    app = limited(login_account_failures="5/hour")
    client, account, other = alice_with_two_sessions(app)
    assert login(client, "alice", WRONG, ip="203.0.113.1").status_code == 401
    for route in RECHECKS[:3]:
        assert recheck(client, route, account.access, WRONG, other).status_code == 401, route
    # Four spent; the fifth wrong one is still answered, the sixth attempt of any kind is not.
    assert recheck(client, "delete-session", account.access, WRONG, other).status_code == 401
    for route in RECHECKS:
        assert_limited(recheck(client, route, account.access, PASSWORD, other))
    assert_limited(login(client, "alice", PASSWORD, ip="203.0.113.2"))


def test_the_budget_is_per_account(limited):
    app = limited(login_account_failures="2/hour")
    client, account, _ = alice_with_two_sessions(app)
    bob = signup(client, "bob", ip="198.51.100.9")
    for _ in range(2):
        assert recheck(client, "logout-all", account.access, WRONG).status_code == 401
    assert_limited(login(client, "alice", PASSWORD, ip="203.0.113.1"))
    assert recheck(client, "password", bob.access, PASSWORD).status_code == 204
    assert login(client, "bob", NEW_PASSWORD, ip="203.0.113.1").status_code == 200


def test_right_passwords_on_the_recheck_routes_do_not_spend_the_budget(limited):
    app = limited(login_account_failures="2/hour")
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice", ip="198.51.100.1")
    for i in range(3):
        signin(client, "alice", ip=f"198.51.100.{i + 2}")
        other = other_session_id(client, account.access)
        assert recheck(client, "delete-session", account.access, PASSWORD, other).status_code == 204
    assert login(client, "alice", PASSWORD, ip="203.0.113.1").status_code == 200


def test_a_wrong_password_on_a_recheck_route_is_logged_as_a_failed_login(limited):
    app = limited()
    client, account, other = alice_with_two_sessions(app)
    for route in RECHECKS:
        assert recheck(client, route, account.access, WRONG, other).status_code == 401
    response = call(client, "GET", "/api/auth/activity", token=account.access)
    types = [event["type"] for event in response.get_json()["events"]]
    assert types.count("login_failed") == 4, types
    assert "logout_all" not in types and "password_changed" not in types


def test_the_verify_password_hook_spends_the_budget_too(limited):
    # A plugin that asks for the password again must not become an unlimited oracle.
    app = limited(plugins=[Whoami()], login_account_failures="2/hour")
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice", ip="198.51.100.1")

    def hook(password):
        body = {"user_id": account.id, "password": password}
        return call(client, "POST", "/api/whoami/verify-password", body, token=account.access)

    assert [hook(WRONG).get_json()["answer"] for _ in range(2)] == [False, False]
    assert_limited(login(client, "alice", PASSWORD, ip="203.0.113.1"))
    assert_limited(hook(PASSWORD))


# point 3: a limit per session ------------------------------------------------------------------------


@pytest.mark.parametrize("route", RECHECKS)
def test_password_checks_are_limited_per_session(limited, route):
    app = limited(password_check="2/minute")
    client, account, other = alice_with_two_sessions(app)
    assert [recheck(client, route, account.access, WRONG, other).status_code for _ in range(2)] == [401, 401]
    # The session's checks are spent: even the right password is refused, and nothing happens.
    assert_limited(recheck(client, route, account.access, PASSWORD, other))
    assert len(sessions_of(client, account.access)) == 2
    # Another session of the account still may (the account budget is far from spent).
    second = signin(client, "alice", ip="198.51.100.3")
    response = recheck(client, route, second.access, PASSWORD, other)
    assert response.status_code == 204, response.get_data(as_text=True)


def test_the_password_check_limit_defaults_to_5_per_minute(limited):
    app = limited()
    client, account, _ = alice_with_two_sessions(app)
    assert [recheck(client, "logout-all", account.access, WRONG).status_code for _ in range(5)] == [401] * 5
    response = recheck(client, "logout-all", account.access, PASSWORD)
    assert_limited(response)
    assert response.headers["RateLimit-Limit"] == "5"


def test_ending_this_session_needs_no_password_and_is_not_limited(limited):
    app = limited(password_check="1/minute")
    client, account, _ = alice_with_two_sessions(app)
    assert recheck(client, "logout-all", account.access, WRONG).status_code == 401
    assert_limited(recheck(client, "logout-all", account.access, PASSWORD))
    current = next(s["id"] for s in sessions_of(client, account.access) if s["current"])
    assert call(client, "DELETE", f"/api/auth/sessions/{current}", token=account.access).status_code == 204


# point 6: verification mail per account ------------------------------------------------------------


def request_verification(client, token):
    return post(client, "/api/auth/verify-email", token=token)


def test_25_verification_requests_send_only_the_default_3_mails(limited, mail_dir):
    app = limited()
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice", ip="198.51.100.1")
    statuses = [request_verification(client, account.access).status_code for _ in range(25)]
    assert statuses == [202] * 3 + [429] * 22
    assert_limited(request_verification(client, account.access))
    wait_for_mails(mail_dir, 3)
    assert len([m for m in mails(mail_dir) if "alice@example.com" in str(m["To"])]) == 3


def test_verification_mail_is_limited_per_account_not_per_session_or_ip(limited, mail_dir):
    app = limited(verify_email_account="2/hour")
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice", ip="198.51.100.1")
    second = signin(client, "alice", ip="198.51.100.2")
    assert request_verification(client, account.access).status_code == 202
    assert (
        call(client, "POST", "/api/auth/verify-email", token=second.access, ip="203.0.113.9").status_code
        == 202
    )
    assert_limited(call(client, "POST", "/api/auth/verify-email", token=second.access, ip="203.0.113.10"))
    # Another account has its own count.
    bob = signup(client, "bob", ip="198.51.100.3")
    assert request_verification(client, bob.access).status_code == 202
    wait_for_mails(mail_dir, 4)  # and the notice of alice's sign-in from another address
    assert [m["Subject"] for m in mails(mail_dir)].count(VERIFICATION) == 3


# point 7: the login key is the account -------------------------------------------------------------


def test_the_username_and_the_email_of_one_account_share_one_login_budget(limited):
    app = limited(login="3/minute")
    client = app.test_client(use_cookies=False)
    assert register(client, "Alice", ip="198.51.100.1").status_code == 201
    assert register(client, "bob", ip="198.51.100.2").status_code == 201
    typed = ["alice", "alice@example.com", "ALICE@Example.com"]
    assert [login(client, name, WRONG, ip="203.0.113.1").status_code for name in typed] == [401] * 3
    assert_limited(login(client, "Alice", PASSWORD, ip="203.0.113.1"))
    assert_limited(login(client, "alice@example.com", PASSWORD, ip="203.0.113.1"))
    # Another account from that IP, and this account from another IP, are not limited.
    assert login(client, "bob@example.com", PASSWORD, ip="203.0.113.1").status_code == 200
    assert login(client, "alice@example.com", PASSWORD, ip="203.0.113.2").status_code == 200


def test_the_login_budget_of_an_account_is_one_for_an_ipv6_client_s_64(limited):
    app = limited(login="2/minute")
    client = app.test_client(use_cookies=False)
    assert register(client, "alice", ip="198.51.100.1").status_code == 201
    assert login(client, "alice", WRONG, ip="2001:db8:1:2::1").status_code == 401
    assert login(client, "alice@example.com", WRONG, ip="2001:db8:1:2::ab").status_code == 401
    assert_limited(login(client, "alice", PASSWORD, ip="2001:db8:1:2:ffff::9"))
    assert login(client, "alice", PASSWORD, ip="2001:db8:1:3::1").status_code == 200


def test_unknown_logins_are_counted_under_their_normalised_text(limited):
    app = limited(login="2/minute")
    client = app.test_client(use_cookies=False)
    assert [login(client, n, WRONG, ip="203.0.113.1").status_code for n in ("nobody", "NoBody")] == [401, 401]
    assert_limited(login(client, "NOBODY", WRONG, ip="203.0.113.1"))
    assert login(client, "somebody", WRONG, ip="203.0.113.1").status_code == 401
    # The spellings of one unknown address (case, IDNA domain) are one name too.
    spellings = ("nobody@bücher.example", "NOBODY@xn--bcher-kva.example", "nobody@BÜCHER.example")
    assert [login(client, n, WRONG, ip="203.0.113.2").status_code for n in spellings[:2]] == [401, 401]
    assert_limited(login(client, spellings[2], WRONG, ip="203.0.113.2"))


# through a real gunicorn: the budget is one across workers ---------------------------------------


@pytest.fixture
def server(database_url, tmp_path):
    port = free_port()
    config = write_toml(
        tmp_path / "config.toml",
        {
            "site": {"url": f"http://127.0.0.1:{port}", "static_dir": ""},
            "rate_limits": {"enabled": True, "storage": "memory://", "default": "10000/minute"},
            "plugins": {
                "enabled": ["auth"],
                "auth": {
                    "bcrypt_rounds": 4,
                    "jwt_key": JWT_KEY,
                    "cookie_secure": False,
                    "mail_backend": "file",
                    "mail_dir": str(tmp_path / "mail"),
                    "limits": {
                        "login": "1000/minute",
                        "login_account_failures": "5/hour",
                        "password_check": "1000/minute",
                    },
                },
            },
        },
    )
    env = {"ANNEX_DATABASE_URL": database_url, "ANNEX_SECRET_KEY": "gunicorn-test-secret-" + "x" * 40}
    running = start_gunicorn(config, tmp_path, env=env, port=port, workers=2)
    try:
        yield running
    finally:
        running.stop()


def test_login_and_the_four_routes_share_one_budget_across_gunicorn_workers(server):
    def send(method, path, body=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status, data, response = server.request(method, path, body, headers)
        return status, data, response

    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    status, account, _ = send("POST", "/api/auth/register", body)
    assert status == 201, account
    token = account["access_token"]
    assert send("POST", "/api/auth/login", {"username": "alice", "password": PASSWORD})[0] == 200
    status, listing, _ = send("GET", PROBE, token=token)
    (other,) = [s["id"] for s in listing["sessions"] if not s["current"]]

    def wrong_and_right(password):
        """Each route once, in order: login, then the four re-authentications."""
        return [
            send("POST", "/api/auth/login", {"username": "alice@example.com", "password": password}),
            send(
                "POST",
                "/api/auth/password",
                {"current_password": password, "new_password": NEW_PASSWORD},
                token,
            ),
            send("POST", "/api/auth/logout-all", {"password": password}, token),
            send("DELETE", "/api/user", {"password": password}, token),
            send("DELETE", f"/api/auth/sessions/{other}", {"password": password}, token),
        ]

    # One wrong password on each of the five (a new connection each: either worker may answer).
    assert [status for status, _, _ in wrong_and_right(WRONG)] == [401] * 5
    for status, data, response in wrong_and_right(PASSWORD):
        assert (status, data["error"]["code"]) == (429, "rate_limited"), data
        assert int(response.getheader("Retry-After")) >= 1
    # Nothing was done: the account and both sessions are still there, the password unchanged.
    status, listing, _ = send("GET", PROBE, token=token)
    assert status == 200 and len(listing["sessions"]) == 2
