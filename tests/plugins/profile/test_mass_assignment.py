"""No mass assignment: every key but the editable fields is a 422 naming it, and nothing changes."""

from __future__ import annotations

import pytest

from tests.plugins.profile.conftest import (
    PASSWORD,
    field_errors,
    login,
    profile_of,
    put_profile,
    signup,
)

FORBIDDEN = {
    "id": 999,
    "username": "mallory",
    "email": "mallory@example.com",
    "email_verified": True,
    "password": "another horse battery",
    "password_hash": "$2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "roles": ["member", "admin"],
    "created_at": "2000-01-01T00:00:00Z",
    "user_id": 999,
    "updated_at": 0,
    "is_admin": True,
    "Display_Name": "case matters",
}


@pytest.fixture
def alice(client):
    return signup(client, "alice")


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("key", list(FORBIDDEN))
def test_a_key_that_is_not_editable_is_named_in_a_422(client, alice, key, method):
    response = put_profile(client, alice, {key: FORBIDDEN[key]}, method)
    assert key in field_errors(response)


def test_an_empty_key_is_refused(client, alice):
    response = put_profile(client, alice, {"": "empty key", "display_name": "sneaky"})
    assert response.status_code == 422
    assert profile_of(client, alice)["display_name"] is None


@pytest.mark.parametrize("key", list(FORBIDDEN))
def test_a_refused_key_changes_neither_account_nor_profile(client, alice, key):
    before = profile_of(client, alice)
    response = put_profile(client, alice, {"display_name": "sneaky", key: FORBIDDEN[key]})
    assert response.status_code == 422
    assert profile_of(client, alice) == before


def test_roles_cannot_be_raised_through_the_profile(client, alice):
    put_profile(client, alice, {"roles": ["admin", "premium"]})
    assert profile_of(client, alice)["roles"] == ["member"]
    assert login(client, "alice").account["roles"] == ["member"]


def test_password_cannot_be_changed_through_the_profile(client, alice):
    put_profile(client, alice, {"password": "another horse battery"})
    put_profile(client, alice, {"password_hash": FORBIDDEN["password_hash"]})
    login(client, "alice", PASSWORD)  # still the old password
    response = client.post("/api/auth/login", json={"username": "alice", "password": "another horse battery"})
    assert response.status_code == 401


def test_identity_cannot_be_renamed_through_the_profile(client, alice):
    put_profile(client, alice, {"username": "mallory", "email": "mallory@example.com", "id": 1234})
    profile = profile_of(client, alice)
    assert (profile["id"], profile["username"], profile["email"]) == (
        alice.id,
        "alice",
        "alice@example.com",
    )


def test_several_unknown_keys_are_all_named(client, alice):
    response = put_profile(client, alice, {"roles": ["admin"], "is_admin": True, "display_name": "ok"})
    fields = field_errors(response)
    assert {"roles", "is_admin"} <= set(fields)
    assert "display_name" not in fields
