"""Enrolment as a user sees it: set up, confirm, remove, new recovery codes (api-v2.md, "`totp`")."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from tests.plugins.totp.conftest import PASSWORD, ROUTES, assert_error, call, fresh_step, register

RECOVERY_CODE = re.compile(r"[0-9a-z]{4}-[0-9a-z]{4}")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_signed_in_user(client, method, path):
    body = {"code": "123456"} if path.endswith("confirm") else None
    assert_error(call(client, method, path, body), 401, "unauthorized")


def test_nothing_is_on_until_confirmed(client):
    alice = register(client)
    assert alice.status() == {"enabled": False, "recovery_codes_left": 0}
    response = alice.setup()
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"secret", "otpauth_uri"}
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])  # base32, 160 bits
    assert alice.status() == {"enabled": False, "recovery_codes_left": 0}


def test_the_otpauth_uri_names_the_issuer_and_the_account_with_every_parameter(make_totp_app):
    client = make_totp_app(config={"site": {"url": "https://members.example.org"}}).test_client(
        use_cookies=False
    )
    alice = register(client)
    uri = alice.setup().get_json()["otpauth_uri"]
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/members.example.org:alice"
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query == {
        "secret": alice.secret,
        "issuer": "members.example.org",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    # An authenticator app reads it as the same generator.
    parsed = pyotp.parse_uri(uri)
    assert parsed.now() == pyotp.TOTP(alice.secret).now()


def test_the_issuer_setting_names_the_site_in_the_app(make_totp_app):
    client = make_totp_app(totp={"issuer": "Friends: Club & Co"}).test_client(use_cookies=False)
    alice = register(client)
    uri = alice.setup().get_json()["otpauth_uri"]
    parts = urlsplit(uri)
    assert unquote(parts.path) == "/Friends: Club & Co:alice"
    assert ":" not in parts.path.split(":", 1)[0][1:]  # the issuer's own colon is escaped
    assert parse_qs(parts.query)["issuer"] == ["Friends: Club & Co"]


def test_confirm_turns_it_on_with_ten_distinct_recovery_codes(client):
    alice = register(client)
    alice.setup()
    response = alice.confirm(alice.code())
    assert response.status_code == 200
    codes = response.get_json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(RECOVERY_CODE.fullmatch(code) for code in codes), codes
    assert alice.status() == {"enabled": True, "recovery_codes_left": 10}
    assert "mfa_enabled" in alice.events()


def test_a_wrong_code_at_confirm_is_401_and_changes_nothing(client):
    alice = register(client)
    alice.setup()
    fresh_step()
    wrong = f"{(int(alice.code()) + 1) % 1_000_000:06d}"
    assert_error(alice.confirm(wrong), 401, "invalid_code")
    assert_error(alice.confirm("abcdef"), 401, "invalid_code")
    assert alice.status()["enabled"] is False
    assert alice.confirm(alice.code()).status_code == 200  # the pending secret still confirms


BAD_BODIES = [{}, {"code": ""}, {"code": 123456}, {"code": "1" * 65}, {"code": "1", "x": 1}]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_malformed_confirm_body_is_422(client, body):
    alice = register(client)
    alice.setup()
    assert_error(alice.call("POST", "/api/totp/confirm", body), 422, "validation_error")


def test_confirm_without_a_setup_is_409(client):
    alice = register(client)
    assert_error(alice.confirm("123456"), 409, "not_enrolled")


def test_a_second_setup_replaces_the_pending_secret(client):
    alice = register(client)
    alice.setup()
    first = alice.secret
    alice.setup()
    assert alice.secret != first
    fresh_step()
    assert_error(alice.confirm(pyotp.TOTP(first).now()), 401, "invalid_code")
    assert alice.confirm(alice.code()).status_code == 200


def test_setup_and_confirm_once_enabled_are_409(client):
    alice = register(client)
    alice.enrol()
    secret = alice.secret
    assert_error(alice.setup(), 409, "already_enrolled")
    assert_error(alice.confirm(alice.code(1)), 409, "already_enrolled")
    assert alice.secret == secret


def test_removing_it_turns_it_off_and_drops_the_recovery_codes(client):
    alice = register(client)
    codes = alice.enrol()
    response = alice.call("DELETE", "/api/totp")
    assert response.status_code == 204 and response.get_data() == b""
    assert alice.status() == {"enabled": False, "recovery_codes_left": 0}
    assert "mfa_disabled" in alice.events()
    # Sign-in asks for nothing more, and a new setup starts from scratch.
    response = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert alice.setup().status_code == 200
    fresh_step()
    assert alice.confirm(alice.code()).status_code == 200
    assert not set(codes) & set(alice.recovery_codes)


def test_removing_a_pending_setup_or_nothing_is_204_and_records_nothing(client):
    alice = register(client)
    assert alice.call("DELETE", "/api/totp").status_code == 204
    alice.setup()
    assert alice.call("DELETE", "/api/totp").status_code == 204
    assert_error(alice.confirm(alice.code()), 409, "not_enrolled")
    assert "mfa_disabled" not in alice.events()


def test_new_recovery_codes_replace_the_old_set(client):
    alice = register(client)
    old = alice.enrol()
    response = alice.call("POST", "/api/totp/recovery-codes")
    assert response.status_code == 200
    new = response.get_json()["recovery_codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert all(RECOVERY_CODE.fullmatch(code) for code in new)
    assert alice.status() == {"enabled": True, "recovery_codes_left": 10}


def test_new_recovery_codes_without_an_authenticator_are_409(client):
    alice = register(client)
    assert_error(alice.call("POST", "/api/totp/recovery-codes"), 409, "not_enrolled")
    alice.setup()
    assert_error(alice.call("POST", "/api/totp/recovery-codes"), 409, "not_enrolled")


def test_one_users_enrolment_is_not_anothers(client):
    alice = register(client)
    bob = register(client, "bob")
    alice.enrol()
    assert bob.status() == {"enabled": False, "recovery_codes_left": 0}
    assert_error(bob.confirm(alice.code()), 409, "not_enrolled")
    assert bob.call("DELETE", "/api/totp").status_code == 204
    assert alice.status()["enabled"] is True
