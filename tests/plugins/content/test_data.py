"""/api/user/data: the user's own JSON values, listed, read, written and deleted, with ETags."""

from __future__ import annotations

import re

import pytest

from tests.plugins.content.conftest import (
    assert_error,
    data_url,
    delete_value,
    get_value,
    https_client,
    items_of,
    put_value,
    signup,
    stored_value,
)

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
ETAG = re.compile(r'^"[^"]+"$')


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def test_nothing_stored_lists_no_items(client, alice):
    assert items_of(client, alice) == {}


def test_new_key_is_created_with_201_and_an_etag(client, alice):
    response = put_value(client, alice, "theme", "dark")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert ETAG.match(response.headers.get("ETag", "")), response.headers
    assert response.headers.get("Cache-Control") == "no-store"


def test_value_is_read_back_with_key_value_updated_at_and_etag(client, alice):
    written = put_value(client, alice, "theme", {"mode": "dark", "contrast": 2})
    response = get_value(client, alice, "theme")
    assert response.status_code == 200
    body = response.get_json()
    assert body["key"] == "theme"
    assert body["value"] == {"mode": "dark", "contrast": 2}
    assert RFC3339_UTC.match(body["updated_at"]), body
    assert response.headers["ETag"] == written.headers["ETag"]


def test_replacing_a_value_is_200_with_a_new_etag(client, alice):
    first = put_value(client, alice, "theme", "dark")
    second = put_value(client, alice, "theme", "light")
    assert second.status_code == 200
    assert ETAG.match(second.headers["ETag"])
    assert second.headers["ETag"] != first.headers["ETag"]
    assert stored_value(client, alice, "theme") == "light"
    assert get_value(client, alice, "theme").headers["ETag"] == second.headers["ETag"]


@pytest.mark.parametrize(
    "value",
    [
        {"nested": {"list": [1, 2.5, "three", None, True, False]}},
        [1, "two", {"three": 3}],
        "plain text",
        "",
        "Zoë 🦊 渡辺 \u2028",
        0,
        -42,
        2**63 - 1,
        0.1,
        -1.5e-10,
        True,
        False,
        None,
        {},
        [],
    ],
)
def test_any_json_value_round_trips(client, alice, value):
    assert put_value(client, alice, "k", value).status_code == 201
    stored = stored_value(client, alice, "k")
    assert stored == value
    assert type(stored) is type(value)
    assert items_of(client, alice) == {"k": value}


def test_deeply_nested_value_round_trips(client, alice):
    value: object = "bottom"
    for _ in range(25):
        value = {"down": value}
    assert put_value(client, alice, "deep", value).status_code == 201
    assert stored_value(client, alice, "deep") == value


def test_list_has_every_key_of_the_user(client, alice):
    put_value(client, alice, "a", 1)
    put_value(client, alice, "b", {"x": [1]})
    put_value(client, alice, "c", None)
    assert items_of(client, alice) == {"a": 1, "b": {"x": [1]}, "c": None}


def test_missing_key_is_404(client, alice):
    assert_error(get_value(client, alice, "nothing-here"), 404, "not_found")


def test_delete_is_204_and_the_key_is_gone(client, alice):
    put_value(client, alice, "temp", 1)
    response = delete_value(client, alice, "temp")
    assert response.status_code == 204
    assert response.data == b""
    assert_error(get_value(client, alice, "temp"), 404, "not_found")
    assert items_of(client, alice) == {}


def test_delete_of_a_missing_key_is_404(client, alice):
    assert_error(delete_value(client, alice, "never-was"), 404, "not_found")


def test_key_can_be_recreated_after_delete(client, alice):
    put_value(client, alice, "k", 1)
    delete_value(client, alice, "k")
    response = put_value(client, alice, "k", 2)
    assert response.status_code == 201
    assert stored_value(client, alice, "k") == 2


