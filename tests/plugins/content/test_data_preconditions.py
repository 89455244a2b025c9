"""Optimistic concurrency on /api/user/data: If-Match (412 when stale) and If-None-Match: *."""

from __future__ import annotations

import pytest

from tests.plugins.content.conftest import (
    assert_error,
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
def etag(client, alice):
    """The ETag of alice's key ``doc`` holding ``{"v": 1}``."""
    response = put_value(client, alice, "doc", {"v": 1})
    assert response.status_code == 201
    return response.headers["ETag"]


def test_if_match_with_the_current_etag_replaces_the_value(client, alice, etag):
    response = put_value(client, alice, "doc", {"v": 2}, {"If-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert stored_value(client, alice, "doc") == {"v": 2}


def test_if_match_with_a_stale_etag_is_412_and_keeps_the_value(client, alice, etag):
    current = put_value(client, alice, "doc", {"v": 2}).headers["ETag"]
    response = put_value(client, alice, "doc", {"v": "lost update"}, {"If-Match": etag})
    assert_error(response, 412, "precondition_failed")
    assert stored_value(client, alice, "doc") == {"v": 2}
    assert get_value(client, alice, "doc").headers["ETag"] == current


def test_if_match_with_a_made_up_etag_is_412(client, alice, etag):
    assert_error(put_value(client, alice, "doc", 3, {"If-Match": '"made-up"'}), 412, "precondition_failed")
    assert stored_value(client, alice, "doc") == {"v": 1}


def test_if_match_list_containing_the_current_etag_succeeds(client, alice, etag):
    response = put_value(client, alice, "doc", 2, {"If-Match": f'"older", {etag}'})
    assert response.status_code == 200
    assert stored_value(client, alice, "doc") == 2


def test_weak_etag_never_satisfies_if_match(client, alice, etag):
    response = put_value(client, alice, "doc", 2, {"If-Match": f"W/{etag}"})
    assert_error(response, 412, "precondition_failed")
    assert stored_value(client, alice, "doc") == {"v": 1}


def test_if_match_on_a_missing_key_is_412_and_creates_nothing(client, alice, etag):
    response = put_value(client, alice, "other", 1, {"If-Match": etag})
    assert_error(response, 412, "precondition_failed")
    assert_error(get_value(client, alice, "other"), 404, "not_found")


def test_if_match_star_replaces_an_existing_value(client, alice, etag):
    response = put_value(client, alice, "doc", 2, {"If-Match": "*"})
    assert response.status_code == 200
    assert stored_value(client, alice, "doc") == 2


def test_if_match_star_on_a_missing_key_is_412(client, alice):
    assert_error(put_value(client, alice, "nope", 1, {"If-Match": "*"}), 412, "precondition_failed")
    assert items_of(client, alice) == {}


def test_if_none_match_star_creates_a_new_key(client, alice):
    response = put_value(client, alice, "fresh", "first", {"If-None-Match": "*"})
    assert response.status_code == 201
    assert stored_value(client, alice, "fresh") == "first"


def test_if_none_match_star_on_an_existing_key_is_412_and_keeps_it(client, alice, etag):
    response = put_value(client, alice, "doc", "overwrite", {"If-None-Match": "*"})
    assert_error(response, 412, "precondition_failed")
    assert stored_value(client, alice, "doc") == {"v": 1}
    assert get_value(client, alice, "doc").headers["ETag"] == etag


def test_if_none_match_star_works_again_after_delete(client, alice, etag):
    delete_value(client, alice, "doc")
    assert put_value(client, alice, "doc", "again", {"If-None-Match": "*"}).status_code == 201


def test_chain_of_conditional_writes_each_using_the_last_etag(client, alice, etag):
    for n in range(2, 7):
        response = put_value(client, alice, "doc", {"v": n}, {"If-Match": etag})
        assert response.status_code == 200, n
        etag = response.headers["ETag"]
    assert stored_value(client, alice, "doc") == {"v": 6}


def test_delete_with_the_current_etag_succeeds(client, alice, etag):
    assert delete_value(client, alice, "doc", {"If-Match": etag}).status_code == 204
    assert_error(get_value(client, alice, "doc"), 404, "not_found")


def test_delete_with_a_stale_etag_is_412_and_keeps_the_value(client, alice, etag):
    put_value(client, alice, "doc", {"v": 2})
    assert_error(delete_value(client, alice, "doc", {"If-Match": etag}), 412, "precondition_failed")
    assert stored_value(client, alice, "doc") == {"v": 2}


def test_etag_of_a_read_is_usable_for_a_write(client, alice, etag):
    read = get_value(client, alice, "doc").headers["ETag"]
    assert put_value(client, alice, "doc", 5, {"If-Match": read}).status_code == 200


def test_etag_of_a_deleted_and_recreated_key_differs(client, alice, etag):
    delete_value(client, alice, "doc")
    put_value(client, alice, "doc", {"v": 1})
    assert_error(put_value(client, alice, "doc", 2, {"If-Match": etag}), 412, "precondition_failed")
