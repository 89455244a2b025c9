"""Rate limits of the auth routes ([plugins.auth.limits]), keyed as api.md says, with headers."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    assert_error,
    login,
    post,
    refresh,
    register,
    signup,
    wait_for_mails,
)

RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
WRONG = "wrong-Password-99"


def assert_limited(response):
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    for name in RATE_HEADERS:
        assert name in response.headers, name


@pytest.fixture
def limited(make_auth_app):
    """``limited(**limits)``: an app with rate limits on and the given auth limits."""

    def build(**limits):
        return make_auth_app({"limits": limits}, rate_limits=True)

    return build


def seed(app, *names):
    """Create accounts with the limits of ``app`` not counting (another IP per account)."""
    client = app.test_client(use_cookies=False)
    for i, name in enumerate(names):
        assert register(client, name, ip=f"198.51.100.{i + 1}").status_code == 201
    return client


# login -------------------------------------------------------------------------------------------------


def test_login_is_limited_per_ip_and_username(limited):
    app = limited(login="3/minute")
    client = seed(app, "alice", "bob")
    assert [login(client, "alice", WRONG, ip="203.0.113.1").status_code for _ in range(3)] == [401] * 3
    assert_limited(login(client, "alice", PASSWORD, ip="203.0.113.1"))
    # Another username from that IP, and that username from another IP, are not limited.
    assert login(client, "bob", PASSWORD, ip="203.0.113.1").status_code == 200
    assert login(client, "alice", PASSWORD, ip="203.0.113.2").status_code == 200


def test_the_longest_login_names_are_counted_and_answered(limited):
    # The limit's key holds the login name: the longest valid address (254 characters) must log
    # in, and wrong passwords for such names must be counted like any other, on every database.
    app = limited(login="2/minute")
    client = app.test_client(use_cookies=False)
    address = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 61])
    assert len(address) == 254
    assert register(client, "alice", email=address).status_code == 201
    assert login(client, address, PASSWORD).status_code == 200
    other = address[:-1] + "e"
    assert [login(client, other, WRONG).status_code for _ in range(2)] == [401, 401]
    assert_limited(login(client, other, WRONG))
    # Names alike in all but their last character are counted apart.
    assert login(client, address, PASSWORD).status_code == 200


def test_the_login_limit_defaults_to_5_per_minute(limited):
    app = limited()
    client = seed(app, "alice")
    assert [login(client, "alice", WRONG, ip="203.0.113.1").status_code for _ in range(5)] == [401] * 5
    response = login(client, "alice", WRONG, ip="203.0.113.1")
    assert_limited(response)
    assert response.headers["RateLimit-Limit"] == "5"


def test_login_responses_carry_ratelimit_headers(limited):
    app = limited(login="3/minute")
    client = seed(app, "alice")
    for status, password in ((200, PASSWORD), (401, WRONG)):
        response = login(client, "alice", password, ip="203.0.113.1")
        assert response.status_code == status
        for name in RATE_HEADERS:
            assert name in response.headers, name


def test_login_is_limited_per_ip_over_all_usernames(limited):
    app = limited(login_ip="3/minute")
    client = seed(app, "alice")
    statuses = [login(client, f"user{i}", WRONG, ip="203.0.113.1").status_code for i in range(3)]
    assert statuses == [401] * 3
    assert_limited(login(client, "alice", PASSWORD, ip="203.0.113.1"))
    assert login(client, "alice", PASSWORD, ip="203.0.113.2").status_code == 200


def test_failed_logins_are_limited_per_account_from_any_ip(limited):
    app = limited(login_account_failures="3/hour")
    client = seed(app, "alice", "bob")
    statuses = [login(client, "alice", WRONG, ip=f"203.0.113.{i}").status_code for i in range(1, 4)]
    assert statuses == [401] * 3
    assert_limited(login(client, "alice", WRONG, ip="203.0.113.99"))
    # Other accounts are not affected.
    assert login(client, "bob", PASSWORD, ip="203.0.113.99").status_code == 200


def test_a_429_reports_the_exhausted_limit_in_its_headers(limited):
    # RateLimit-* on a refusal describe the limit that refused it: nothing remains of it.
    app = limited(login_account_failures="3/hour")
    client = seed(app, "alice")
    for i in range(1, 4):
        login(client, "alice", WRONG, ip=f"203.0.113.{i}")
    response = login(client, "alice", WRONG, ip="203.0.113.99")
    assert_limited(response)
    assert (response.headers["RateLimit-Limit"], response.headers["RateLimit-Remaining"]) == ("3", "0")


def test_a_429_of_the_login_limit_reports_it(limited):
    app = limited(login="3/minute")
    client = seed(app, "alice")
    for _ in range(3):
        login(client, "alice", WRONG, ip="203.0.113.1")
    response = login(client, "alice", WRONG, ip="203.0.113.1")
    assert_limited(response)
    assert (response.headers["RateLimit-Limit"], response.headers["RateLimit-Remaining"]) == ("3", "0")


def test_failed_logins_per_account_count_the_email_form_too(limited):
    app = limited(login_account_failures="2/hour")
    client = seed(app, "alice")
    assert login(client, "alice", WRONG, ip="203.0.113.1").status_code == 401
    assert login(client, "alice@example.com", WRONG, ip="203.0.113.2").status_code == 401
    assert_limited(login(client, "alice", WRONG, ip="203.0.113.3"))


def test_successful_logins_do_not_count_as_failures(limited):
    app = limited(login_account_failures="2/hour")
    client = seed(app, "alice")
    statuses = [login(client, "alice", PASSWORD, ip=f"203.0.113.{i}").status_code for i in range(1, 5)]
    assert statuses == [200] * 4


# register ----------------------------------------------------------------------------------------------


def test_register_is_limited_per_ip(limited):
    app = limited(register="2/hour")
    client = app.test_client(use_cookies=False)
    assert register(client, "user1", ip="203.0.113.1").status_code == 201
    assert register(client, "user2", ip="203.0.113.1").status_code == 201
    assert_limited(register(client, "user3", ip="203.0.113.1"))
    assert register(client, "user3", ip="203.0.113.2").status_code == 201


def test_a_refused_registration_creates_nothing(limited):
    app = limited(register="1/hour")
    client = app.test_client(use_cookies=False)
    register(client, "user1", ip="203.0.113.1")
    assert_limited(register(client, "user2", ip="203.0.113.1"))
    assert login(client, "user2", PASSWORD, ip="203.0.113.5").status_code == 401


# refresh ---------------------------------------------------------------------------------------------


def test_refresh_is_limited_per_ip(limited):
    app = limited(refresh="2/minute")
    client = app.test_client(use_cookies=False)
    account = signup(client, ip="203.0.113.1")
    token = account.refresh
    for _ in range(2):
        response = refresh(client, token, ip="203.0.113.1")
        assert response.status_code == 200
        token = response.get_json()["refresh_token"]
    assert_limited(refresh(client, token, ip="203.0.113.1"))
    assert refresh(client, token, ip="203.0.113.2").status_code == 200


# password reset -----------------------------------------------------------------------------------------


def request_reset(client, address, ip):
    return post(client, "/api/auth/password-reset", {"email": address}, ip=ip)


def test_password_reset_is_limited_per_ip(limited):
    app = limited(password_reset="2/hour")
    client = seed(app, "alice")
    assert request_reset(client, "a@example.com", "203.0.113.1").status_code == 202
    assert request_reset(client, "b@example.com", "203.0.113.1").status_code == 202
    assert_limited(request_reset(client, "c@example.com", "203.0.113.1"))
    assert request_reset(client, "c@example.com", "203.0.113.2").status_code == 202


def test_password_reset_is_limited_per_email_address(limited, mail_dir):
    app = limited(password_reset_account="2/hour")
    client = seed(app, "alice", "bob")
    assert request_reset(client, "alice@example.com", "203.0.113.1").status_code == 202
    assert request_reset(client, "alice@example.com", "203.0.113.2").status_code == 202
    assert_limited(request_reset(client, "alice@example.com", "203.0.113.3"))
    assert_limited(request_reset(client, "ALICE@example.com", "203.0.113.4"))
    assert request_reset(client, "bob@example.com", "203.0.113.3").status_code == 202
    sent = wait_for_mails(mail_dir, 3)  # two to alice, one to bob
    assert len([m for m in sent if "alice@example.com" in str(m["To"])]) == 2


def test_password_reset_per_address_limit_applies_to_unknown_addresses_too(limited):
    # Otherwise the 429 would tell which addresses have an account.
    app = limited(password_reset_account="1/hour")
    client = seed(app, "alice")
    assert request_reset(client, "nobody@example.com", "203.0.113.1").status_code == 202
    assert_limited(request_reset(client, "nobody@example.com", "203.0.113.2"))


# switches and keys -------------------------------------------------------------------------------------


def test_rate_limits_disabled_turns_the_auth_limits_off(make_auth_app):
    app = make_auth_app({"limits": {"login": "1/minute", "register": "1/hour"}}, rate_limits=False)
    client = app.test_client(use_cookies=False)
    assert [register(client, f"user{i}", ip="203.0.113.1").status_code for i in range(3)] == [201] * 3
    assert [login(client, "user1", WRONG, ip="203.0.113.1").status_code for _ in range(3)] == [401] * 3


def test_the_default_limit_applies_to_auth_routes_too(make_auth_app):
    app = make_auth_app(config={"rate_limits": {"default": "2/minute"}}, rate_limits=True)
    client = app.test_client(use_cookies=False)
    assert login(client, "x", WRONG, ip="203.0.113.1").status_code == 401
    assert login(client, "y", WRONG, ip="203.0.113.1").status_code == 401
    assert_limited(login(client, "z", WRONG, ip="203.0.113.1"))


def test_forwarded_for_is_ignored_without_trusted_proxies(limited):
    app = limited(register="1/hour")
    client = app.test_client(use_cookies=False)
    assert register(client, "user1", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 201
    assert_limited(register(client, "user2", headers={"X-Forwarded-For": "198.51.100.2"}))


def test_forwarded_for_from_a_trusted_proxy_is_the_client_ip(make_auth_app):
    app = make_auth_app(
        {"limits": {"register": "1/hour"}}, config={"security": {"trusted_proxies": 1}}, rate_limits=True
    )
    client = app.test_client(use_cookies=False)
    assert register(client, "user1", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 201
    assert register(client, "user2", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 201
    assert_limited(register(client, "user3", headers={"X-Forwarded-For": "198.51.100.2"}))
