"""Every error status the core itself produces, in the one JSON shape of api.md."""

from __future__ import annotations

import io
import json

import pytest

from tests.testplugins import hello

USER = {"X-Test-User": "1:alice"}
NOTE = {"title": "groceries", "stars": 3, "tags": ["home"]}


def error_of(response, status: int, code: str) -> dict:
    """Assert ``response`` is the JSON error ``code`` with ``status``; return its ``error`` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def post_note(client, data, content_type="application/json", headers=USER, **kwargs):
    payload = json.dumps(data) if not isinstance(data, (bytes, str)) else data
    return client.post("/api/hello/notes", data=payload, content_type=content_type, headers=headers, **kwargs)


# 404 ---------------------------------------------------------------------------------------


def test_unknown_api_path_is_json_404(client):
    error = error_of(client.get("/api/nothing/here"), 404, "not_found")
    assert "fields" not in error


def test_unknown_page_is_json_404_for_a_client_not_asking_for_html_first(client):
    # A browser opening a page gets an HTML page instead (tests/core/test_browser_errors.py).
    response = client.get("/no-such-page", headers={"Accept": "application/json, text/html"})
    error_of(response, 404, "not_found")
    assert b"<html" not in response.data.lower()


def test_handler_raised_404_keeps_its_code(client):
    error_of(client.get("/api/hello/notes/999", headers=USER), 404, "not_found")


@pytest.mark.parametrize("note_id", [2**63, 10**40])
def test_a_path_integer_beyond_64_bits_is_404_not_a_driver_error(client, note_id):
    # An int path segment reaches the database; one no column can hold does not match the route.
    error_of(client.get(f"/api/hello/notes/{note_id}", headers=USER), 404, "not_found")


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_path_integer_beyond_64_bits_is_404_for_every_view_of_the_path(client, method):
    # GET and DELETE are two rules of one path: a number that matched one and failed conversion
    # would leave Werkzeug answering 405 for a note that cannot exist.
    for note_id in (2**63, 9300000000000000000, 10**19):
        error_of(client.open(f"/api/hello/notes/{note_id}", method=method, headers=USER), 404, "not_found")


def test_the_largest_64_bit_path_integer_reaches_the_view(client):
    error = error_of(client.get(f"/api/hello/notes/{2**63 - 1}", headers=USER), 404, "not_found")
    assert error["message"] == "no such note"


# 405 ---------------------------------------------------------------------------------------


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/api/hello")
    error_of(response, 405, "method_not_allowed")
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert "GET" in allowed
    assert "DELETE" not in allowed


def test_get_on_a_post_only_route_is_405_listing_post(client):
    response = client.get("/api/hello/notes")
    error_of(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


# 413 ---------------------------------------------------------------------------------------


def test_body_over_max_body_bytes_is_413(make_app):
    client = make_app({"security": {"max_body_bytes": 100}}, plugins=[hello]).test_client()
    response = post_note(client, {**NOTE, "tags": ["x" * 200]})
    error_of(response, 413, "payload_too_large")


def test_body_at_max_body_bytes_is_accepted(make_app):
    payload = json.dumps(NOTE).encode()
    client = make_app({"security": {"max_body_bytes": len(payload)}}, plugins=[hello]).test_client()
    assert post_note(client, payload).status_code == 201


def test_announced_length_over_limit_is_413_before_the_body_is_read(make_app):
    client = make_app({"security": {"max_body_bytes": 100}}, plugins=[hello]).test_client()
    stream = io.BytesIO(b"{}")
    response = client.post(
        "/api/hello/notes",
        input_stream=stream,
        content_type="application/json",
        headers=USER,
        environ_overrides={"CONTENT_LENGTH": "10000000"},
    )
    error_of(response, 413, "payload_too_large")
    assert stream.tell() == 0


def test_chunked_body_over_limit_is_413(make_app):
    client = make_app({"security": {"max_body_bytes": 100}}, plugins=[hello]).test_client()
    body = json.dumps({**NOTE, "tags": ["x" * 500]}).encode()
    response = client.post(
        "/api/hello/notes",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={**USER, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    error_of(response, 413, "payload_too_large")


def test_chunked_body_of_exactly_the_limit_is_accepted(make_app):
    payload = json.dumps(NOTE).encode()
    client = make_app({"security": {"max_body_bytes": len(payload)}}, plugins=[hello]).test_client()
    response = client.post(
        "/api/hello/notes",
        input_stream=io.BytesIO(payload),
        content_type="application/json",
        headers={**USER, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 201, response.get_json()


# 415 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json"],
)
def test_non_json_content_type_is_415(client, content_type):
    response = post_note(client, json.dumps(NOTE), content_type=content_type)
    error_of(response, 415, "unsupported_media_type")


def test_missing_content_type_is_415(client):
    response = client.post("/api/hello/notes", data=json.dumps(NOTE), headers=USER)
    error_of(response, 415, "unsupported_media_type")


def test_json_with_charset_parameter_is_accepted(client):
    response = post_note(client, NOTE, content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    assert response.get_json()["title"] == "groceries"


# 400 invalid_json --------------------------------------------------------------------------


@pytest.mark.parametrize("payload", ['{"title": "x",', "{'title': 'x'}", "not json", '{"a": 1} trailing'])
def test_malformed_json_is_400(client, payload):
    error = error_of(post_note(client, payload), 400, "invalid_json")
    assert "fields" not in error


@pytest.mark.parametrize("payload", ["[]", '["title"]', '"text"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_400(client, payload):
    error_of(post_note(client, payload), 400, "invalid_json")


def test_empty_json_body_is_400(client):
    error_of(post_note(client, b""), 400, "invalid_json")


# 422 validation_error ----------------------------------------------------------------------


def test_validation_error_lists_every_bad_field_at_once(client):
    response = post_note(client, {"title": "", "stars": 9, "tags": "home", "colour": "red"})
    error = error_of(response, 422, "validation_error")
    assert set(error["fields"]) == {"title", "stars", "tags", "colour"}
    assert all(isinstance(message, str) and message for message in error["fields"].values())


def test_unknown_field_alone_is_422_naming_it(client):
    error = error_of(post_note(client, {**NOTE, "user_id": 2}), 422, "validation_error")
    assert list(error["fields"]) == ["user_id"]


def test_missing_required_fields_are_each_named(client):
    error = error_of(post_note(client, {}), 422, "validation_error")
    assert set(error["fields"]) == {"title", "stars"}


def test_rejected_body_stores_nothing(app, client):
    post_note(client, {"title": "x" * 21, "stars": 1})
    with app.app_context():
        from core import get_db

        assert get_db()["hello_notes"].count(user_id=1) == 0


def test_query_string_is_validated_with_422(client):
    response = client.get("/api/hello/search?limit=0")
    error = error_of(response, 422, "validation_error")
    assert set(error["fields"]) == {"q", "limit"}


def test_unknown_query_parameter_is_422(client):
    error = error_of(client.get("/api/hello/search?q=a&sort=x"), 422, "validation_error")
    assert list(error["fields"]) == ["sort"]


def test_valid_query_string_is_accepted(client):
    response = client.get("/api/hello/search?q=tea&limit=5")
    assert response.status_code == 200
    assert response.get_json() == {"q": "tea", "limit": 5}


# 401 / 403 ---------------------------------------------------------------------------------


def test_anonymous_request_to_auth_route_is_401_with_bearer_challenge(client):
    response = post_note(client, NOTE, headers={})
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error=" not in response.headers["WWW-Authenticate"]


def test_rejected_bearer_token_challenge_names_invalid_token(client):
    response = client.get("/api/hello/notes/1", headers={"Authorization": "Bearer not-a-token"})
    error_of(response, 401, "unauthorized")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert 'error="invalid_token"' in challenge


def test_missing_role_is_403_forbidden(client):
    error_of(client.get("/api/hello/admin", headers=USER), 403, "forbidden")


def test_anonymous_request_to_role_route_is_401_not_403(client):
    error_of(client.get("/api/hello/admin"), 401, "unauthorized")


def test_holder_of_the_role_passes(client):
    response = client.get("/api/hello/admin", headers={"X-Test-User": "1:alice:member,admin"})
    assert response.status_code == 200
    assert response.get_json() == {"ok": True}


# 500 ---------------------------------------------------------------------------------------


def test_unhandled_exception_is_generic_500(client):
    response = client.get("/api/hello/boom")
    error = error_of(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "secret detail" not in text
    assert "RuntimeError" not in text
    assert "Traceback" not in text
    assert "fields" not in error


def test_unhandled_exception_detail_goes_to_the_log(client, caplog):
    client.get("/api/hello/boom")
    assert "secret detail that must not leak" in caplog.text


def test_every_api_response_defaults_to_no_store(client):
    assert client.get("/api/health").headers["Cache-Control"] == "no-store"
    assert client.get("/api/nope").headers["Cache-Control"] == "no-store"


def test_query_string_with_nul_is_refused_not_stored(client):
    response = client.get("/api/hello/search?q=a%00b")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_a_bare_werkzeug_400_uses_a_code_of_the_contract(make_app):
    from flask import Blueprint, request

    from core import hookimpl

    class RawJson:
        name = "rawjson"

        @hookimpl
        def register_routes(self, app):
            bp = Blueprint("rawjson", __name__)

            @bp.post("/api/raw")
            def raw():
                return {"got": request.get_json()}

            return bp

    client = make_app(plugins=[RawJson()]).test_client()
    response = client.post("/api/raw", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"
