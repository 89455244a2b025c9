"""POST /api/auth/refresh: rotation, the grace rule, reuse detection, races, session_max_age."""

from __future__ import annotations

import time

import pytest

from tests.plugins.auth.conftest import (
    PROBE,
    assert_error,
    assert_refused,
    assert_token_refused,
    call,
    claims_of,
    field_errors,
    post,
    probe,
    refresh,
    run_parallel,
    signin,
    signup,
)


def rotate(client, token):
    """Refresh and return the new (access, refresh) pair; fails the test unless 200."""
    response = refresh(client, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["access_token"], body["refresh_token"]


@pytest.fixture
def account(client):
    return signup(client, "alice")


# rotation ---------------------------------------------------------------------------------------


def test_refresh_returns_a_new_pair_in_the_token_body(client, account):
    response = refresh(client, account.refresh)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert body["user"] == account.user
    assert body["refresh_token"] != account.refresh
    assert body["access_token"] != account.access
    assert probe(client, body["access_token"]).status_code == 200


def test_refresh_keeps_the_session(client, account):
    access, new_refresh = rotate(client, account.refresh)
    sid = claims_of(account.access)["sid"]
    assert claims_of(access)["sid"] == claims_of(new_refresh)["sid"] == sid
    assert claims_of(new_refresh)["typ"] == "refresh"
    sessions = call(client, "GET", PROBE, token=access).get_json()["sessions"]
    assert len(sessions) == 1


def test_a_chain_of_refreshes_keeps_working(client, account):
    token = account.refresh
    for _ in range(5):
        access, token = rotate(client, token)
        assert probe(client, access).status_code == 200


def test_refresh_response_is_not_cached(client, account):
    assert refresh(client, account.refresh).headers["Cache-Control"] == "no-store"


def test_refresh_without_any_token_is_401(client, account):
    assert_refused(post(client, "/api/auth/refresh", {}), "unauthorized")
    assert_refused(client.post("/api/auth/refresh"), "unauthorized")


def test_refresh_with_an_unknown_field_is_422(client, account):
    assert "scope" in field_errors(
        post(client, "/api/auth/refresh", {"refresh_token": account.refresh, "scope": "x"})
    )


def test_a_garbage_refresh_token_is_401_unauthorized(client):
    assert_refused(refresh(client, "not-a-token"), "unauthorized")


# the grace rule -----------------------------------------------------------------------------------


def test_the_token_retired_last_is_honoured_again_within_the_grace_window(client, account):
    first_access, _ = rotate(client, account.refresh)
    retry = refresh(client, account.refresh)  # a client that lost the response retries
    assert retry.status_code == 200
    body = retry.get_json()
    assert claims_of(body["refresh_token"])["sid"] == claims_of(account.refresh)["sid"]
    assert probe(client, body["access_token"]).status_code == 200
    assert probe(client, first_access).status_code == 200


def test_two_tabs_that_refreshed_at_once_both_carry_on(client, account):
    _, tab_a = rotate(client, account.refresh)
    _, tab_b = rotate(client, account.refresh)  # the second tab, within the grace window
    access_a, tab_a = rotate(client, tab_a)
    access_b, tab_b = rotate(client, tab_b)  # tab_b was retired by tab_a's rotation just now
    assert probe(client, access_a).status_code == 200
    assert probe(client, access_b).status_code == 200


def test_the_grace_reissue_does_not_open_a_second_branch(client, account):
    _, kept = rotate(client, account.refresh)
    _, regranted = rotate(client, account.refresh)  # grace: the current generation again
    _, kept = rotate(client, kept)
    _, kept = rotate(client, kept)  # two generations past what the grace gave out
    assert_refused(refresh(client, regranted), "token_revoked")
    assert_refused(refresh(client, kept), "token_revoked")


def test_after_the_grace_window_the_retired_token_is_reuse(make_auth_app):
    client = make_auth_app({"refresh_grace_seconds": 1}).test_client()
    account = signup(client)
    access, current = rotate(client, account.refresh)
    time.sleep(1.6)
    assert_refused(refresh(client, account.refresh), "token_revoked")
    assert_refused(refresh(client, current), "token_revoked")
    assert_token_refused(probe(client, access), "token_revoked")
    assert_token_refused(probe(client, account.access), "token_revoked")


def test_with_no_grace_any_retired_token_is_reuse(make_auth_app):
    client = make_auth_app({"refresh_grace_seconds": 0}).test_client()
    account = signup(client)
    access, _ = rotate(client, account.refresh)
    time.sleep(0.05)
    assert_refused(refresh(client, account.refresh), "token_revoked")
    assert_token_refused(probe(client, access), "token_revoked")


# reuse ------------------------------------------------------------------------------------------


def test_reuse_three_generations_back_revokes_the_session(client, account):
    _, second = rotate(client, account.refresh)
    _, third = rotate(client, second)
    newest_access, newest = rotate(client, third)
    assert_refused(refresh(client, account.refresh), "token_revoked")
    assert_refused(refresh(client, newest), "token_revoked")
    assert_token_refused(probe(client, newest_access), "token_revoked")


def test_reuse_two_generations_back_within_the_grace_window_revokes_the_session(client, account):
    _, second = rotate(client, account.refresh)
    newest_access, newest = rotate(client, second)
    assert_refused(refresh(client, account.refresh), "token_revoked")
    assert_refused(refresh(client, newest), "token_revoked")
    assert_token_refused(probe(client, newest_access), "token_revoked")


def test_reuse_revokes_only_that_session(client, account):
    other = signin(client, "alice")
    rotate(client, account.refresh)
    rotate(client, refresh(client, account.refresh).get_json()["refresh_token"])
    assert_refused(refresh(client, account.refresh), "token_revoked")
    assert probe(client, other.access).status_code == 200
    assert refresh(client, other.refresh).status_code == 200


def test_reuse_is_detected_after_the_session_ended_too(client, account):
    assert post(client, "/api/auth/logout", token=account.access).status_code == 204
    assert_refused(refresh(client, account.refresh), "token_revoked")


# concurrency ---------------------------------------------------------------------------------------


def test_two_concurrent_refreshes_both_succeed_in_one_session(app, account):
    results = run_parallel(2, lambda _: refresh(app.test_client(), account.refresh))
    assert [r.status_code for r in results] == [200, 200], [r.get_data(as_text=True) for r in results]
    sid = claims_of(account.refresh)["sid"]
    assert {claims_of(r.get_json()["refresh_token"])["sid"] for r in results} == {sid}


def test_concurrent_refreshes_never_fork_the_session(app, account):
    results = run_parallel(10, lambda _: refresh(app.test_client(), account.refresh))
    assert all(not isinstance(r, Exception) for r in results), results
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {200, 401} and 200 in statuses, statuses
    tokens = [r.get_json()["refresh_token"] for r in results if r.status_code == 200]
    sid = claims_of(account.refresh)["sid"]
    assert {claims_of(t)["sid"] for t in tokens} == {sid}
    # One client moves the session two generations on: every other token handed out in the
    # race is then at least two generations old, so none of them may still open a branch.
    client = app.test_client()
    _, newer = rotate(client, tokens[0])
    latest_access, _ = rotate(client, newer)
    outcomes = [refresh(client, token).status_code for token in tokens[1:]]
    assert all(status == 401 for status in outcomes), outcomes
    if tokens[1:]:
        assert_token_refused(probe(client, latest_access), "token_revoked")


def test_concurrent_refreshes_leave_one_live_chain(app, account):
    results = run_parallel(8, lambda _: refresh(app.test_client(), account.refresh))
    tokens = [r.get_json()["refresh_token"] for r in results if r.status_code == 200]
    assert tokens
    client = app.test_client()
    # Whatever the race handed out, only one chain continues: the first to rotate on wins and
    # the session stays one session.
    access, _ = rotate(client, tokens[0])
    sessions = call(client, "GET", PROBE, token=access).get_json()["sessions"]
    assert len(sessions) == 1


# session_max_age ---------------------------------------------------------------------------------


def test_no_token_outlives_the_session_max_age(make_auth_app):
    client = make_auth_app({"session_max_age": 60}).test_client()
    account = signup(client)
    login_time = claims_of(account.access)["iat"]
    for token in (account.access, account.refresh):
        assert claims_of(token)["exp"] <= login_time + 60
    time.sleep(1.1)
    access, renewed = rotate(client, account.refresh)
    assert claims_of(renewed)["exp"] <= login_time + 60
    assert claims_of(access)["exp"] <= login_time + 60


def test_the_session_ends_at_session_max_age_whatever_the_refreshes(make_auth_app):
    client = make_auth_app({"session_max_age": 3, "refresh_grace_seconds": 0}).test_client()
    account = signup(client)
    time.sleep(1.2)
    _, token = rotate(client, account.refresh)
    time.sleep(2.3)
    assert_refused(refresh(client, token), "token_expired")


def test_a_new_login_starts_a_new_session_after_max_age(make_auth_app):
    client = make_auth_app({"session_max_age": 1}).test_client()
    signup(client)
    time.sleep(1.5)
    account = signin(client)
    assert probe(client, account.access).status_code == 200
    assert refresh(client, account.refresh).status_code == 200


def test_refresh_token_ttl_limits_a_refresh_token(make_auth_app):
    client = make_auth_app({"refresh_token_ttl": 1}).test_client()
    account = signup(client)
    time.sleep(2.2)
    assert_error(refresh(client, account.refresh), 401, "token_expired")
