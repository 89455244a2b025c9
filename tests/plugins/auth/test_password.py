"""POST /api/auth/password: change the password, end the other sessions, keep this one."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    CSRF,
    NEW_PASSWORD,
    PASSWORD,
    assert_error,
    assert_refused,
    assert_token_refused,
    csrf_headers,
    field_errors,
    login,
    post,
    probe,
    refresh,
    set_cookies,
    signin,
    signup,
)


def change(client, token, current=PASSWORD, new=NEW_PASSWORD, **kwargs):
    return post(
        client,
        "/api/auth/password",
        {"current_password": current, "new_password": new},
        token=token,
        **kwargs,
    )


@pytest.fixture
def account(client):
    return signup(client, "alice")


def test_changing_the_password_answers_204_and_swaps_the_password(client, account):
    response = change(client, account.access)
    assert response.status_code == 204
    assert_error(login(client, "alice", PASSWORD), 401, "invalid_credentials")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_changing_the_password_revokes_every_other_session(client, account):
    others = [signin(client, "alice") for _ in range(2)]
    assert change(client, account.access).status_code == 204
    for other in others:
        assert_token_refused(probe(client, other.access), "token_revoked")
        assert_refused(refresh(client, other.refresh), "token_revoked")


def test_changing_the_password_keeps_the_current_session(client, account):
    assert change(client, account.access).status_code == 204
    assert probe(client, account.access).status_code == 200
    assert refresh(client, account.refresh).status_code == 200


def test_other_users_are_not_affected(client, account):
    bob = signup(client, "bob")
    assert change(client, account.access).status_code == 204
    assert probe(client, bob.access).status_code == 200
    assert login(client, "bob", PASSWORD).status_code == 200


def test_a_wrong_current_password_is_401_and_changes_nothing(client, account):
    other = signin(client, "alice")
    response = change(client, account.access, current="wrong-Password-99")
    assert_error(response, 401, "invalid_credentials")
    assert login(client, "alice", PASSWORD).status_code == 200
    assert login(client, "alice", NEW_PASSWORD).status_code == 401
    assert probe(client, other.access).status_code == 200


@pytest.mark.parametrize(
    "new",
    ["short", "password123", "alice@example.com", "x" * 1025, "e\u0301" * 4 + "Zq9"],
    ids=["short", "common", "email", "too-long", "short-after-nfkc"],
)
def test_the_new_password_follows_the_register_rules(client, account, new):
    fields = field_errors(change(client, account.access, new=new))
    assert "new_password" in fields
    assert login(client, "alice", PASSWORD).status_code == 200


def test_the_new_password_may_not_equal_the_username(client):
    account = signup(client, "longusername1")
    assert "new_password" in field_errors(change(client, account.access, new="longusername1"))


def test_the_new_password_is_not_truncated_at_72_bytes(client, account):
    prefix = "Zz9#" * 18
    assert change(client, account.access, new=prefix + "tail-one-AAAA").status_code == 204
    assert login(client, "alice", prefix + "tail-two-BBBB").status_code == 401
    assert login(client, "alice", prefix + "tail-one-AAAA").status_code == 200


def test_unknown_fields_are_422(client, account):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "user_id": 2}
    assert "user_id" in field_errors(post(client, "/api/auth/password", body, token=account.access))


def test_changing_the_password_needs_authentication(client, account):
    response = post(
        client, "/api/auth/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert_error(response, 401, "unauthorized")
    assert login(client, "alice", PASSWORD).status_code == 200


def test_a_browser_changes_the_password_with_csrf_and_stays_logged_in(browser):
    signup(browser, "alice")
    response = post(
        browser,
        "/api/auth/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=csrf_headers(browser),
    )
    assert response.status_code == 204
    assert browser.get("/api/auth/sessions").status_code == 200
    # If the response replaces the cookies, it replaces all three consistently.
    cookies = set_cookies(response)
    if cookies:
        assert CSRF in cookies
