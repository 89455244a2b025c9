"""The MFA challenge (contract v2, "The sign-in model"): a correct first step of a user with a
second factor answers ``401 mfa_required``; ``POST /api/auth/mfa`` finishes it.

The second factor is the third-party test plugin's PIN (tests/testplugins/signin_method.py),
so every factor plugin gets exactly what these tests show.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.auth.conftest import (
    ACCESS,
    COOKIES,
    DEVICE,
    PASSWORD,
    assert_error,
    claims_of,
    https_client,
    login,
    post,
    probe,
    set_cookies,
    signup,
)
from tests.testplugins import signin_method

PIN = "2468"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(plugins=[signin_method])


def enrol_pin(client: Any, token: str, pin: str = PIN) -> None:
    response = post(client, "/api/magic/pin", {"pin": pin}, token=token)
    assert response.status_code == 204, response.get_data(as_text=True)


def challenge_of(response: Any) -> dict[str, Any]:
    assert_error(response, 401, "mfa_required")
    return response.get_json()["error"]["mfa"]


@pytest.fixture
def alice(client):
    account = signup(client, "alice")
    enrol_pin(client, account.access)
    return account


def mfa(client: Any, token: str, factor: str = "pin", **proof: Any) -> Any:
    return post(client, "/api/auth/mfa", {"mfa_token": token, "factor": factor, **proof})


def test_without_a_factor_login_is_unchanged(client):
    signup(client, "bob")
    response = login(client, "bob")
    assert response.status_code == 200
    claims = claims_of(response.get_json()["access_token"])
    assert claims["amr"] == ["pwd"]
    assert isinstance(claims["auth_time"], int)


def test_a_factor_turns_login_into_a_challenge_without_cookies_or_tokens(app, alice):
    browser = https_client(app)
    response = login(browser, "alice")
    mfa_body = challenge_of(response)
    assert set(mfa_body) == {"token", "factors", "expires_in"}
    assert mfa_body["factors"] == ["pin"] and mfa_body["expires_in"] == 300
    assert isinstance(mfa_body["token"], str) and len(mfa_body["token"]) >= 32
    assert set(response.get_json()["error"]) == {"code", "message", "mfa"}
    assert "access_token" not in response.get_data(as_text=True)
    assert response.headers.getlist("Set-Cookie") == []


def test_a_wrong_password_never_reveals_mfa(client, alice):
    signup(client, "bob")
    for name in ("alice", "bob", "nobody"):
        response = login(client, name, "wrong-password-123")
        assert_error(response, 401, "invalid_credentials")
        assert "mfa" not in response.get_json()["error"]


def test_mfa_with_the_factor_answers_like_login(app, alice):
    browser = https_client(app)
    challenge = challenge_of(login(browser, "alice"))
    response = mfa(browser, challenge["token"], code=PIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["user"]["username"] == "alice"
    assert set(set_cookies(response)) == {*COOKIES, DEVICE}
    for token in (body["access_token"], body["refresh_token"]):
        claims = claims_of(token)
        assert claims["amr"] == ["pwd", "pin", "mfa"]
        assert abs(claims["auth_time"] - claims["iat"]) <= 2
    assert probe(browser, body["access_token"]).status_code == 200
    # the session list tells how this session signed in
    sessions = probe(browser, body["access_token"]).get_json()["sessions"]
    current = [s for s in sessions if s["current"]]
    assert current[0]["methods"] == ["pwd", "pin", "mfa"]


def test_refresh_keeps_amr_and_auth_time(client, alice):
    first = mfa(client, challenge_of(login(client, "alice"))["token"], code=PIN).get_json()
    renewed = post(client, "/api/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200
    before, after = claims_of(first["access_token"]), claims_of(renewed.get_json()["access_token"])
    assert after["amr"] == before["amr"] == ["pwd", "pin", "mfa"]
    assert after["auth_time"] == before["auth_time"]


def test_a_wrong_code_is_invalid_code_and_the_token_still_works(client, alice):
    token = challenge_of(login(client, "alice"))["token"]
    assert_error(mfa(client, token, code="0000"), 401, "invalid_code")
    assert_error(mfa(client, token), 401, "invalid_code")  # no code at all
    assert mfa(client, token, code=PIN).status_code == 200


def test_the_token_is_single_use(client, alice):
    token = challenge_of(login(client, "alice"))["token"]
    assert mfa(client, token, code=PIN).status_code == 200
    assert_error(mfa(client, token, code=PIN), 400, "invalid_token")


def test_five_wrong_factors_end_the_token(client, alice):
    token = challenge_of(login(client, "alice"))["token"]
    for _ in range(5):
        assert_error(mfa(client, token, code="0000"), 401, "invalid_code")
    assert_error(mfa(client, token, code=PIN), 400, "invalid_token")
    # a new first step opens a new challenge
    assert mfa(client, challenge_of(login(client, "alice"))["token"], code=PIN).status_code == 200


def test_the_token_expires_after_five_minutes(client, alice, clock):
    with clock.ago(301):
        old = challenge_of(login(client, "alice"))["token"]
    with clock.ago(299):
        recent = challenge_of(login(client, "alice"))["token"]
    assert_error(mfa(client, old, code=PIN), 400, "invalid_token")
    assert mfa(client, recent, code=PIN).status_code == 200


def test_unknown_tokens_and_factors(client, alice):
    assert_error(mfa(client, "not-a-token", code=PIN), 400, "invalid_token")
    token = challenge_of(login(client, "alice"))["token"]
    response = mfa(client, token, factor="totp", code="123456")
    assert_error(response, 400, "unknown_factor")
    assert "pin" in response.get_json()["error"]["message"]
    assert mfa(client, token, code=PIN).status_code == 200


def test_bad_bodies_are_422(client, alice):
    for body in ({}, {"mfa_token": "x"}, {"factor": "pin"}, {"mfa_token": 3, "factor": "pin"}):
        assert_error(post(client, "/api/auth/mfa", body), 422, "validation_error")


def test_wrong_codes_are_rate_limited_per_account(make_auth_app):
    app = make_auth_app(plugins=[signin_method], rate_limits=True, auth={"limits": {"mfa": "3/hour"}})
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice")
    enrol_pin(client, account.access)
    for _ in range(3):
        token = challenge_of(login(client, "alice", ip="192.0.2.1"))["token"]
        assert_error(mfa(client, token, code="0000"), 401, "invalid_code")
    token = challenge_of(login(client, "alice", ip="192.0.2.2"))["token"]
    response = mfa(client, token, code=PIN)
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


def test_the_magic_method_gets_the_challenge_too(client, alice):
    response = post(client, "/api/magic/signin", {"email": alice.email, "code": "424242"})
    challenge = challenge_of(response)
    assert challenge["factors"] == ["pin"]
    done = mfa(client, challenge["token"], code=PIN)
    assert done.status_code == 200
    assert claims_of(done.get_json()["access_token"])["amr"] == ["magic", "pin", "mfa"]


def test_mfa_challenge_user_answers_without_using_the_token(app, client, alice):
    from core import mfa_user

    token = challenge_of(login(client, "alice"))["token"]
    with app.test_request_context():
        assert mfa_user(token) == alice.id
        assert mfa_user(token) == alice.id
        assert mfa_user("nope") is None
    assert mfa(client, token, code=PIN).status_code == 200
    with app.test_request_context():
        assert mfa_user(token) is None


def test_cookie_login_with_mfa_sets_cookies_only_at_the_end(app, alice):
    browser = https_client(app)
    challenge = challenge_of(login(browser, "alice"))
    assert browser.get_cookie(ACCESS) is None
    assert mfa(browser, challenge["token"], code=PIN).status_code == 200
    assert browser.get_cookie(ACCESS) is not None
    assert PASSWORD  # the password was sent once, at the first step
