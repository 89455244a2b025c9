"""The routes in /api/openapi.json, with the plugin enabled next to every other built-in."""

from __future__ import annotations

from openapi_spec_validator import validate


def resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_document_describes_both_routes(make_link_app):
    app = make_link_app(enabled=["auth", "profile", "content", "totp", "passkeys", "emaillink"])
    document = app.test_client().get("/api/openapi.json").get_json()
    validate(document)
    ask = document["paths"]["/api/emaillink"]["post"]
    assert set(ask["responses"]) >= {"202", "422", "429"}
    body = resolve(document, ask["requestBody"]["content"]["application/json"]["schema"])
    assert body["required"] == ["email"]
    done = document["paths"]["/api/emaillink/confirm"]["post"]
    assert set(done["responses"]) >= {"200", "400", "401", "403", "422", "429"}
    answer = resolve(document, done["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"token_type", "expires_in", "user"} <= set(answer["required"])
    confirm = resolve(document, done["requestBody"]["content"]["application/json"]["schema"])
    assert {"token", "email", "code"} <= set(confirm["properties"])
    assert "security" not in done
