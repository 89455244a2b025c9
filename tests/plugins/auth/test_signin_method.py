"""A third party's sign-in method (tests/testplugins/signin_method.py) has login's power: its
sign-in answers exactly like ``POST /api/auth/login``, and accounts it makes have no password."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    COOKIES,
    DEVICE,
    PASSWORD,
    assert_error,
    call,
    claims_of,
    https_client,
    login,
    post,
    probe,
    set_cookies,
    signup,
)
from tests.testplugins import signin_method

MAGIC = "424242"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(plugins=[signin_method])


def magic(client, email, code=MAGIC, **extra):
    return post(client, "/api/magic/signin", {"email": email, "code": code, **extra})


def test_magic_sign_in_answers_like_login(app):
    signup(app.test_client(use_cookies=False), "alice")
    by_password, by_magic = https_client(app), https_client(app)
    password_answer = login(by_password, "alice")
    magic_answer = magic(by_magic, "Alice@Example.com")
    assert magic_answer.status_code == password_answer.status_code == 200
    assert set(magic_answer.get_json()) == set(password_answer.get_json())
    assert magic_answer.get_json()["user"] == password_answer.get_json()["user"]
    magic_cookies, password_cookies = set_cookies(magic_answer), set_cookies(password_answer)
    assert set(magic_cookies) == set(password_cookies) == {*COOKIES, DEVICE}
    for name in COOKIES:
        assert magic_cookies[name].attributes.keys() == password_cookies[name].attributes.keys()
    claims = claims_of(magic_answer.get_json()["access_token"])
    assert claims["amr"] == ["magic"]
    assert set(claims) == set(claims_of(password_answer.get_json()["access_token"]))
    assert probe(by_magic, magic_answer.get_json()["access_token"]).status_code == 200


def test_a_wrong_magic_code_is_refused(client):
    assert_error(magic(client, "alice@example.com", code="000000"), 401, "invalid_credentials")


def test_an_unknown_address_gets_an_account_without_password(client, mail_dir):
    response = magic(client, "Ada.Lovelace+annex@Example.com")
    assert response.status_code == 200, response.get_data(as_text=True)
    user = response.get_json()["user"]
    assert user["email"] == "ada.lovelace+annex@example.com"
    assert user["username"] == "ada.lovelaceannex"  # the local part, "+" dropped
    assert user["email_verified"] is True and user["roles"] == ["member"]
    # password login fails as for anyone: the account has no password
    for attempt in (PASSWORD, "anything-at-all-1"):
        assert_error(login(client, user["email"], attempt), 401, "invalid_credentials")
    # a second sign-in finds the same account
    assert magic(client, "ada.lovelace+annex@example.com").get_json()["user"]["id"] == user["id"]
    activity = call(client, "GET", "/api/auth/activity", token=response.get_json()["access_token"])
    assert [event["type"] for event in activity.get_json()["events"]][-1] == "register"


def test_usernames_made_from_addresses_are_free_and_valid(client):
    signup(client, "bob")
    made = magic(client, "bob@elsewhere.example").get_json()["user"]
    assert made["username"] == "bob2"
    short = magic(client, "x@example.org").get_json()["user"]
    assert short["username"] == "xuser"


def test_account_events_reach_the_activity(client):
    account = signup(client, "alice")
    assert post(client, "/api/magic/pin", {"pin": "1234"}, token=account.access).status_code == 204
    events = call(client, "GET", "/api/auth/activity", token=account.access).get_json()["events"]
    assert events[0]["type"] == "pin_enabled"


def test_core_helpers_answer_for_auth(app, client):
    from core import end_sessions, find_account, sign_in_methods

    account = signup(client, "alice")
    other = post(client, "/api/auth/login", {"username": "alice", "password": PASSWORD}).get_json()
    with app.test_request_context():
        found = find_account("ALICE@example.com")
        assert found["id"] == account.id and "password_hash" not in found
        assert find_account("nobody@example.com") is None
        assert sign_in_methods(account.id) == ["password"]
        assert end_sessions(account.id, keep_current=False) == 2
    for token in (account.access, other["access_token"]):
        assert_error(probe(client, token), 401, "token_revoked")


def test_the_ways_to_sign_in_say_whether_the_account_has_a_password(client):
    """``GET /api/auth/methods``: one entry per credential from every plugin (the account page
    offers "Set a password" to an account without one)."""
    by_password = signup(client, "alice")
    by_magic = magic(client, "ada@example.com").get_json()["access_token"]
    methods = {token: call(client, "GET", "/api/auth/methods", token=token).get_json()["methods"]
               for token in (by_password.access, by_magic)}  # fmt: skip
    assert methods == {by_password.access: ["password"], by_magic: ["magic"]}
    assert call(client, "GET", "/api/auth/methods").status_code == 401
