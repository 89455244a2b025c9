"""The oidc plugin keeps the plugin rules (the kit's conformance check), its routes are in the
OpenAPI document, its settings refuse what the contract refuses, and with it off nothing answers."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from core import ConfigError
from core.testing import check_plugin

PROVIDER = {"name": "kc", "issuer": "https://id.example.com/realms/annex", "client_id": "annex",
            "client_secret": "s3cret-s3cret"}  # fmt: skip


@pytest.fixture
def annex_plugins():
    return ["auth", "oidc"]


@pytest.fixture
def annex_config():
    return {"plugins": {"oidc": {"providers": [PROVIDER]}}}


def test_the_plugin_passes_the_conformance_check(annex_app_factory):
    check_plugin("oidc", annex_app_factory)


def test_the_routes_are_in_a_valid_openapi_document(annex_client):
    document = annex_client.get("/api/openapi.json").get_json()
    validate(document)
    paths = document["paths"]
    assert set(paths["/api/oidc/{name}/start"]["get"]["responses"]) >= {"302"}
    callback = paths["/api/oidc/{name}/callback"]["get"]
    assert {p["name"] for p in callback["parameters"] if p["in"] == "query"} >= {"code", "state", "error"}
    assert "200" in paths["/api/oidc/providers"]["get"]["responses"]
    assert {"post"} <= set(paths["/api/oidc/{name}/link"])
    assert "204" in paths["/api/oidc/identities/{identity_id}"]["delete"]["responses"]


def test_with_the_plugin_off_its_routes_are_404(annex_app_factory):
    client = annex_app_factory(plugins=["auth"], config={"plugins": {"oidc": None}}).test_client()
    assert client.get("/api/oidc/providers").status_code == 404


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"issuer": "http://id.example.com"}, "https"),
        ({"name": "Has Spaces"}, "name"),
        ({"scopes": ["email"]}, "openid"),
        ({"client_secret": ""}, "client_secret"),
    ],
)
def test_settings_refuse_what_the_contract_refuses(annex_app_factory, change, named):
    with pytest.raises(ConfigError, match=named):
        annex_app_factory(config={"plugins": {"oidc": {"providers": [PROVIDER | change]}}})


def test_an_http_issuer_is_accepted_on_a_loopback_host_and_tables_of_tables_are_read(annex_app_factory):
    providers = {
        "local": {k: v for k, v in PROVIDER.items() if k != "name"} | {"issuer": "http://127.0.0.1:8080"}
    }
    app = annex_app_factory(config={"plugins": {"oidc": {"providers": providers}}})
    assert app.test_client().get("/api/oidc/providers").get_json() == {
        "providers": [{"name": "local", "label": "local"}]
    }
