"""A deleted account's tokens never open another account (issue 15, point 1).

Ids of users and sessions are never given twice (SQLite ``AUTOINCREMENT``, PostgreSQL
sequences), and a token names its session by a random key as well as by its id, so a token whose
ids did match a newer row would still be refused.
"""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    assert_refused,
    assert_token_refused,
    call,
    claims_of,
    post,
    probe,
    refresh,
    resign,
    signup,
)


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(config={"plugins": {"enabled": ["auth", "profile"]}})


def delete_by_api(app, client, account):
    response = call(client, "DELETE", "/api/user", {"password": PASSWORD}, token=account.access)
    assert response.status_code == 204, response.get_data(as_text=True)


def delete_by_cli(app, client, account):
    result = app.test_cli_runner().invoke(args=["users", "delete", account.username])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("delete", [delete_by_api, delete_by_cli], ids=["api", "cli"])
def test_old_tokens_of_a_deleted_account_never_open_the_next_one(app, client, delete):
    alice = signup(client, "alice")
    delete(app, client, alice)
    bob = signup(client, "bob")
    assert bob.id != alice.id
    assert claims_of(bob.access)["sid"] != claims_of(alice.access)["sid"]
    for path in ("/api/user/profile", "/api/user/export"):
        assert_token_refused(call(client, "GET", path, token=alice.access), "token_revoked")
    assert_refused(refresh(client, alice.refresh), "token_revoked")
    # Bob's session is untouched: his access token works and his refresh token still rotates.
    profile = call(client, "GET", "/api/user/profile", token=bob.access)
    assert profile.status_code == 200 and profile.get_json()["username"] == "bob"
    assert refresh(client, bob.refresh).status_code == 200


def test_the_newest_ids_are_not_given_again_after_a_delete(app, client):
    signup(client, "alice")
    bob = signup(client, "bob")  # the highest ids of both tables
    delete_by_api(app, client, bob)
    carol = signup(client, "carol")
    assert carol.id > bob.id
    assert claims_of(carol.access)["sid"] > claims_of(bob.access)["sid"]


def test_a_token_naming_the_right_ids_without_the_session_key_is_revoked(client):
    """What a deleted user's token would be if ids were reused: right ``sub`` and ``sid``, signed
    with the site's key, but issued for another session row."""
    alice = signup(client, "alice")
    for forged in (resign(alice.access, drop=["sk"]), resign(alice.access, sk="x" * 32)):
        assert_token_refused(probe(client, forged), "token_revoked")
    assert_refused(refresh(client, resign(alice.refresh, drop=["sk"])), "token_revoked")
    assert_refused(refresh(client, resign(alice.refresh, sk="x" * 32)), "token_revoked")
    # Neither forged refresh token counted as reuse, and a forged logout ended nothing.
    forged_logout = {"refresh_token": resign(alice.refresh, sk="y")}
    assert post(client, "/api/auth/logout", forged_logout).status_code == 204
    assert probe(client, alice.access).status_code == 200
    assert refresh(client, alice.refresh).status_code == 200


def test_tokens_carry_the_session_key_and_refresh_keeps_it(client):
    alice = signup(client, "alice")
    key = claims_of(alice.access)["sk"]
    assert isinstance(key, str) and len(key) >= 32
    assert claims_of(alice.refresh)["sk"] == key
    renewed = refresh(client, alice.refresh).get_json()
    assert claims_of(renewed["access_token"])["sk"] == claims_of(renewed["refresh_token"])["sk"] == key
    other = signup(client, "bob")
    assert claims_of(other.access)["sk"] != key
