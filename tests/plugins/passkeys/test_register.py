"""Registering passkeys (api-v2.md, "`passkeys` plugin"): the creation options, the checks of a
registration response, and listing, renaming and removing what was stored."""

from __future__ import annotations

import re
import time

from tests.plugins.passkeys.authenticator import Authenticator, unb64url
from tests.plugins.passkeys.conftest import (
    ORIGIN,
    PASSWORD,
    RP_ID,
    activity,
    assert_error,
    call,
    enrol,
    passkeys_of,
    register_response,
    registration_options,
    signup,
    stored_rows,
    update_rows,
)

RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"


def test_creation_options_follow_the_contract(client):
    alice = signup(client)
    options = registration_options(client, alice)
    assert options["rp"] == {"id": RP_ID, "name": RP_ID}
    assert options["user"]["name"] == "alice"
    handle = unb64url(options["user"]["id"])
    assert len(handle) >= 16
    assert str(alice.id).encode() not in (handle, options["user"]["id"].encode())
    assert b"alice" not in handle and "alice" not in options["user"]["id"]
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -8, -257]  # ES256, EdDSA, RS256
    assert {p["type"] for p in options["pubKeyCredParams"]} == {"public-key"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == []
    assert options["timeout"] == 300_000
    assert len(unb64url(options["challenge"])) >= 16
    # A fresh challenge each time, the same handle for the same user.
    again = registration_options(client, alice)
    assert again["challenge"] != options["challenge"]
    assert again["user"]["id"] == options["user"]["id"]
    assert registration_options(client, signup(client, "bob"))["user"]["id"] != options["user"]["id"]


def test_register_list_rename_and_remove(client, key):
    alice = signup(client)
    created = enrol(client, alice, key, name="  Yellow   key ")
    assert set(created) == {"id", "name", "created_at", "last_used_at", "backed_up"}
    assert created["name"] == "Yellow key"
    assert created["last_used_at"] is None
    assert created["backed_up"] is False
    assert re.match(RFC3339, created["created_at"])
    assert passkeys_of(client, alice) == [created]
    assert "passkey_added" in activity(client, alice)

    # The next options exclude it, so the authenticator does not make a second one.
    options = registration_options(client, alice)
    assert [unb64url(item["id"]) for item in options["excludeCredentials"]] == list(key.credentials)

    renamed = call(client, "PATCH", f"/api/passkeys/{created['id']}", alice, {"name": "Keyring"})
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    assert renamed.get_json() == {**created, "name": "Keyring"}
    assert passkeys_of(client, alice)[0]["name"] == "Keyring"

    removed = call(client, "DELETE", f"/api/passkeys/{created['id']}", alice)
    assert removed.status_code == 204
    assert passkeys_of(client, alice) == []
    assert activity(client, alice)[0] == "passkey_removed"


def test_a_synced_passkey_is_shown_backed_up(client):
    alice = signup(client)
    created = enrol(client, alice, Authenticator(synced=True, counting=False), name="Phone")
    assert created["backed_up"] is True


def test_the_name_defaults_and_is_checked(client, key):
    alice = signup(client)
    options = registration_options(client, alice)
    response = register_response(client, alice, key.create(options, ORIGIN))
    assert response.status_code == 201
    assert response.get_json()["name"] == "Passkey"
    for bad in ("", "   ", "x" * 65):
        answer = call(client, "PATCH", f"/api/passkeys/{response.get_json()['id']}", alice, {"name": bad})
        assert_error(answer, 422, "validation_error")


def refused(client, app, user, credential):
    """The registration answers 400 invalid_credential and stores nothing."""
    count = len(stored_rows(app, "passkeys_credentials"))
    response = register_response(client, user, credential, "x")
    assert_error(response, 400, "invalid_credential")
    assert len(stored_rows(app, "passkeys_credentials")) == count
    return response


def test_a_challenge_answers_once(app, client, key):
    alice = signup(client)
    options = registration_options(client, alice)
    first = key.create(options, ORIGIN)
    assert register_response(client, alice, first).status_code == 201
    # The same response again, and a new credential answering the used challenge.
    refused(client, app, alice, first)
    refused(client, app, alice, Authenticator().create(options, ORIGIN))


def test_a_challenge_the_server_never_issued_is_refused(app, client, key):
    alice = signup(client)
    options = registration_options(client, alice)
    refused(client, app, alice, key.create(options, ORIGIN, challenge="bm90LWlzc3VlZC1ieS10aGUtc2VydmVy"))


def test_another_users_challenge_is_refused(app, client, key):
    alice, bob = signup(client), signup(client, "bob")
    bobs = registration_options(client, bob)
    refused(client, app, alice, key.create(bobs, ORIGIN))
    # Bob's challenge was not used up by Alice's attempt.
    assert register_response(client, bob, Authenticator().create(bobs, ORIGIN)).status_code == 201


def test_a_sign_in_challenge_does_not_register(app, client, key):
    alice = signup(client)
    options = registration_options(client, alice)
    sign_in = call(client, "POST", "/api/passkeys/login/options", body={}).get_json()
    refused(client, app, alice, key.create(options, ORIGIN, challenge=sign_in["challenge"]))


def test_an_expired_challenge_is_refused(make_passkeys_app, key):
    app = make_passkeys_app()
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    options = registration_options(client, alice)
    update_rows(app, "UPDATE passkeys_challenges SET expires_at = expires_at - 301")
    refused(client, app, alice, key.create(options, ORIGIN))


def test_the_wrong_origin_is_refused(app, client, key):
    alice = signup(client)
    for origin in ("https://localhost:5000", "http://localhost:5001", "http://evil.example", "null"):
        refused(client, app, alice, key.create(registration_options(client, alice), origin))


def test_the_wrong_relying_party_is_refused(app, client, key):
    alice = signup(client)
    refused(client, app, alice, key.create(registration_options(client, alice), ORIGIN, rp_id="example.com"))


def test_no_user_verification_is_refused(app, client, key):
    alice = signup(client)
    options = registration_options(client, alice)
    refused(client, app, alice, key.create(options, ORIGIN, user_verified=False))


def test_an_assertion_is_not_a_registration(app, client, key):
    alice = signup(client)
    options = registration_options(client, alice)
    refused(client, app, alice, key.create(options, ORIGIN, ceremony="webauthn.get"))


def test_a_credential_id_already_registered_is_refused(app, client, key):
    alice, bob = signup(client), signup(client, "bob")
    enrol(client, alice, key)
    taken = next(iter(key.credentials))
    # The same authenticator credential id again, for Alice and for Bob.
    for user in (alice, bob):
        options = registration_options(client, user)
        refused(client, app, user, Authenticator().create(options, ORIGIN, credential_id=taken))
    assert [row["user_id"] for row in stored_rows(app, "passkeys_credentials")] == [alice.id]


def test_garbage_is_a_clear_error_never_a_500(app, client):
    alice = signup(client)
    options = registration_options(client, alice)
    good = Authenticator().create(options, ORIGIN)
    broken = [
        {**good, "rawId": "not base64!"},
        {**good, "id": "AAAA"},
        {**good, "type": "password"},
        {**good, "response": {**good["response"], "clientDataJSON": "e30"}},  # {}
        {**good, "response": {**good["response"], "attestationObject": "AAAA"}},
        {**good, "response": {**good["response"], "clientDataJSON": "////"}},
    ]
    for credential in broken:
        response = register_response(client, alice, credential)
        assert response.status_code in (400, 422), response.get_data(as_text=True)
        assert error_code_of(response) in ("invalid_credential", "validation_error")
    for body in ({}, {"credential": "text"}, {"credential": {}}, {"credential": good, "extra": 1}):
        assert call(client, "POST", "/api/passkeys/register", alice, body).status_code == 422
    assert stored_rows(app, "passkeys_credentials") == []


def error_code_of(response):
    return (response.get_json(silent=True) or {}).get("error", {}).get("code")


def test_registering_needs_a_signed_in_user(client, key):
    assert_error(call(client, "POST", "/api/passkeys/register/options", body={}), 401, "unauthorized")
    assert_error(call(client, "POST", "/api/passkeys/register", body={"credential": {}}), 401, "unauthorized")
    assert_error(call(client, "GET", "/api/passkeys"), 401, "unauthorized")


def test_register_options_need_a_recent_sign_in(make_passkeys_app, key):
    app = make_passkeys_app(auth={"reauth_max_age": 1})
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    assert registration_options(client, alice)  # just signed in
    time.sleep(2.1)
    stale = call(client, "POST", "/api/passkeys/register/options", alice, {})
    assert_error(stale, 403, "reauth_required")
    assert "password" in stale.get_json()["error"]["methods"]
    # The password in the same request proves it now.
    assert registration_options(client, alice, {"password": PASSWORD})
    wrong = call(client, "POST", "/api/passkeys/register/options", alice, {"password": "not-it-at-all"})
    assert wrong.status_code == 401
    # So does a fresh proof through POST /api/auth/reauth.
    reauth = call(client, "POST", "/api/auth/reauth", alice, {"password": PASSWORD})
    assert reauth.status_code == 200, reauth.get_data(as_text=True)
    alice.token = reauth.get_json()["access_token"]
    enrol(client, alice, key)


def test_removing_needs_a_recent_sign_in(make_passkeys_app, key):
    app = make_passkeys_app(auth={"reauth_max_age": 1})
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    created = enrol(client, alice, key)
    time.sleep(2.1)
    assert_error(call(client, "DELETE", f"/api/passkeys/{created['id']}", alice), 403, "reauth_required")
    assert len(passkeys_of(client, alice)) == 1
    done = call(client, "DELETE", f"/api/passkeys/{created['id']}", alice, {"password": PASSWORD})
    assert done.status_code == 204, done.get_data(as_text=True)
    assert passkeys_of(client, alice) == []
