"""Wrong codes at confirm are rate limited per account; /api/openapi.json describes the routes."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.plugins.totp.conftest import ROUTES, assert_error, fresh_step, register


def test_wrong_codes_at_confirm_run_out_per_account(make_totp_app):
    app = make_totp_app(totp={"limits": {"confirm": "3/hour"}}, rate_limits=True)
    client = app.test_client(use_cookies=False)
    alice = register(client)
    bob = register(client, "bob")
    alice.setup()
    bob.setup()
    fresh_step()
    wrong = f"{(int(alice.code()) + 500_000) % 1_000_000:06d}"
    for _ in range(3):
        assert_error(alice.confirm(wrong), 401, "invalid_code")
    response = alice.confirm(alice.code())
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert alice.status()["enabled"] is False
    assert bob.confirm(bob.code()).status_code == 200  # another account's budget is its own


def test_right_codes_do_not_count(make_totp_app):
    app = make_totp_app(totp={"limits": {"confirm": "1/hour"}}, rate_limits=True)
    client = app.test_client(use_cookies=False)
    alice = register(client)
    alice.enrol()
    assert alice.call("DELETE", "/api/totp").status_code == 204
    alice.enrol()  # a second right confirm within the hour


def test_the_openapi_document_describes_every_route(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    for method, path in ROUTES:
        operation = document["paths"][path][method.lower()]
        assert operation.get("security"), f"{method} {path} is documented as authenticated"
    confirm = document["paths"]["/api/totp/confirm"]["post"]
    assert "requestBody" in confirm and "200" in confirm["responses"] and "401" in confirm["responses"]
    assert "409" in document["paths"]["/api/totp/setup"]["post"]["responses"]
    assert "204" in document["paths"]["/api/totp"]["delete"]["responses"]


def test_with_the_plugin_off_its_routes_are_404(make_app):
    app = make_app({"plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 4}}})
    client = app.test_client(use_cookies=False)
    for method, path in ROUTES:
        assert client.open(path, method=method).status_code == 404
