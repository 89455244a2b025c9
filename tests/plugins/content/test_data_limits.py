"""Limits of /api/user/data: value size (max_value_bytes) and key quota (max_keys) are 413s."""

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
def app(make_content_app):
    return make_content_app({"max_value_bytes": 100, "max_keys": 3})


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def test_value_of_exactly_the_limit_is_accepted(client, alice):
    value = "x" * 98  # serialised with its quotes: 100 bytes
    assert put_value(client, alice, "k", value).status_code == 201
    assert stored_value(client, alice, "k") == value


def test_value_one_byte_over_the_limit_is_413(client, alice):
    assert_error(put_value(client, alice, "k", "x" * 99), 413, "payload_too_large")
    assert items_of(client, alice) == {}


def test_multibyte_value_over_the_limit_is_413(client, alice):
    assert_error(put_value(client, alice, "k", "é" * 50), 413, "payload_too_large")


def test_structured_value_over_the_limit_is_413(client, alice):
    assert_error(put_value(client, alice, "k", {"list": list(range(60))}), 413, "payload_too_large")


def test_oversized_replacement_keeps_the_old_value_and_etag(client, alice):
    etag = put_value(client, alice, "k", "small").headers["ETag"]
    assert_error(put_value(client, alice, "k", "x" * 200), 413, "payload_too_large")
    assert stored_value(client, alice, "k") == "small"
    assert get_value(client, alice, "k").headers["ETag"] == etag


def test_keys_up_to_the_quota_are_accepted(client, alice):
    for key in ("a", "b", "c"):
        assert put_value(client, alice, key, 1).status_code == 201
    assert items_of(client, alice) == {"a": 1, "b": 1, "c": 1}


def test_key_over_the_quota_is_413_and_not_stored(client, alice):
    for key in ("a", "b", "c"):
        put_value(client, alice, key, 1)
    assert_error(put_value(client, alice, "d", 1), 413, "payload_too_large")
    assert_error(put_value(client, alice, "e", 1, {"If-None-Match": "*"}), 413, "payload_too_large")
    assert set(items_of(client, alice)) == {"a", "b", "c"}


def test_replacing_a_key_at_the_quota_is_allowed(client, alice):
    for key in ("a", "b", "c"):
        put_value(client, alice, key, 1)
    assert put_value(client, alice, "b", 2).status_code == 200
    assert stored_value(client, alice, "b") == 2


def test_deleting_a_key_frees_room_under_the_quota(client, alice):
    for key in ("a", "b", "c"):
        put_value(client, alice, key, 1)
    delete_value(client, alice, "a")
    assert put_value(client, alice, "d", 1).status_code == 201
    assert set(items_of(client, alice)) == {"b", "c", "d"}


def test_quota_is_per_user(client, alice):
    for key in ("a", "b", "c"):
        put_value(client, alice, key, 1)
    bob = signup(client, "bob")
    for key in ("a", "b", "c"):
        assert put_value(client, bob, key, 2).status_code == 201
    assert_error(put_value(client, bob, "d", 1), 413, "payload_too_large")


def test_default_limits_allow_a_64_kib_value(make_content_app):
    app = make_content_app(config={"security": {"max_body_bytes": 200_000}})
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    assert put_value(client, alice, "big", "x" * (65536 - 2)).status_code == 201
    assert_error(put_value(client, alice, "bigger", "x" * (65536 - 1)), 413, "payload_too_large")
    assert set(items_of(client, alice)) == {"big"}


def test_default_key_quota_is_1000(make_content_app):
    app = make_content_app()
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    for n in range(1000):
        response = put_value(client, alice, f"k{n}", n)
        assert response.status_code == 201, (n, response.status)
    assert_error(put_value(client, alice, "one-too-many", 1), 413, "payload_too_large")
    assert len(items_of(client, alice)) == 1000


def test_body_over_max_body_bytes_is_413(client, alice):
    assert_error(put_value(client, alice, "k", "x" * 70_000), 413, "payload_too_large")
