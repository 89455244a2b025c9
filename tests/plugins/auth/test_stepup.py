"""Recent authentication (contract v2, "Recent authentication (step-up)"): a sensitive action
needs ``auth_time`` within ``reauth_max_age`` or a proof in the request; ``POST /api/auth/reauth``
gives the current session a fresh ``auth_time``.

The sensitive action is the test plugin's PIN enrolment (tests/testplugins/signin_method.py),
which calls ``core.require_recent_auth`` as any plugin would.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.auth.conftest import (
    ACCESS,
    PASSWORD,
    assert_error,
    call,
    claims_of,
    csrf_headers,
    https_client,
    login,
    post,
    probe,
    set_cookies,
    signin,
    signup,
)
from tests.testplugins import signin_method

PIN = "1357"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(plugins=[signin_method], auth={"reauth_max_age": 60})


def enrol(client: Any, token: str, **proof: Any) -> Any:
    return post(client, "/api/magic/pin", {"pin": PIN, **proof}, token=token)


def stale_signin(client: Any, clock: Any, name: str = "alice", seconds: float = 61) -> Any:
    with clock.ago(seconds):
        return signin(client, name)


def test_a_recent_sign_in_is_enough(client, clock):
    signup(client, "alice")
    account = stale_signin(client, clock, seconds=59)
    assert enrol(client, account.access).status_code == 204


def test_an_old_sign_in_needs_a_proof(client, clock):
    signup(client, "alice")
    account = stale_signin(client, clock)
    response = enrol(client, account.access)
    assert_error(response, 403, "reauth_required")
    error = response.get_json()["error"]
    assert error["methods"] == ["password"]
    assert set(error) == {"code", "message", "methods"}


def test_the_password_in_the_request_proves_it(client, clock):
    signup(client, "alice")
    account = stale_signin(client, clock)
    assert_error(enrol(client, account.access, password="wrong-password-1"), 401, "invalid_credentials")
    assert enrol(client, account.access, password=PASSWORD).status_code == 204


def test_a_code_of_a_factor_proves_it(client, clock):
    owner = signup(client, "alice")
    assert enrol(client, owner.access).status_code == 204  # now alice has a PIN
    with clock.ago(61):
        first = login(client, "alice").get_json()["error"]["mfa"]["token"]
        old = post(client, "/api/auth/mfa", {"mfa_token": first, "factor": "pin", "code": PIN}).get_json()
    response = enrol(client, old["access_token"])
    assert_error(response, 403, "reauth_required")
    assert response.get_json()["error"]["methods"] == ["password", "pin"]
    assert_error(enrol(client, old["access_token"], code="0000"), 401, "invalid_code")
    assert enrol(client, old["access_token"], code=PIN).status_code == 204


def test_reauth_by_password_refreshes_auth_time_of_the_same_session(client, clock):
    signup(client, "alice")
    account = stale_signin(client, clock)
    before = claims_of(account.access)
    assert_error(
        post(client, "/api/auth/reauth", {"password": "wrong-password-1"}, token=account.access),
        401,
        "invalid_credentials",
    )
    response = post(client, "/api/auth/reauth", {"password": PASSWORD}, token=account.access)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    after = claims_of(body["access_token"])
    assert after["sid"] == before["sid"]  # no new session
    assert after["auth_time"] >= before["auth_time"] + 60
    assert after["amr"] == before["amr"] == ["pwd"]
    assert len(probe(client, body["access_token"]).get_json()["sessions"]) == 2
    assert enrol(client, body["access_token"]).status_code == 204
    # a refresh afterwards keeps the fresh auth_time
    renewed = post(client, "/api/auth/refresh", {"refresh_token": body["refresh_token"]}).get_json()
    assert claims_of(renewed["access_token"])["auth_time"] == after["auth_time"]


def test_reauth_by_code(client, clock):
    owner = signup(client, "alice")
    assert enrol(client, owner.access).status_code == 204
    with clock.ago(61):
        token = login(client, "alice").get_json()["error"]["mfa"]["token"]
        old = post(client, "/api/auth/mfa", {"mfa_token": token, "factor": "pin", "code": PIN}).get_json()
    assert_error(
        post(client, "/api/auth/reauth", {"code": "9999"}, token=old["access_token"]), 401, "invalid_code"
    )
    response = post(client, "/api/auth/reauth", {"code": PIN}, token=old["access_token"])
    assert response.status_code == 200
    assert claims_of(response.get_json()["access_token"])["amr"] == ["pwd", "pin", "mfa"]


def test_reauth_needs_a_proof_and_a_session(client):
    account = signup(client, "alice")
    assert_error(post(client, "/api/auth/reauth", {}, token=account.access), 422, "validation_error")
    assert_error(post(client, "/api/auth/reauth", {"password": PASSWORD}), 401, "unauthorized")


def test_reauth_with_cookies_refreshes_them(app, clock):
    browser = https_client(app)
    signup(browser, "alice")
    with clock.ago(61):
        login(browser, "alice")
    response = call(browser, "POST", "/api/magic/pin", {"pin": PIN}, headers=csrf_headers(browser))
    assert_error(response, 403, "reauth_required")
    response = post(browser, "/api/auth/reauth", {"password": PASSWORD}, headers=csrf_headers(browser))
    assert response.status_code == 200
    assert ACCESS in set_cookies(response)
    response = call(browser, "POST", "/api/magic/pin", {"pin": PIN}, headers=csrf_headers(browser))
    assert response.status_code == 204


def test_wrong_codes_at_reauth_count_in_the_mfa_limit(make_auth_app, clock):
    app = make_auth_app(
        plugins=[signin_method], rate_limits=True, auth={"reauth_max_age": 60, "limits": {"mfa": "2/hour"}}
    )
    client = app.test_client(use_cookies=False)
    owner = signup(client, "alice")
    assert enrol(client, owner.access).status_code == 204
    with clock.ago(61):
        token = login(client, "alice").get_json()["error"]["mfa"]["token"]
        old = post(client, "/api/auth/mfa", {"mfa_token": token, "factor": "pin", "code": PIN}).get_json()
    for _ in range(2):
        assert_error(
            post(client, "/api/auth/reauth", {"code": "0000"}, token=old["access_token"]), 401, "invalid_code"
        )
    assert_error(
        post(client, "/api/auth/reauth", {"code": PIN}, token=old["access_token"]), 429, "rate_limited"
    )


def test_the_last_sign_in_method_cannot_be_removed(client):
    response = post(client, "/api/magic/signin", {"email": "dora@example.com", "code": "424242"})
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    # dora has no password: the magic code is her only way in
    response = call(client, "DELETE", "/api/magic/link", token=token)
    assert_error(response, 409, "last_sign_in_method")
    # alice has a password too: she may drop the magic code
    signup(client, "alice")
    alice = post(client, "/api/magic/signin", {"email": "alice@example.com", "code": "424242"}).get_json()
    assert call(client, "DELETE", "/api/magic/link", token=alice["access_token"]).status_code == 204
    assert_error(call(client, "DELETE", "/api/magic/link", token=alice["access_token"]), 404, "not_found")


def test_reauth_methods_of_an_account_without_password(client, clock):
    with clock.ago(61):
        token = post(client, "/api/magic/signin", {"email": "dora@example.com", "code": "424242"}).get_json()[
            "access_token"
        ]
    response = enrol(client, token)
    assert_error(response, 403, "reauth_required")
    assert response.get_json()["error"]["methods"] == []
    # and her password login fails as any wrong login does
    assert_error(login(client, "dora@example.com", PASSWORD), 401, "invalid_credentials")


# Deleting an account: the password (v1), or a step-up for an account that has none ---------------


def magic_signin(client: Any, email: str) -> dict:
    answer = post(client, "/api/magic/signin", {"email": email, "code": "424242"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_an_account_without_a_password_deletes_itself_after_a_recent_sign_in(client, clock):
    with clock.ago(61):
        stale = magic_signin(client, "ada@example.com")
    refused = call(client, "DELETE", "/api/user", {}, token=stale["access_token"])
    assert_error(refused, 403, "reauth_required")
    assert refused.get_json()["error"]["methods"] == []  # nothing to prove: signing in again is the way
    fresh = magic_signin(client, "ada@example.com")
    assert call(client, "DELETE", "/api/user", {}, token=fresh["access_token"]).status_code == 204
    assert probe(client, fresh["access_token"]).status_code == 401
    again = magic_signin(client, "ada@example.com")  # the address is free: a new account
    assert again["user"]["id"] != fresh["user"]["id"]


def test_an_account_without_a_password_may_prove_a_factor_when_deleting(client, clock):
    first = magic_signin(client, "ada@example.com")
    assert enrol(client, first["access_token"]).status_code == 204
    with clock.ago(61):
        challenge = post(client, "/api/magic/signin", {"email": "ada@example.com", "code": "424242"})
        token = challenge.get_json()["error"]["mfa"]["token"]
        old = post(client, "/api/auth/mfa", {"mfa_token": token, "factor": "pin", "code": PIN}).get_json()
    wrong = call(client, "DELETE", "/api/user", {"code": "0000"}, token=old["access_token"])
    assert_error(wrong, 401, "invalid_code")
    done = call(client, "DELETE", "/api/user", {"code": PIN}, token=old["access_token"])
    assert done.status_code == 204


def test_an_account_with_a_password_still_needs_it_to_delete_itself(client):
    signup(client, "alice")
    token = signin(client, "alice").access  # recent, but v1 asks for the password all the same
    missing = call(client, "DELETE", "/api/user", {}, token=token)
    assert_error(missing, 422, "validation_error")
    assert missing.get_json()["error"]["fields"] == {"password": "field required"}
    wrong = call(client, "DELETE", "/api/user", {"password": "wrong-one-1"}, token=token)
    assert_error(wrong, 401, "invalid_credentials")
    assert call(client, "DELETE", "/api/user", {"password": PASSWORD}, token=token).status_code == 204
