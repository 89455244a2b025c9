"""/api/openapi.json of the app production builds, every built-in plugin enabled (issue 17): valid,
one operationId per operation, a schema for every answer with a body, both credential transports,
the version headers of the user data. Schemathesis checks the answers against it
(tests/load/test_schemathesis.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from openapi_spec_validator import validate

from core import create_app
from tests.conftest import BUILTINS


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The document of ``create_app`` with a production config.toml's sections, as gunicorn builds it."""
    folder = tmp_path_factory.mktemp("openapi")
    config = {
        "site": {"environment": "production", "static_dir": ""},
        "security": {"secret_key": "d" * 40},
        "database": {"url": f"sqlite:///{folder}/annex.db"},
        "plugins": {"enabled": BUILTINS},
    }
    app = create_app(config, environ={}, instance_path=folder)
    try:
        response = app.test_client().get("/api/openapi.json")
    finally:
        app.extensions["annex"].db.close()
    assert response.status_code == 200
    return response.get_json()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_the_document_of_every_built_in_plugin_is_valid_openapi_3_1(document):
    validate(document)
    paths = document["paths"]
    assert {"/api/auth/login", "/api/user/profile", "/api/user/data/{key}", "/members/{path}"} <= set(paths)


def test_every_operation_has_its_own_operation_id(document):
    ids = Counter(op["operationId"] for _, _, op in operations(document))
    assert not [name for name, count in ids.items() if count > 1]
    # One view on two URLs (the members' root and a file under it): two operations.
    assert (
        document["paths"]["/members/"]["get"]["operationId"]
        != (document["paths"]["/members/{path}"]["get"]["operationId"])
    )


def test_every_2xx_answer_with_a_body_has_a_schema(document):
    missing = [
        f"{method.upper()} {path} {status}"
        for method, path, op in operations(document)
        for status, answer in op["responses"].items()
        if status.startswith("2")
        and status != "204"
        and not all("schema" in media for media in answer.get("content", {None: {}}).values())
    ]
    assert not missing


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_answers_name_their_fields(document):
    def body(path: str, method: str, status: str) -> dict[str, Any]:
        answer = document["paths"][path][method]["responses"][status]
        return resolve(document, answer["content"]["application/json"]["schema"])

    assert {"token_type", "expires_in", "user"} <= set(body("/api/auth/login", "post", "200")["properties"])
    assert set(body("/api/auth/register", "post", "201")["required"]) >= {"token_type", "user"}
    assert {"key", "value", "updated_at"} <= set(body("/api/user/data/{key}", "put", "201")["required"])
    # The profile's answer carries the declared profile fields.
    assert {"id", "username", "display_name", "bio", "avatar_url"} <= set(
        body("/api/user/profile", "get", "200")["properties"]
    )
    files = document["paths"]["/members/{path}"]["get"]["responses"]["200"]["content"]
    assert list(files) == ["*/*"]


def test_authenticated_operations_take_the_bearer_token_or_the_access_cookie(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert {key: schemes["cookie"][key] for key in ("type", "in", "name")} == {
        "type": "apiKey",
        "in": "cookie",
        "name": "__Host-annex_access",  # cookie_secure defaults to true
    }
    for path, method in [
        ("/api/user/profile", "get"),
        ("/api/user/data/{key}", "put"),
        ("/api/auth/sessions", "get"),
    ]:
        assert document["paths"][path][method]["security"] == [{"bearer": []}, {"cookie": []}]
    assert "security" not in document["paths"]["/api/auth/login"]["post"]


def test_the_user_data_declares_its_etag_and_conditional_headers(document):
    item = document["paths"]["/api/user/data/{key}"]

    def headers_in(op: dict[str, Any]) -> set[str]:
        return {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}

    assert headers_in(item["get"]) == {"If-None-Match"}
    assert headers_in(item["put"]) == {"If-Match", "If-None-Match"}
    assert headers_in(item["delete"]) == {"If-Match"}
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "ETag" in item["get"]["responses"]["304"]["headers"]
    assert {"200", "201"} <= {
        status for status, answer in item["put"]["responses"].items() if "ETag" in answer.get("headers", {})
    }
    assert "412" in item["put"]["responses"] and "412" in item["delete"]["responses"]
    assert "If-None-Match" in headers_in(document["paths"]["/members/{path}"]["get"])


@pytest.mark.parametrize(
    ("auth", "cookie"),
    [
        ({"transports": ["bearer"]}, None),
        ({"cookie_secure": False}, "annex_access"),
    ],
)
def test_the_schemes_and_the_profile_answer_follow_the_settings_of_each_app(tmp_path, auth, cookie):
    config = {
        "database": {"url": f"sqlite:///{tmp_path}/annex.db"},
        "plugins": {
            "enabled": BUILTINS,
            "auth": auth,
            "profile": {"fields": {"age": {"type": "integer"}}},
        },
    }
    app = create_app(config, environ={}, instance_path=tmp_path)
    try:
        document = app.test_client().get("/api/openapi.json").get_json()
    finally:
        app.extensions["annex"].db.close()
    validate(document)
    schemes = document["components"]["securitySchemes"]
    assert schemes.get("cookie", {}).get("name") == cookie
    expected = [{"bearer": []}] + ([{"cookie": []}] if cookie else [])
    assert document["paths"]["/api/user/profile"]["get"]["security"] == expected
    answer = document["paths"]["/api/user/profile"]["get"]["responses"]["200"]["content"]["application/json"]
    age = resolve(document, answer["schema"])["properties"]["age"]
    assert age["anyOf"] == [{"type": "integer"}, {"type": "null"}]  # a declared field, null when unset
