"""POST /api/auth/login: by username or email, identical failures, re-hash, stored secrets."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    PROBE,
    as_text,
    assert_error,
    call,
    field_errors,
    login,
    post,
    probe,
    signup,
    stored_bcrypt_costs,
    stored_values,
)


def test_login_by_username_answers_200_with_the_token_body(client):
    account = signup(client, "alice")
    response = login(client, "alice")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert body["user"] == account.user
    assert probe(client, body["access_token"]).status_code == 200


def test_login_by_email_works(client):
    signup(client, "alice", email="alice@example.com")
    response = login(client, "alice@example.com")
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "alice"


def test_each_login_opens_a_new_session(client):
    account = signup(client, "alice")
    second = login(client, "alice").get_json()
    assert second["access_token"] != account.access
    sessions = call(client, "GET", PROBE, token=second["access_token"]).get_json()["sessions"]
    assert len(sessions) == 2


def test_login_response_is_not_cached(client):
    signup(client)
    assert login(client).headers["Cache-Control"] == "no-store"


def test_wrong_password_is_401_invalid_credentials(client):
    signup(client, "alice")
    response = login(client, "alice", "wrong-Password-99")
    assert_error(response, 401, "invalid_credentials")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_user_and_wrong_password_are_byte_identical(client):
    signup(client, "alice")
    wrong = login(client, "alice", "wrong-Password-99")
    unknown = login(client, "nobody", "wrong-Password-99")
    unknown_email = login(client, "nobody@example.com", "wrong-Password-99")
    assert wrong.status_code == unknown.status_code == unknown_email.status_code == 401
    assert wrong.get_data() == unknown.get_data() == unknown_email.get_data()
    for name in ("Content-Type", "WWW-Authenticate", "Cache-Control", "Set-Cookie"):
        assert wrong.headers.getlist(name) == unknown.headers.getlist(name), name


def test_unknown_user_costs_as_much_as_a_wrong_password(make_auth_app):
    # At cost 10 one bcrypt check takes tens of milliseconds: an unknown user must pay it too.
    client = make_auth_app({"bcrypt_rounds": 10}).test_client()
    signup(client, "alice")

    def duration(username):
        start = time.perf_counter()
        assert login(client, username, "wrong-Password-99").status_code == 401
        return time.perf_counter() - start

    wrong = statistics.median(duration("alice") for _ in range(5))
    unknown = statistics.median(duration("nobody") for _ in range(5))
    assert unknown > 0.5 * wrong, (
        f"unknown user {unknown * 1000:.1f} ms, wrong password {wrong * 1000:.1f} ms"
    )


def test_a_failed_login_sets_no_cookie(client):
    signup(client, "alice")
    assert login(client, "alice", "wrong-Password-99").headers.getlist("Set-Cookie") == []


def test_the_password_is_checked_exactly(client):
    signup(client, "alice")
    for attempt in (PASSWORD.upper(), PASSWORD + " ", " " + PASSWORD, PASSWORD[:-1], ""):
        assert login(client, "alice", attempt).status_code in (401, 422), attempt
    assert login(client, "alice", PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "alice"},
        {"password": PASSWORD},
        {"username": "alice", "password": PASSWORD, "remember": True},
    ],
)
def test_malformed_login_bodies_are_422(client, body):
    signup(client, "alice")
    assert field_errors(post(client, "/api/auth/login", body))


def test_login_needs_a_json_body(client):
    response = client.post(
        "/api/auth/login", data="username=alice&password=x", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_a_hash_below_the_configured_cost_is_rehashed_at_login(make_auth_app):
    cheap = make_auth_app({"bcrypt_rounds": 4})
    signup(cheap.test_client(), "alice")
    assert stored_bcrypt_costs(cheap) == [4]
    dearer = make_auth_app({"bcrypt_rounds": 5})  # same database
    assert login(dearer.test_client(), "alice").status_code == 200
    assert stored_bcrypt_costs(dearer) == [5]
    assert login(dearer.test_client(), "alice").status_code == 200


def test_concurrent_logins_that_all_rehash_all_succeed(make_auth_app):
    # Each login re-hashes the same stored hash at once: none may wait on another's lock for
    # good (on PostgreSQL two shared locks both upgrading to a write would deadlock: a 503).
    cheap = make_auth_app({"bcrypt_rounds": 4})
    signup(cheap.test_client(), "alice")
    dearer = make_auth_app({"bcrypt_rounds": 5})  # same database
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def one() -> None:
        client = dearer.test_client()
        barrier.wait()
        statuses.append(login(client, "alice").status_code)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6
    assert stored_bcrypt_costs(dearer) == [5]


def test_a_hash_above_the_configured_cost_is_kept_at_login(make_auth_app):
    # Lowering the setting makes new hashes cheaper; it must not weaken the stored ones.
    dearer = make_auth_app({"bcrypt_rounds": 5})
    signup(dearer.test_client(), "alice")
    cheap = make_auth_app({"bcrypt_rounds": 4})  # same database
    assert login(cheap.test_client(), "alice").status_code == 200
    assert stored_bcrypt_costs(cheap) == [5]


def test_a_failed_login_does_not_rehash(make_auth_app):
    cheap = make_auth_app({"bcrypt_rounds": 4})
    signup(cheap.test_client(), "alice")
    dearer = make_auth_app({"bcrypt_rounds": 5})
    assert login(dearer.test_client(), "alice", "wrong-Password-99").status_code == 401
    assert stored_bcrypt_costs(dearer) == [4]


def test_new_accounts_are_hashed_at_the_configured_cost(make_auth_app):
    app = make_auth_app({"bcrypt_rounds": 5})
    signup(app.test_client(), "alice")
    assert stored_bcrypt_costs(app) == [5]


def test_neither_password_nor_tokens_are_stored_in_clear(app, client):
    account = signup(client, "alice")
    other = login(client, "alice").get_json()
    secrets = {PASSWORD, account.access, account.refresh, other["access_token"], other["refresh_token"]}
    for table, column, value in stored_values(app):
        text = as_text(value)
        if text:
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{table}.{column} holds a secret in clear"


def test_login_after_password_change_needs_the_new_password(client):
    account = signup(client, "alice")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password", body, token=account.access).status_code == 204
    assert_error(login(client, "alice", PASSWORD), 401, "invalid_credentials")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200
