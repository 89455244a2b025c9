"""The passkeys routes in /api/openapi.json, and the plugin against the test kit's rules."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from openapi_spec_validator import validate

from core import create_app
from core.testing import check_plugin

ROUTES = {
    ("post", "/api/passkeys/register/options"): "CreationOptions",
    ("post", "/api/passkeys/register"): "Passkey",
    ("get", "/api/passkeys"): "Passkeys",
    ("patch", "/api/passkeys/{passkey_id}"): "Passkey",
    ("delete", "/api/passkeys/{passkey_id}"): None,
    ("post", "/api/passkeys/login/options"): "RequestOptions",
    ("post", "/api/passkeys/login"): "SignedIn",
}
ANONYMOUS = {("post", "/api/passkeys/login/options"), ("post", "/api/passkeys/login")}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("openapi")
    config = {
        "site": {"environment": "production", "static_dir": "", "url": "https://www.example.com"},
        "security": {"secret_key": "d" * 40},
        "database": {"url": f"sqlite:///{folder}/annex.db"},
        "plugins": {"enabled": ["auth", "profile", "content", "passkeys"]},
    }
    app = create_app(config, environ={}, instance_path=folder)
    try:
        response = app.test_client().get("/api/openapi.json")
    finally:
        app.extensions["annex"].db.close()
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_and_lists_every_route(document):
    validate(document)
    ids = Counter(op["operationId"] for item in document["paths"].values() for op in item.values())
    assert [name for name, count in ids.items() if count > 1] == []
    for method, path in ROUTES:
        assert method in document["paths"].get(path, {}), f"{method.upper()} {path}"


def test_answers_and_bodies_have_schemas(document):
    for (method, path), model in ROUTES.items():
        op = document["paths"][path][method]
        success = next(status for status in op["responses"] if status.startswith("2"))
        if model is None:
            assert success == "204"
            continue
        schema = op["responses"][success]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/" + model), (path, schema)
    register = document["paths"]["/api/passkeys/register"]["post"]
    body = register["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    credential = document["components"]["schemas"][body]["properties"]["credential"]
    assert "$ref" in credential or "allOf" in credential
    assert "400" in register["responses"]
    assert "401" in document["paths"]["/api/passkeys/login"]["post"]["responses"]
    assert "429" in document["paths"]["/api/passkeys/login"]["post"]["responses"]
    assert "409" in document["paths"]["/api/passkeys/{passkey_id}"]["delete"]["responses"]


def test_only_the_sign_in_routes_are_anonymous(document):
    for method, path in ROUTES:
        op = document["paths"][path][method]
        if (method, path) in ANONYMOUS:
            assert "security" not in op, path
        else:
            assert {"bearer": []} in op["security"], path


@pytest.fixture
def annex_plugins():
    return ["auth", "passkeys"]


def test_the_plugin_passes_the_kit_s_conformance_check(annex_app_factory):
    """``POST /login/options`` hands anyone a sign-in challenge on purpose (a row, swept when it
    expires, limited per IP), since who is signing in is what the passkey will tell: it is
    declared ``public``, and every other rule holds."""
    check_plugin("passkeys", annex_app_factory)