@pytest.mark.parametrize(
    "key",
    ["a", "Z", "0", "x" * 128, "settings.theme", "ns:sub:key", "snake_case-1.2:x", "a..b", "-", "_.:-"],
)
def test_valid_keys_are_accepted(client, alice, key):
    response = put_value(client, alice, key, "v")
    assert response.status_code == 201, (key, response.get_data(as_text=True))
    assert stored_value(client, alice, key) == "v"
    assert items_of(client, alice) == {key: "v"}


@pytest.mark.parametrize(
    "key",
    [
        "x" * 129,
        "a%20b",
        "a b",
        "a/b",
        "a%2Fb",
        "%C3%A9t%C3%A9",
        "a*b",
        "a%00b",
        "a%5Cb",
        "%3Cscript%3E",
        "a;b",
        "a,b",
        "a'b",
        "a+b",
        "a@b",
    ],
)
def test_invalid_keys_are_refused_and_nothing_is_stored(client, alice, key):
    response = client.put(data_url(key), json={"value": "v"}, headers=alice.headers)
    assert response.status_code in (400, 404, 422), (key, response.status)
    assert response.mimetype == "application/json"
    assert items_of(client, alice) == {}


@pytest.mark.parametrize("key", ["x" * 129, "a%20b", "a*b", "%C3%A9"])
def test_invalid_keys_are_refused_on_read_and_delete(client, alice, key):
    for method in ("GET", "DELETE"):
        response = client.open(data_url(key), method=method, headers=alice.headers)
        assert response.status_code in (400, 404, 422), (method, key, response.status)


def test_body_without_value_is_a_422_naming_it(client, alice):
    response = client.put(data_url("k"), json={}, headers=alice.headers)
    assert_error(response, 422, "validation_error")
    assert "value" in response.get_json()["error"]["fields"]
    assert items_of(client, alice) == {}


def test_body_with_extra_keys_is_a_422_naming_them(client, alice):
    response = client.put(data_url("k"), json={"value": 1, "user_id": 2}, headers=alice.headers)
    assert_error(response, 422, "validation_error")
    assert "user_id" in response.get_json()["error"]["fields"]
    assert items_of(client, alice) == {}


def test_body_that_is_not_json_is_a_415(client, alice):
    response = client.put(data_url("k"), data="value=1", headers=alice.headers, content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("body", [b"[1]", b"1", b'"value"', b"{bad json"])
def test_body_that_is_not_a_json_object_is_a_400(client, alice, body):
    response = client.put(data_url("k"), data=body, headers=alice.headers, content_type="application/json")
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    "body",
    [
        b'{"value": "a\\u0000b"}',
        b'{"value": NaN}',
        b'{"value": "\\ud800"}',
        b'{"value": 1' + b"0" * 40 + b"}",
    ],
)
def test_hostile_values_are_refused_without_500(client, alice, body):
    response = client.put(data_url("k"), data=body, headers=alice.headers, content_type="application/json")
    assert response.status_code in (400, 422), response.status
    assert items_of(client, alice) == {}


@pytest.mark.parametrize(("method", "key"), [("GET", ""), ("GET", "k"), ("PUT", "k"), ("DELETE", "k")])
def test_every_data_route_needs_authentication(client, method, key):
    response = client.open(data_url(key), method=method, json={"value": 1} if method == "PUT" else None)
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_post_is_not_allowed_on_a_key(client, alice):
    response = client.post(data_url("k"), json={"value": 1}, headers=alice.headers)
    assert_error(response, 405, "method_not_allowed")
    assert "PUT" in response.headers.get("Allow", "")


def test_browser_writes_with_its_cookie_and_csrf_token(app):
    browser = https_client(app)
    signup(browser, "alice")
    csrf = browser.get_cookie("__Host-annex_csrf").value
    response = browser.put(data_url("k"), json={"value": "from the browser"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201
    listed = browser.get(data_url())
    assert listed.get_json()["items"] == {"k": "from the browser"}


def test_browser_write_without_csrf_token_is_refused(app):
    browser = https_client(app)
    signup(browser, "alice")
    assert_error(browser.put(data_url("k"), json={"value": 1}), 403, "csrf_failed")
    assert_error(browser.delete(data_url("k")), 403, "csrf_failed")
    assert browser.get(data_url()).get_json()["items"] == {}
