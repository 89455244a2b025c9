"""The whole sign-in with an authenticator (api-v2.md, "The sign-in model"): the password, the
MFA challenge, the code; other sessions end when it is turned on; step-up before changes."""

from __future__ import annotations

import time

import pytest

from tests.plugins.totp.conftest import (
    PASSWORD,
    assert_error,
    challenge_of,
    claims_of,
    fresh_step,
    login,
    mfa,
    mfa_token,
    register,
)


def test_password_then_code_signs_in_with_both_methods(client):
    alice = register(client)
    alice.enrol()
    response = login(client)
    challenge = challenge_of(response)
    assert challenge["factors"] == ["totp", "recovery_code"]
    assert challenge["expires_in"] == 300
    assert not response.headers.getlist("Set-Cookie")
    assert "access_token" not in response.get_data(as_text=True)
    answer = mfa(client, challenge["token"], "totp", alice.code(0))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    for token in (body["access_token"], body["refresh_token"]):
        assert {"pwd", "otp", "mfa"} <= set(claims_of(token)["amr"])
    assert abs(claims_of(body["access_token"])["auth_time"] - time.time()) < 60
    assert alice.status()["enabled"] is True  # the new session works


def test_a_wrong_code_is_401_invalid_code_and_the_challenge_stays_open(client):
    alice = register(client)
    alice.enrol()
    token = mfa_token(client)
    fresh_step()
    wrong = f"{(int(alice.code(0)) + 1) % 1_000_000:06d}"
    assert_error(mfa(client, token, "totp", wrong), 401, "invalid_code")
    assert_error(mfa(client, token, "recovery_code", "aaaa-aaaa"), 401, "invalid_code")
    assert mfa(client, token, "totp", alice.code(0)).status_code == 200


def test_a_wrong_password_reveals_nothing_of_the_authenticator(client):
    alice = register(client)
    alice.enrol()
    assert_error(login(client, password="not-" + PASSWORD), 401, "invalid_credentials")


def test_a_pending_setup_asks_for_no_second_factor(client):
    alice = register(client)
    alice.setup()
    assert login(client).status_code == 200


def test_turning_it_on_ends_the_other_sessions_and_keeps_this_one(client):
    alice = register(client)
    phone = login(client).get_json()
    laptop = login(client).get_json()
    alice.update(laptop)
    alice.enrol()
    assert alice.status()["enabled"] is True  # this session goes on
    response = client.get("/api/totp", headers={"Authorization": f"Bearer {phone['access_token']}"})
    assert response.status_code == 401, response.get_data(as_text=True)
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refreshed.status_code == 401


@pytest.fixture
def strict_app(make_totp_app):
    """Every sensitive action needs a proof in the request (``reauth_max_age = 0``)."""
    return make_totp_app(auth={"reauth_max_age": 0})


def stale() -> None:
    """Let the session's last proof get older than ``reauth_max_age = 0``."""
    time.sleep(0.05)


def test_setup_needs_a_recent_sign_in_or_the_password(strict_app):
    client = strict_app.test_client(use_cookies=False)
    alice = register(client)
    stale()
    response = alice.setup()
    assert_error(response, 403, "reauth_required")
    assert "password" in response.get_json()["error"]["methods"]
    assert_error(alice.setup({"password": "not-" + PASSWORD}), 401, "invalid_credentials")
    assert alice.setup({"password": PASSWORD}).status_code == 200
    assert alice.confirm(alice.code(0)).status_code == 200  # confirm needs no new proof


def test_changes_to_an_enabled_authenticator_need_a_fresh_proof(strict_app):
    client = strict_app.test_client(use_cookies=False)
    alice = register(client)
    alice.setup({"password": PASSWORD})
    fresh_step()
    assert alice.confirm(alice.code(-1)).status_code == 200
    stale()
    response = alice.call("POST", "/api/totp/recovery-codes")
    assert_error(response, 403, "reauth_required")
    assert {"password", "totp", "recovery_code"} <= set(response.get_json()["error"]["methods"])
    assert_error(alice.call("DELETE", "/api/totp"), 403, "reauth_required")
    assert alice.status()["enabled"] is True
    # A code proves it now; the same code again does not.
    code = alice.code(0)
    assert alice.call("POST", "/api/totp/recovery-codes", {"code": code}).status_code == 200
    assert_error(alice.call("DELETE", "/api/totp", {"code": code}), 401, "invalid_code")
    assert alice.call("DELETE", "/api/totp", {"code": alice.code(1)}).status_code == 204
    assert alice.status()["enabled"] is False


def test_a_recovery_code_is_a_proof_too(strict_app):
    client = strict_app.test_client(use_cookies=False)
    alice = register(client)
    alice.setup({"password": PASSWORD})
    fresh_step()
    assert alice.confirm(alice.code(-1)).status_code == 200
    stale()
    assert alice.call("DELETE", "/api/totp", {"code": alice.recovery_codes[0]}).status_code == 204


def test_reauth_by_code_makes_the_session_recent_again(make_totp_app):
    app = make_totp_app(auth={"reauth_max_age": 2})
    client = app.test_client(use_cookies=False)
    alice = register(client)
    alice.enrol()
    time.sleep(3.05)
    assert_error(alice.call("POST", "/api/totp/recovery-codes"), 403, "reauth_required")
    response = alice.call("POST", "/api/auth/reauth", {"code": alice.code(0)})
    assert response.status_code == 200, response.get_data(as_text=True)
    alice.update(response.get_json())
    assert alice.call("POST", "/api/totp/recovery-codes").status_code == 200


def test_an_unknown_proof_field_is_422(client):
    alice = register(client)
    response = alice.setup({"pin": "1234"})
    assert_error(response, 422, "validation_error")
