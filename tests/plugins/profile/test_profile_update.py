"""PUT/PATCH /api/user/profile: partial updates of display_name, bio and avatar_url."""

from __future__ import annotations

import pytest

from tests.plugins.profile.conftest import (
    ACCOUNT_FIELDS,
    assert_error,
    field_errors,
    profile_of,
    put_profile,
    signup,
)

METHODS = ["PUT", "PATCH"]


@pytest.fixture
def alice(client):
    return signup(client, "alice")


@pytest.mark.parametrize("method", METHODS)
def test_update_answers_the_updated_profile(client, alice, method):
    response = put_profile(client, alice, {"display_name": "Alice", "bio": "Hello."}, method)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["display_name"] == "Alice"
    assert body["bio"] == "Hello."
    assert body["avatar_url"] is None
    for name in ACCOUNT_FIELDS:
        assert body[name] == alice.account[name], name


@pytest.mark.parametrize("method", METHODS)
def test_update_is_stored(client, alice, method):
    put_profile(client, alice, {"avatar_url": "https://cdn.example.com/a.png"}, method)
    assert profile_of(client, alice)["avatar_url"] == "https://cdn.example.com/a.png"


@pytest.mark.parametrize("method", METHODS)
def test_omitted_fields_keep_their_value(client, alice, method):
    put_profile(client, alice, {"display_name": "Alice", "bio": "first"})
    response = put_profile(client, alice, {"bio": "second"}, method)
    assert response.status_code == 200
    profile = profile_of(client, alice)
    assert profile["display_name"] == "Alice"
    assert profile["bio"] == "second"


@pytest.mark.parametrize("method", METHODS)
def test_null_clears_a_field(client, alice, method):
    put_profile(client, alice, {"display_name": "Alice", "bio": "stays"})
    response = put_profile(client, alice, {"display_name": None}, method)
    assert response.status_code == 200
    assert response.get_json()["display_name"] is None
    profile = profile_of(client, alice)
    assert profile["display_name"] is None
    assert profile["bio"] == "stays"


def test_empty_object_changes_nothing(client, alice):
    put_profile(client, alice, {"display_name": "Alice"})
    response = put_profile(client, alice, {})
    assert response.status_code == 200
    assert profile_of(client, alice)["display_name"] == "Alice"


def test_unicode_text_round_trips(client, alice):
    body = {"display_name": "Zoë 🦊 渡辺", "bio": "line one\nline two — «quoted»"}
    assert put_profile(client, alice, body).status_code == 200
    profile = profile_of(client, alice)
    assert profile["display_name"] == body["display_name"]
    assert profile["bio"] == body["bio"]


@pytest.mark.parametrize(
    ("field", "limit"),
    [("display_name", 64), ("bio", 2000)],
)
def test_text_at_its_limit_is_accepted(client, alice, field, limit):
    response = put_profile(client, alice, {field: "é" * limit})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert profile_of(client, alice)[field] == "é" * limit


@pytest.mark.parametrize(
    ("field", "limit"),
    [("display_name", 64), ("bio", 2000)],
)
def test_text_over_its_limit_is_refused(client, alice, field, limit):
    put_profile(client, alice, {field: "kept"})
    response = put_profile(client, alice, {field: "x" * (limit + 1)})
    assert field in field_errors(response)
    assert profile_of(client, alice)[field] == "kept"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/me.png",
        "https://example.com/avatars/alice.jpg?size=128#top",
        "https://xn--bcher-kva.example/a.png",
    ],
)
def test_http_and_https_avatar_urls_are_accepted(client, alice, url):
    response = put_profile(client, alice, {"avatar_url": url})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert profile_of(client, alice)["avatar_url"] == url


def test_avatar_url_of_2048_characters_is_accepted(client, alice):
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
    assert len(url) == 2048
    assert put_profile(client, alice, {"avatar_url": url}).status_code == 200
    assert profile_of(client, alice)["avatar_url"] == url


def test_avatar_url_over_2048_characters_is_refused(client, alice):
    url = "https://example.com/" + "a" * (2049 - len("https://example.com/"))
    assert "avatar_url" in field_errors(put_profile(client, alice, {"avatar_url": url}))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://example.com/me.png",
        "file:///etc/passwd",
        "//example.com/me.png",
        "/avatars/me.png",
        "example.com/me.png",
        "not a url",
        "https://",
        "",
    ],
)
def test_non_http_avatar_urls_are_refused(client, alice, url):
    response = put_profile(client, alice, {"avatar_url": url})
    assert "avatar_url" in field_errors(response)
    assert profile_of(client, alice)["avatar_url"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("display_name", 42),
        ("display_name", True),
        ("display_name", ["Alice"]),
        ("bio", {"text": "hi"}),
        ("avatar_url", 1),
    ],
)
def test_wrong_json_types_are_refused(client, alice, field, value):
    assert field in field_errors(put_profile(client, alice, {field: value}))


def test_every_bad_field_is_named_at_once(client, alice):
    response = put_profile(client, alice, {"display_name": "x" * 65, "avatar_url": "ftp://x", "bio": 3})
    assert {"display_name", "avatar_url", "bio"} <= set(field_errors(response))


def test_a_refused_update_changes_nothing(client, alice):
    put_profile(client, alice, {"display_name": "Alice", "bio": "before"})
    response = put_profile(client, alice, {"bio": "after", "avatar_url": "javascript:alert(1)"})
    assert response.status_code == 422
    profile = profile_of(client, alice)
    assert profile["bio"] == "before"
    assert profile["avatar_url"] is None


def test_update_needs_authentication(client):
    response = client.put("/api/user/profile", json={"display_name": "anon"})
    assert_error(response, 401, "unauthorized")


def test_update_needs_a_json_body(client, alice):
    response = client.put(
        "/api/user/profile", data="display_name=Alice", headers=alice.headers, content_type="text/plain"
    )
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("body", [b"[]", b'"Alice"', b"{", b"null"])
def test_update_needs_a_json_object(client, alice, body):
    response = client.put(
        "/api/user/profile", data=body, headers=alice.headers, content_type="application/json"
    )
    assert_error(response, 400, "invalid_json")


def test_update_with_nul_character_is_refused_without_500(client, alice):
    response = client.put(
        "/api/user/profile",
        data=b'{"display_name": "a\\u0000b"}',
        headers=alice.headers,
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    assert profile_of(client, alice)["display_name"] is None


def test_other_methods_are_not_allowed(client, alice):
    response = client.post("/api/user/profile", json={"display_name": "x"}, headers=alice.headers)
    assert_error(response, 405, "method_not_allowed")
    assert "PUT" in response.headers.get("Allow", "")
