"""Strict isolation: a user sees, changes and deletes only their own data; no request names another's."""

from __future__ import annotations

import pytest

from tests.plugins.content.conftest import (
    assert_error,
    data_url,
    delete_value,
    get_value,
    items_of,
    put_value,
    signup,
    stored_value,
)


@pytest.fixture
def alice(client):
    return signup(client, "alice")


@pytest.fixture
def bob(client):
    return signup(client, "bob")


@pytest.fixture
def alice_etag(client, alice):
    return put_value(client, alice, "diary", "alice's secret").headers["ETag"]


def test_another_users_key_is_404(client, bob, alice_etag):
    assert_error(get_value(client, bob, "diary"), 404, "not_found")


def test_another_users_keys_are_not_listed(client, alice, bob, alice_etag):
    put_value(client, bob, "notes", "bob's")
    assert items_of(client, bob) == {"notes": "bob's"}
    assert items_of(client, alice) == {"diary": "alice's secret"}


def test_same_key_names_are_separate_per_user(client, alice, bob, alice_etag):
    assert put_value(client, bob, "diary", "bob's diary").status_code == 201
    assert stored_value(client, alice, "diary") == "alice's secret"
    assert stored_value(client, bob, "diary") == "bob's diary"


def test_another_user_cannot_delete_my_key(client, alice, bob, alice_etag):
    assert_error(delete_value(client, bob, "diary"), 404, "not_found")
    assert_error(delete_value(client, bob, "diary", {"If-Match": alice_etag}), 404, "not_found")
    assert stored_value(client, alice, "diary") == "alice's secret"


def test_my_etag_means_nothing_on_another_users_data(client, alice, bob, alice_etag):
    response = put_value(client, bob, "diary", "overwrite?", {"If-Match": alice_etag})
    assert_error(response, 412, "precondition_failed")
    assert stored_value(client, alice, "diary") == "alice's secret"
    assert_error(get_value(client, bob, "diary"), 404, "not_found")


def test_if_none_match_star_ignores_other_users_keys(client, bob, alice_etag):
    assert put_value(client, bob, "diary", "mine", {"If-None-Match": "*"}).status_code == 201


@pytest.mark.parametrize(
    "suffix",
    ["?user_id={id}", "?user={id}", "?username=alice", "?owner={id}&user_id={id}"],
)
def test_query_parameters_cannot_name_another_user(client, alice, bob, alice_etag, suffix):
    query = suffix.format(id=alice.id)
    response = client.get(data_url("diary") + query, headers=bob.headers)
    assert response.status_code == 404
    listed = client.get(data_url() + query, headers=bob.headers)
    assert "alice's secret" not in listed.get_data(as_text=True)


@pytest.mark.parametrize("header", ["X-User-Id", "X-Forwarded-User", "X-Remote-User"])
def test_headers_cannot_name_another_user(client, alice, bob, alice_etag, header):
    headers = {**bob.headers, header: str(alice.id)}
    assert client.get(data_url("diary"), headers=headers).status_code == 404
    assert "alice's secret" not in client.get(data_url(), headers=headers).get_data(as_text=True)


def test_user_id_in_the_path_is_not_a_route(client, alice, bob, alice_etag):
    for path in (f"/api/user/{alice.id}/data/diary", f"/api/users/{alice.id}/data/diary"):
        response = client.get(path, headers=bob.headers)
        assert response.status_code == 404
        assert "alice's secret" not in response.get_data(as_text=True)


def test_many_users_writing_one_key_name_never_mix(client):
    users = [signup(client, f"user{n}") for n in range(5)]
    for n, user in enumerate(users):
        put_value(client, user, "shared-name", {"owner": n})
    for n, user in enumerate(users):
        assert items_of(client, user) == {"shared-name": {"owner": n}}
