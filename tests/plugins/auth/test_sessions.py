"""Sessions: list, delete one (password for another), logout, logout-all."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    PROBE,
    assert_error,
    assert_refused,
    assert_token_refused,
    call,
    post,
    probe,
    refresh,
    seconds_since,
    signin,
    signup,
)


def sessions_of(client, token):
    response = call(client, "GET", PROBE, token=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["sessions"]


def delete_session(client, session_id, token, body=None):
    return call(client, "DELETE", f"/api/auth/sessions/{session_id}", body, token=token)


def current_of(sessions):
    (current,) = [s for s in sessions if s["current"]]
    return current


@pytest.fixture
def account(client):
    return signup(client, "alice")


# the list -----------------------------------------------------------------------------------------


def test_sessions_lists_each_login_with_its_fields(client, account):
    signin(client, "alice", headers={"User-Agent": "PhoneBrowser/2.0"}, ip="192.0.2.7")
    sessions = sessions_of(client, account.access)
    assert len(sessions) == 2
    for session in sessions:
        assert set(session) == {"id", "created_at", "last_used_at", "user_agent", "ip", "current", "methods"}
        assert session["methods"] == ["pwd"]  # contract v2: how each session signed in
        assert isinstance(session["id"], int) and not isinstance(session["id"], bool)
        assert abs(seconds_since(session["created_at"])) < 60
        assert abs(seconds_since(session["last_used_at"])) < 60
    phone = [s for s in sessions if s["user_agent"] == "PhoneBrowser/2.0"]
    assert len(phone) == 1 and phone[0]["ip"] == "192.0.2.7" and phone[0]["current"] is False


def test_exactly_the_requesting_session_is_current(client, account):
    other = signin(client, "alice")
    mine = sessions_of(client, account.access)
    theirs = sessions_of(client, other.access)
    assert [s["current"] for s in mine].count(True) == 1
    assert current_of(mine)["id"] != current_of(theirs)["id"]
    assert {s["id"] for s in mine} == {s["id"] for s in theirs}


def test_sessions_show_only_the_users_own(client, account):
    bob = signup(client, "bob")
    assert len(sessions_of(client, account.access)) == 1
    assert len(sessions_of(client, bob.access)) == 1
    assert (
        current_of(sessions_of(client, bob.access))["id"]
        != current_of(sessions_of(client, account.access))["id"]
    )


def test_a_session_logged_out_leaves_the_list(client, account):
    other = signin(client, "alice")
    assert post(client, "/api/auth/logout", token=other.access).status_code == 204
    assert len(sessions_of(client, account.access)) == 1


def test_sessions_need_authentication(client):
    assert_error(client.get(PROBE), 401, "unauthorized")


def test_sessions_responses_are_not_cached(client, account):
    assert call(client, "GET", PROBE, token=account.access).headers["Cache-Control"] == "no-store"


# deleting one ---------------------------------------------------------------------------------------


def test_deleting_the_current_session_needs_no_password(client, account):
    current = current_of(sessions_of(client, account.access))
    assert delete_session(client, current["id"], account.access).status_code == 204
    assert_token_refused(probe(client, account.access), "token_revoked")
    assert_refused(refresh(client, account.refresh), "token_revoked")


def test_deleting_another_session_with_the_password_revokes_it(client, account):
    other = signin(client, "alice")
    other_id = current_of(sessions_of(client, other.access))["id"]
    assert delete_session(client, other_id, account.access, {"password": PASSWORD}).status_code == 204
    assert_token_refused(probe(client, other.access), "token_revoked")
    assert_refused(refresh(client, other.refresh), "token_revoked")
    assert probe(client, account.access).status_code == 200
    assert [s["id"] for s in sessions_of(client, account.access)] != [other_id]


def test_deleting_another_session_with_a_wrong_password_is_401(client, account):
    other = signin(client, "alice")
    other_id = current_of(sessions_of(client, other.access))["id"]
    response = delete_session(client, other_id, account.access, {"password": "wrong-Password-99"})
    assert_error(response, 401, "invalid_credentials")
    assert probe(client, other.access).status_code == 200
    assert probe(client, account.access).status_code == 200


def test_deleting_another_session_without_a_password_is_refused(client, account):
    other = signin(client, "alice")
    other_id = current_of(sessions_of(client, other.access))["id"]
    response = delete_session(client, other_id, account.access)
    assert response.status_code in (401, 422), response.get_data(as_text=True)
    assert probe(client, other.access).status_code == 200


def test_another_users_session_is_404(client, account):
    bob = signup(client, "bob")
    bob_id = current_of(sessions_of(client, bob.access))["id"]
    assert_error(delete_session(client, bob_id, account.access, {"password": PASSWORD}), 404, "not_found")
    assert probe(client, bob.access).status_code == 200


def test_an_unknown_session_is_404(client, account):
    assert_error(delete_session(client, 987654, account.access, {"password": PASSWORD}), 404, "not_found")


@pytest.mark.parametrize("session_id", [2**63 - 1, 2**63, 10**40])
def test_an_id_beyond_any_database_integer_is_404(client, account, session_id):
    response = delete_session(client, session_id, account.access, {"password": PASSWORD})
    assert_error(response, 404, "not_found")


def test_a_session_already_ended_is_404(client, account):
    other = signin(client, "alice")
    other_id = current_of(sessions_of(client, other.access))["id"]
    post(client, "/api/auth/logout", token=other.access)
    assert_error(delete_session(client, other_id, account.access, {"password": PASSWORD}), 404, "not_found")


def test_deleting_a_session_needs_authentication(client, account):
    current = current_of(sessions_of(client, account.access))
    assert_error(call(client, "DELETE", f"/api/auth/sessions/{current['id']}"), 401, "unauthorized")


# logout -----------------------------------------------------------------------------------------


def test_logout_with_the_access_token_revokes_the_session(client, account):
    response = post(client, "/api/auth/logout", token=account.access)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_token_refused(probe(client, account.access), "token_revoked")
    assert_refused(refresh(client, account.refresh), "token_revoked")


def test_logout_with_the_refresh_token_in_the_body_revokes_the_session(client, account):
    assert post(client, "/api/auth/logout", {"refresh_token": account.refresh}).status_code == 204
    assert_token_refused(probe(client, account.access), "token_revoked")
    assert_refused(refresh(client, account.refresh), "token_revoked")


def test_logout_ends_only_that_session(client, account):
    other = signin(client, "alice")
    assert post(client, "/api/auth/logout", token=account.access).status_code == 204
    assert probe(client, other.access).status_code == 200
    assert refresh(client, other.refresh).status_code == 200


def test_logout_of_an_already_revoked_session_is_still_204(client, account):
    assert post(client, "/api/auth/logout", {"refresh_token": account.refresh}).status_code == 204
    assert post(client, "/api/auth/logout", {"refresh_token": account.refresh}).status_code == 204
    assert post(client, "/api/auth/logout", token=account.access).status_code == 204


def test_logout_without_credentials_is_401(client):
    assert_error(post(client, "/api/auth/logout"), 401, "unauthorized")


def test_logout_with_a_forged_refresh_token_is_refused_and_ends_nothing(client, account):
    from tests.plugins.auth.conftest import resign

    forged = resign(account.refresh, key="not-the-key-0123456789abcdefghijklmnopqrstuvwxyz")
    response = post(client, "/api/auth/logout", {"refresh_token": forged})
    assert response.status_code == 401
    assert probe(client, account.access).status_code == 200


def test_logout_response_is_not_cached(client, account):
    assert post(client, "/api/auth/logout", token=account.access).headers["Cache-Control"] == "no-store"


# logout-all -----------------------------------------------------------------------------------------


def test_logout_all_with_the_password_revokes_every_session(client, account):
    others = [signin(client, "alice") for _ in range(2)]
    bob = signup(client, "bob")
    response = post(client, "/api/auth/logout-all", {"password": PASSWORD}, token=account.access)
    assert response.status_code == 204
    for session in [account, *others]:
        assert_token_refused(probe(client, session.access), "token_revoked")
        assert_refused(refresh(client, session.refresh), "token_revoked")
    assert probe(client, bob.access).status_code == 200
    assert signin(client, "alice").access  # logging in again works


def test_logout_all_with_a_wrong_password_is_401_and_ends_nothing(client, account):
    other = signin(client, "alice")
    response = post(client, "/api/auth/logout-all", {"password": "wrong-Password-99"}, token=account.access)
    assert_error(response, 401, "invalid_credentials")
    assert probe(client, account.access).status_code == 200
    assert probe(client, other.access).status_code == 200


def test_logout_all_needs_authentication(client, account):
    assert_error(post(client, "/api/auth/logout-all", {"password": PASSWORD}), 401, "unauthorized")
    assert probe(client, account.access).status_code == 200


def test_logout_all_needs_the_password_field(client, account):
    response = post(client, "/api/auth/logout-all", {}, token=account.access)
    assert response.status_code in (401, 422)
    assert probe(client, account.access).status_code == 200
