"""GET /api/user/profile: the identity's account fields merged with the profile's own fields."""

from __future__ import annotations

from tests.plugins.profile.conftest import (
    ACCOUNT_FIELDS,
    BUILTIN_FIELDS,
    assert_error,
    get_profile,
    profile_of,
    put_profile,
    signup,
)


def test_profile_needs_authentication(client):
    response = client.get("/api/user/profile")
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_profile_refuses_a_bad_token(client):
    response = client.get("/api/user/profile", headers={"Authorization": "Bearer not-a-token"})
    assert_error(response, 401, "unauthorized")


def test_new_profile_has_account_fields_and_empty_profile_fields(client):
    alice = signup(client, "alice")
    profile = profile_of(client, alice)
    for name in ACCOUNT_FIELDS:
        assert profile[name] == alice.account[name], name
    for name in BUILTIN_FIELDS:
        assert name in profile and profile[name] is None, name


def test_profile_shows_the_account_as_registered(client):
    alice = signup(client, "Alice_1")
    profile = profile_of(client, alice)
    assert profile["username"] == "Alice_1"
    assert profile["email"] == "alice_1@example.com"
    assert profile["email_verified"] is False
    assert profile["roles"] == ["member"]
    assert isinstance(profile["id"], int)


def test_profile_never_shows_secrets(client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice"})
    profile = profile_of(client, alice)
    text = get_profile(client, alice).get_data(as_text=True)
    assert "password" not in text
    assert "password_hash" not in profile
    assert "$2b$" not in text
    assert alice.token not in text


def test_profile_response_is_not_cached(client):
    alice = signup(client, "alice")
    response = get_profile(client, alice)
    assert response.headers.get("Cache-Control") == "no-store"
    assert response.mimetype == "application/json"


def test_roles_granted_later_show_in_the_profile(app, client):
    alice = signup(client, "alice")
    result = app.test_cli_runner().invoke(args=["users", "grant", "alice", "premium"])
    assert result.exit_code == 0, result.output
    assert "premium" in profile_of(client, alice)["roles"]


def test_each_user_sees_only_their_own_profile(client):
    alice = signup(client, "alice")
    bob = signup(client, "bob")
    assert put_profile(client, alice, {"display_name": "Alice A.", "bio": "mine"}).status_code == 200
    bobs = profile_of(client, bob)
    assert bobs["username"] == "bob"
    assert bobs["id"] == bob.id != alice.id
    assert bobs["display_name"] is None
    assert bobs["bio"] is None
    assert profile_of(client, alice)["display_name"] == "Alice A."
