"""A passkey as the second factor after a password (api-v2.md, "The sign-in model" and
"`passkeys` plugin"), and as the fresh proof of a re-authentication."""

from __future__ import annotations

import time

from tests.plugins.passkeys.authenticator import Authenticator, unb64url
from tests.plugins.passkeys.conftest import (
    ORIGIN,
    assert_error,
    call,
    claims,
    enrol,
    login_options,
    password_login,
    sign_in_options,
    signup,
)


def mfa_token(client, username="alice"):
    response = password_login(client, username)
    assert_error(response, 401, "mfa_required")
    assert not response.headers.getlist("Set-Cookie")
    challenge = response.get_json()["error"]["mfa"]
    assert "passkey" in challenge["factors"]
    return challenge["token"]


def mfa_options(client, token):
    response = login_options(client, {"mfa_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def answer(client, token, credential):
    return client.post(
        "/api/auth/mfa", json={"mfa_token": token, "factor": "passkey", "credential": credential}
    )


def test_a_password_then_a_passkey(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    token = mfa_token(client)
    options = mfa_options(client, token)
    assert [unb64url(item["id"]) for item in options["allowCredentials"]] == list(key.credentials)
    assert options["userVerification"] == "required"
    response = answer(client, token, key.get(options, ORIGIN))
    assert response.status_code == 200, response.get_data(as_text=True)
    amr = claims(response.get_json()["access_token"])["amr"]
    assert {"pwd", "hwk", "mfa"} <= set(amr)
    # The MFA token is used up.
    assert_error(
        answer(client, token, key.get(mfa_options(client, mfa_token(client)), ORIGIN)), 400, "invalid_token"
    )


def test_the_options_list_only_that_users_passkeys(client):
    alice, bob = signup(client), signup(client, "bob")
    alices, bobs = Authenticator(), Authenticator()
    enrol(client, alice, alices)
    enrol(client, alice, Authenticator(synced=True))
    enrol(client, bob, bobs)
    options = mfa_options(client, mfa_token(client, "bob"))
    assert [unb64url(item["id"]) for item in options["allowCredentials"]] == list(bobs.credentials)
    assert len(mfa_options(client, mfa_token(client, "alice"))["allowCredentials"]) == 2


def test_another_users_passkey_is_a_wrong_factor(client):
    alice, bob = signup(client), signup(client, "bob")
    alices, bobs = Authenticator(), Authenticator()
    enrol(client, alice, alices)
    enrol(client, bob, bobs)
    token = mfa_token(client, "alice")
    # Bob's passkey, over a challenge issued for nobody in particular and over Alice's.
    assert_error(answer(client, token, bobs.get(sign_in_options(client), ORIGIN)), 401, "invalid_code")
    options = mfa_options(client, token)
    bobs_credential = next(iter(bobs.credentials))
    assert_error(
        answer(client, token, bobs.get(options, ORIGIN, credential_id=bobs_credential)), 401, "invalid_code"
    )
    # Alice's own passkey still works on the same token.
    response = answer(client, token, alices.get(mfa_options(client, token), ORIGIN))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_bad_assertion_is_a_wrong_factor(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    token = mfa_token(client)
    options = mfa_options(client, token)
    assert_error(answer(client, token, key.get(options, ORIGIN, user_verified=False)), 401, "invalid_code")
    assert_error(answer(client, token, key.get(options, "http://evil.example")), 401, "invalid_code")
    assert_error(answer(client, token, {"id": "AAAA"}), 401, "invalid_code")
    # The challenge of the options was used up by the first wrong answer.
    assert_error(answer(client, token, key.get(options, ORIGIN)), 401, "invalid_code")
    response = answer(client, token, key.get(mfa_options(client, token), ORIGIN))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_unknown_mfa_token_gets_no_options(client):
    assert_error(login_options(client, {"mfa_token": "no-such-token"}), 400, "invalid_token")


def test_a_wrong_password_says_nothing_about_passkeys(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    wrong = client.post("/api/auth/login", json={"username": "alice", "password": "not-the-password-1"})
    nobody = client.post("/api/auth/login", json={"username": "nobody", "password": "not-the-password-1"})
    assert_error(wrong, 401, "invalid_credentials")
    assert wrong.get_json() == nobody.get_json()


def test_a_passkey_reauthenticates(make_passkeys_app, key):
    app = make_passkeys_app(auth={"reauth_max_age": 1})
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    created = enrol(client, alice, key)
    time.sleep(2.1)
    assert_error(call(client, "DELETE", f"/api/passkeys/{created['id']}", alice), 403, "reauth_required")
    # Through POST /api/auth/reauth: a fresh auth_time for this session.
    before = claims(alice.token)["auth_time"]
    response = call(
        client, "POST", "/api/auth/reauth", alice, {"credential": key.get(sign_in_options(client), ORIGIN)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    alice.token = response.get_json()["access_token"]
    assert claims(alice.token)["auth_time"] > before
    # A used assertion does not reauthenticate again.
    time.sleep(2.1)
    stale = key.get(sign_in_options(client), ORIGIN)
    assert call(client, "POST", "/api/auth/reauth", alice, {"credential": stale}).status_code == 200
    assert_error(call(client, "POST", "/api/auth/reauth", alice, {"credential": stale}), 401, "invalid_code")


def test_a_passkey_in_the_request_is_the_proof(make_passkeys_app):
    app = make_passkeys_app(auth={"reauth_max_age": 1})
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    first, second = Authenticator(), Authenticator()
    created = enrol(client, alice, first)
    time.sleep(2.1)
    proof = {"credential": first.get(sign_in_options(client), ORIGIN)}
    options = call(client, "POST", "/api/passkeys/register/options", alice, proof)
    assert options.status_code == 200, options.get_data(as_text=True)
    added = call(
        client,
        "POST",
        "/api/passkeys/register",
        alice,
        {"credential": second.create(options.get_json(), ORIGIN)},
    )
    assert added.status_code == 201
    # Another user's passkey proves nothing about Alice.
    bob = signup(client, "bob")
    bobs = Authenticator()
    enrol(client, bob, bobs)
    foreign = {"credential": bobs.get(sign_in_options(client), ORIGIN)}
    assert call(client, "DELETE", f"/api/passkeys/{created['id']}", alice, foreign).status_code == 401
    own = {"credential": second.get(sign_in_options(client), ORIGIN)}
    assert call(client, "DELETE", f"/api/passkeys/{created['id']}", alice, own).status_code == 204
    assert_error(password_login(client, "alice"), 401, "mfa_required")  # a passkey is left
