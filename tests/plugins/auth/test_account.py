"""DELETE /api/user and GET /api/user/export (served by the auth plugin, which owns accounts)."""

from __future__ import annotations

import json

import pytest

from tests.plugins.auth.conftest import (
    BCRYPT_HASH,
    CSRF,
    PASSWORD,
    Recorder,
    assert_error,
    assert_refused,
    assert_token_refused,
    call,
    cookie_value,
    csrf_headers,
    login,
    probe,
    refresh,
    signin,
    signup,
)


def delete_account(client, token, password=PASSWORD, **kwargs):
    return call(client, "DELETE", "/api/user", {"password": password}, token=token, **kwargs)


def export(client, token):
    return call(client, "GET", "/api/user/export", token=token)


@pytest.fixture
def account(client):
    return signup(client, "alice")


# deleting the account -------------------------------------------------------------------------------


def test_deleting_the_account_answers_204_and_removes_it(client, account):
    response = delete_account(client, account.access)
    assert response.status_code == 204
    assert_error(login(client, "alice"), 401, "invalid_credentials")


def test_every_token_of_a_deleted_account_stops_working(client, account):
    other = signin(client, "alice")
    assert delete_account(client, account.access).status_code == 204
    for session in (account, other):
        assert_token_refused(probe(client, session.access), "token_revoked")
        assert_refused(refresh(client, session.refresh), "token_revoked")


def test_a_wrong_password_is_401_and_keeps_the_account(client, account):
    assert_error(delete_account(client, account.access, "wrong-Password-99"), 401, "invalid_credentials")
    assert probe(client, account.access).status_code == 200
    assert login(client, "alice").status_code == 200


def test_deleting_needs_the_password_field(client, account):
    response = call(client, "DELETE", "/api/user", {}, token=account.access)
    assert response.status_code in (401, 422)
    assert login(client, "alice").status_code == 200


def test_deleting_needs_authentication(client, account):
    assert_error(call(client, "DELETE", "/api/user", {"password": PASSWORD}), 401, "unauthorized")
    assert login(client, "alice").status_code == 200


def test_deleting_one_account_leaves_the_others(client, account):
    bob = signup(client, "bob")
    assert delete_account(client, account.access).status_code == 204
    assert probe(client, bob.access).status_code == 200
    assert login(client, "bob").status_code == 200


def test_user_deleted_hook_is_called_with_the_id(make_auth_app):
    recorder = Recorder()
    client = make_auth_app(plugins=[recorder]).test_client(use_cookies=False)
    account = signup(client)
    assert delete_account(client, account.access).status_code == 204
    assert recorder.deleted == [account.id]


def test_a_refused_deletion_calls_no_hook(make_auth_app):
    recorder = Recorder()
    client = make_auth_app(plugins=[recorder]).test_client(use_cookies=False)
    account = signup(client)
    delete_account(client, account.access, "wrong-Password-99")
    assert recorder.deleted == []


def test_the_name_and_email_of_a_deleted_account_are_free_again(client, account):
    assert delete_account(client, account.access).status_code == 204
    assert signup(client, "alice").id


def test_a_browser_deletes_with_csrf_and_loses_its_cookies(browser):
    signup(browser)
    response = call(browser, "DELETE", "/api/user", {"password": PASSWORD}, headers=csrf_headers(browser))
    assert response.status_code == 204
    assert browser.get("/api/auth/sessions").status_code == 401


def test_deleting_by_cookie_without_csrf_is_403(browser):
    signup(browser)
    assert_error(call(browser, "DELETE", "/api/user", {"password": PASSWORD}), 403, "csrf_failed")
    assert cookie_value(browser, CSRF)
    assert browser.get("/api/auth/sessions").status_code == 200


# export ----------------------------------------------------------------------------------------------


def test_export_has_an_auth_section_about_the_user(client, account):
    response = export(client, account.access)
    assert response.status_code == 200
    data = response.get_json()
    assert "auth" in data
    text = json.dumps(data["auth"])
    assert "alice" in text and "alice@example.com" in text


def test_export_has_a_section_per_plugin_implementing_user_export(make_auth_app):
    client = make_auth_app(plugins=[Recorder()]).test_client(use_cookies=False)
    account = signup(client)
    data = export(client, account.access).get_json()
    assert data["recorder"] == {"user_id": account.id}
    assert "auth" in data


def test_export_never_contains_hashes_or_tokens(client, account):
    other = signin(client, "alice")
    refresh(client, other.refresh)
    response = export(client, account.access)
    text = response.get_data(as_text=True)
    assert not BCRYPT_HASH.search(text)
    assert "$2b$" not in text and "$2a$" not in text
    for secret in (PASSWORD, account.access, account.refresh, other.access, other.refresh):
        assert secret not in text
    for part in (account.access, account.refresh):
        assert part.split(".")[2] not in text  # not even a signature
    assert "password_hash" not in text


def test_export_contains_only_the_users_own_data(client, account):
    signup(client, "bob")
    text = export(client, account.access).get_data(as_text=True)
    assert "bob@example.com" not in text


def test_export_needs_authentication(client, account):
    assert_error(client.get("/api/user/export"), 401, "unauthorized")


def test_export_is_not_cached(client, account):
    assert export(client, account.access).headers["Cache-Control"] == "no-store"
