"""The profile follows the account: exported with it (user_export), deleted with it (user_deleted)."""

from __future__ import annotations

from tests.plugins.profile.conftest import (
    PASSWORD,
    assert_error,
    profile_of,
    put_profile,
    signup,
)


def profile_rows(app, user_id):
    """Every row of the profile plugin's tables (named ``profile*``) for ``user_id``."""
    database = app.extensions["annex"].db
    try:
        rows = []
        for table in database.tables:
            if table.startswith("profile") and "user_id" in database[table].columns:
                rows.extend(dict(row) for row in database[table].find(user_id=user_id))
        return rows
    finally:
        database.release()


def delete_account(client, user, password=PASSWORD):
    return client.delete("/api/user", json={"password": password}, headers=user.headers)


def test_export_has_the_profile_section(client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice", "bio": "b", "avatar_url": "https://a.example/x.png"})
    response = client.get("/api/user/export", headers=alice.headers)
    assert response.status_code == 200
    section = response.get_json()["profile"]
    assert section["display_name"] == "Alice"
    assert section["bio"] == "b"
    assert section["avatar_url"] == "https://a.example/x.png"


def test_export_of_an_untouched_profile_has_empty_fields(client):
    alice = signup(client, "alice")
    section = client.get("/api/user/export", headers=alice.headers).get_json()["profile"]
    assert section.get("display_name") is None
    assert section.get("bio") is None


def test_export_holds_only_the_users_own_profile(client):
    alice = signup(client, "alice")
    bob = signup(client, "bob")
    put_profile(client, alice, {"display_name": "Alice"})
    put_profile(client, bob, {"display_name": "Bob"})
    exported = client.get("/api/user/export", headers=bob.headers)
    assert exported.get_json()["profile"]["display_name"] == "Bob"
    assert "Alice" not in exported.get_data(as_text=True)


def test_export_never_contains_secrets(client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice"})
    text = client.get("/api/user/export", headers=alice.headers).get_data(as_text=True)
    assert "$2" not in text
    assert alice.token not in text
    assert alice.body["refresh_token"] not in text


def test_deleting_the_account_drops_the_profile(app, client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice", "bio": "to be forgotten"})
    assert profile_rows(app, alice.id)
    response = delete_account(client, alice)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert profile_rows(app, alice.id) == []


def test_deleted_users_profile_is_unreachable(client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice"})
    delete_account(client, alice)
    assert_error(client.get("/api/user/profile", headers=alice.headers), 401, "token_revoked")


def test_a_new_account_does_not_inherit_a_deleted_profile(client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Old Alice", "bio": "old bio"})
    delete_account(client, alice)
    again = signup(client, "alice")
    profile = profile_of(client, again)
    assert (profile["display_name"], profile["bio"]) == (None, None)


def test_deleting_one_account_keeps_the_others_profiles(app, client):
    alice = signup(client, "alice")
    bob = signup(client, "bob")
    put_profile(client, alice, {"display_name": "Alice"})
    put_profile(client, bob, {"display_name": "Bob"})
    delete_account(client, alice)
    assert profile_of(client, bob)["display_name"] == "Bob"
    assert profile_rows(app, bob.id)


def test_wrong_password_keeps_account_and_profile(app, client):
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice"})
    assert_error(delete_account(client, alice, "wrong password!"), 401, "invalid_credentials")
    assert profile_of(client, alice)["display_name"] == "Alice"
    assert profile_rows(app, alice.id)
