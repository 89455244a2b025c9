"""Hostile JSON is a 400 invalid_json or a 422 validation_error, never a 500 (api.md Conventions)."""

from __future__ import annotations

import json

import pytest

from core import ApiError, get_db, json_input
from tests.testplugins import echo, hello

USER = {"X-Test-User": "1:alice"}


@pytest.fixture
def app(make_app):
    """The core with ``hello`` (a strict model) and ``echo`` (a field that takes any JSON).

    The body limit is raised so that the largest hostile bodies reach the JSON reader.
    """
    return make_app({"security": {"max_body_bytes": 1_000_000}}, plugins=[hello, echo])


def nested(levels: int) -> str:
    """JSON text of ``levels`` arrays nested in each other, the innermost holding 1."""
    return "[" * levels + "1" + "]" * levels


def stored_notes(app) -> int:
    """How many notes user 1 has in the database."""
    with app.app_context():
        return get_db()["hello_notes"].count(user_id=1)


def post(client, path: str, text: str | bytes):
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return client.post(path, data=data, content_type="application/json", headers=USER)


def assert_refused(response) -> None:
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    code = response.get_json()["error"]["code"]
    assert code == {400: "invalid_json", 422: "validation_error"}[response.status_code]


def note_with(field_json: str, field: str = "title") -> str:
    """A note body whose ``field`` is the raw JSON text ``field_json``."""
    base = {"title": "t", "stars": 1, "tags": []}
    parts = [f'"{name}": {json.dumps(value)}' for name, value in base.items() if name != field]
    return "{" + ", ".join([*parts, f'"{field}": {field_json}']) + "}"


# nesting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [32, 33, 1000, 100_000])
def test_deep_nesting_is_refused(client, levels):
    response = post(client, "/api/echo", '{"value": ' + nested(levels) + "}")
    assert_refused(response)


def test_deep_nesting_inside_a_model_field_is_refused(app, client):
    response = post(client, "/api/hello/notes", note_with(nested(40), "tags"))
    assert_refused(response)
    assert stored_notes(app) == 0


def test_nesting_of_exactly_32_levels_is_accepted(client):
    response = post(client, "/api/echo", '{"value": ' + nested(31) + "}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["value"] == json.loads(nested(31))


def test_reader_accepts_32_levels_and_refuses_33():
    assert json_input.loads(nested(32).encode()) == json.loads(nested(32))
    with pytest.raises(ApiError) as refused:
        json_input.loads(nested(33).encode())
    assert (refused.value.status, refused.value.code) == (400, "invalid_json")


def test_deeply_nested_objects_are_refused_too():
    text = '{"a": ' * 33 + "1" + "}" * 33
    with pytest.raises(ApiError) as refused:
        json_input.loads(text.encode())
    assert refused.value.code == "invalid_json"


# numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", [4300, 5000, 50_000])
def test_huge_integer_is_refused(client, digits):
    assert_refused(post(client, "/api/echo", '{"value": ' + "9" * digits + "}"))
    assert_refused(post(client, "/api/hello/notes", note_with("-" + "9" * digits, "stars")))


def test_ordinary_integer_is_accepted(client):
    response = post(client, "/api/echo", '{"value": -1234567890123}')
    assert response.status_code == 200
    assert response.get_json()["value"] == -1234567890123


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1E400"])
def test_non_finite_numbers_are_refused(client, literal):
    assert_refused(post(client, "/api/echo", '{"value": ' + literal + "}"))
    assert_refused(post(client, "/api/hello/notes", note_with(literal, "stars")))


def test_ordinary_float_is_accepted(client):
    response = post(client, "/api/echo", '{"value": 1.5e3}')
    assert response.status_code == 200
    assert response.get_json()["value"] == 1500.0


# strings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("escaped", [r'"\ud800"', r'"a\udfffb"', r'"\ude00\ud83d"'])
def test_lone_surrogates_are_refused(client, escaped):
    assert_refused(post(client, "/api/echo", '{"value": ' + escaped + "}"))
    assert_refused(post(client, "/api/hello/notes", note_with(escaped)))


def test_lone_surrogate_in_a_key_is_refused(client):
    assert_refused(post(client, "/api/echo", r'{"value": {"\ud800": 1}}'))


def test_escaped_surrogate_pair_is_a_valid_character(client):
    response = post(client, "/api/echo", r'{"value": "\ud83d\ude00"}')
    assert response.status_code == 200
    assert response.get_json()["value"] == "\U0001f600"


@pytest.mark.parametrize("escaped", [r'"\u0000"', r'"before\u0000after"'])
def test_nul_in_a_value_is_refused(app, client, escaped):
    assert_refused(post(client, "/api/echo", '{"value": ' + escaped + "}"))
    assert_refused(post(client, "/api/hello/notes", note_with(escaped)))
    assert stored_notes(app) == 0


def test_nul_in_a_list_item_is_refused(client):
    assert_refused(post(client, "/api/hello/notes", note_with(r'["ok", "x\u0000"]', "tags")))


@pytest.mark.parametrize("body", [r'{"ti\u0000tle": "x", "stars": 1}', r'{"value": {"k\u0000": 1}}'])
def test_nul_in_a_key_is_refused(client, body):
    path = "/api/hello/notes" if "stars" in body else "/api/echo"
    assert_refused(post(client, path, body))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"value": "\xff"}',
        b'{"value": "\xc3\x28"}',
        b'{"value": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
        b'{"value": "\xc0\xaf"}',  # overlong encoding of "/"
        b"\xfe\xff",
    ],
)
def test_invalid_utf8_is_refused(client, raw):
    assert_refused(post(client, "/api/echo", raw))


def test_non_ascii_text_is_accepted(client):
    response = post(client, "/api/hello/notes", note_with(json.dumps("Grüße ☕")))
    assert response.status_code == 201
    assert response.get_json()["title"] == "Grüße ☕"


def test_app_still_answers_after_hostile_input(client):
    post(client, "/api/echo", '{"value": ' + nested(100_000) + "}")
    post(client, "/api/hello/notes", note_with(r'"\u0000"'))
    assert client.get("/api/hello").status_code == 200
