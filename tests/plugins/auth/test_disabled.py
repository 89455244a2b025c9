"""Disabled accounts (contract v2, "Auth additions"): ``annex users disable`` ends every session
at once, and every sign-in of the account, whatever the method, is ``403 account_disabled``
until ``annex users enable``."""

from __future__ import annotations

import pytest

from core import find_account
from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    assert_error,
    assert_refused,
    assert_token_refused,
    csrf_headers,
    https_client,
    link_token,
    login,
    mails,
    post,
    probe,
    refresh,
    run_parallel,
    signin,
    signup,
    wait_for_mails,
)
from tests.testplugins import signin_method

PIN = "2468"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(plugins=[signin_method])


def users(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def disable(app, name="alice"):
    result = users(app, "disable", name)
    assert result.exit_code == 0, result.output
    return result


def magic(client, address="alice@example.com"):
    return post(client, "/api/magic/signin", {"email": address, "code": "424242"})


def test_disabling_ends_every_session_at_once(app, client):
    first = signup(client, "alice")
    second = signin(client, "alice")
    bob = signup(client, "bob")
    assert "ended 2 session(s)" in disable(app).output
    for session in (first, second):
        assert_token_refused(probe(client, session.access), "token_revoked")
        assert_error(refresh(client, session.refresh), 403, "account_disabled")
    assert probe(client, bob.access).status_code == 200


def test_the_refresh_cookie_of_a_disabled_account_is_refused_too(app):
    browser = https_client(app)
    signup(browser, "alice")
    disable(app)
    response = post(browser, "/api/auth/refresh", headers=csrf_headers(browser))
    assert_error(response, 403, "account_disabled")
    assert "access_token" not in (response.get_json() or {})


def test_the_right_password_is_403_and_a_wrong_one_stays_401(app, client):
    signup(client, "alice")
    disable(app)
    response = login(client, "alice")
    assert_error(response, 403, "account_disabled")
    assert not response.headers.getlist("Set-Cookie")
    assert_error(login(client, "alice@example.com"), 403, "account_disabled")
    assert_error(login(client, "alice", "wrong-password-1"), 401, "invalid_credentials")


def test_another_method_through_core_sign_in_is_403(app, client):
    assert magic(client).status_code == 200  # signs alice up by magic code
    disable(app)
    response = magic(client)
    assert_error(response, 403, "account_disabled")
    assert "access_token" not in response.get_json()


def test_a_user_with_a_second_factor_gets_no_challenge(app, client):
    alice = signup(client, "alice")
    assert post(client, "/api/magic/pin", {"pin": PIN}, token=alice.access).status_code == 204
    assert_error(login(client, "alice"), 401, "mfa_required")
    disable(app)
    assert_error(login(client, "alice"), 403, "account_disabled")


def test_a_challenge_opened_before_disabling_cannot_finish(app, client):
    alice = signup(client, "alice")
    assert post(client, "/api/magic/pin", {"pin": PIN}, token=alice.access).status_code == 204
    mfa_token = login(client, "alice").get_json()["error"]["mfa"]["token"]
    disable(app)
    response = post(client, "/api/auth/mfa", {"mfa_token": mfa_token, "factor": "pin", "code": PIN})
    assert (response.status_code, response.get_json()["error"]["code"]) in {
        (403, "account_disabled"),
        (400, "invalid_token"),  # disabling ended the challenge itself
    }
    assert "access_token" not in response.get_json()


def test_enabling_lets_it_sign_in_again_and_old_sessions_stay_ended(app, client):
    old = signup(client, "alice")
    disable(app)
    result = users(app, "enable", "alice")
    assert result.exit_code == 0, result.output
    assert "enabled alice" in result.output
    assert probe(client, signin(client, "alice").access).status_code == 200
    assert magic(client).status_code == 200
    assert_refused(refresh(client, old.refresh), "token_revoked")


def test_disable_and_enable_find_the_user_as_delete_does(app, client):
    signup(client, "alice")
    assert users(app, "disable", "ALICE@example.com").exit_code == 0
    assert_error(login(client, "alice"), 403, "account_disabled")
    assert users(app, "enable", "Alice").exit_code == 0
    assert login(client, "alice").status_code == 200
    for command in ("disable", "enable"):
        result = users(app, command, "nobody")
        assert result.exit_code != 0
        assert "no user nobody" in result.output


def test_find_account_says_disabled(app, client):
    signup(client, "alice")
    with app.app_context():
        assert find_account("alice@example.com")["disabled"] is False
    disable(app)
    with app.app_context():
        found = find_account("Alice@Example.com")
    assert (found["username"], found["disabled"]) == ("alice", True)
    assert "password_hash" not in found


def test_a_disabled_account_is_mailed_no_reset_link(app, client, mail_dir):
    signup(client, "alice")
    disable(app)
    assert post(client, "/api/auth/password-reset", {"email": "alice@example.com"}).status_code == 202
    assert post(client, "/api/auth/password-reset", {"email": "nobody@example.com"}).status_code == 202
    assert mails(mail_dir) == []


def test_links_mailed_before_disabling_stop_working(app, client, mail_dir):
    alice = signup(client, "alice")
    assert post(client, "/api/auth/password-reset", {"email": "alice@example.com"}).status_code == 202
    reset = link_token(wait_for_mails(mail_dir, 1)[-1])
    changing = post(client, "/api/auth/email", {"new_email": "new@example.com"}, token=alice.access)
    assert changing.status_code == 202
    changed = link_token([m for m in wait_for_mails(mail_dir, 3) if m["To"] == "new@example.com"][-1])
    disable(app)
    body = {"token": reset, "new_password": NEW_PASSWORD}
    assert_error(post(client, "/api/auth/password-reset/confirm", body), 400, "invalid_token")
    assert_error(post(client, "/api/auth/email/confirm", {"token": changed}), 400, "invalid_token")
    users(app, "enable", "alice")
    assert signin(client, "alice", PASSWORD).user["email"] == "alice@example.com"


def test_no_sign_in_racing_the_disable_keeps_a_session(app, client):
    signup(client, "alice")

    def work(i):
        if i == 0:
            return disable(app)
        return login(client, "alice")

    results = run_parallel(6, work)
    for response in results[1:]:
        assert response.status_code in (200, 403), response.get_data(as_text=True)
        if response.status_code == 200:
            assert_token_refused(probe(client, response.get_json()["access_token"]), "token_revoked")
    assert_error(login(client, "alice"), 403, "account_disabled")


def test_a_built_in_method_is_refused_in_the_same_place(make_auth_app, mail_dir):
    """The emaillink plugin signs in through core.sign_in: a link mailed before the disable is
    refused after it, and a disabled account is mailed no new one."""
    app = make_auth_app(config={"plugins": {"enabled": ["auth", "emaillink"]}})
    client = app.test_client(use_cookies=False)
    signup(client, "alice")
    assert post(client, "/api/emaillink", {"email": "alice@example.com"}).status_code == 202
    token = link_token(wait_for_mails(mail_dir, 1)[-1])
    disable(app)
    response = post(client, "/api/emaillink/confirm", {"token": token})
    assert_error(response, 403, "account_disabled")
    assert "access_token" not in response.get_json()
    assert post(client, "/api/emaillink", {"email": "alice@example.com"}).status_code == 202
    assert len(mails(mail_dir)) == 1
