"""Passwordless sign-in with a passkey (api-v2.md, "`passkeys` plugin"): discoverable request
options, the token body with ``amr`` ``hwk``/``swk`` and no MFA challenge, and every bad
assertion refused with ``401 invalid_credentials``."""

from __future__ import annotations

import time

from tests.plugins.passkeys.authenticator import Authenticator, unb64url
from tests.plugins.passkeys.conftest import (
    ORIGIN,
    RP_ID,
    activity,
    assert_error,
    claims,
    enrol,
    login_options,
    passkey_login,
    passkeys_of,
    password_login,
    sign_in_options,
    signup,
    stored_rows,
    update_rows,
)


def signed_in(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_request_options_are_discoverable_with_a_fresh_challenge(client):
    for body in (None, {}):
        response = login_options(client, body)
        assert response.status_code == 200, response.get_data(as_text=True)
        options = response.get_json()
        assert options["allowCredentials"] == []
        assert options["rpId"] == RP_ID
        assert options["userVerification"] == "required"
        assert len(unb64url(options["challenge"])) >= 16
        assert response.headers["Cache-Control"] == "no-store"
    assert sign_in_options(client)["challenge"] != sign_in_options(client)["challenge"]


def test_a_security_key_signs_in_with_amr_hwk_and_no_second_factor(client, key):
    alice = signup(client)
    created = enrol(client, alice, key)
    # Alice now has a second factor: her password alone is no longer enough...
    assert_error(password_login(client), 401, "mfa_required")
    # ...but her user-verified passkey is a multi-factor sign-in on its own.
    body = signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))
    assert body["user"]["id"] == alice.id
    assert body["token_type"].lower() == "bearer"
    assert claims(body["access_token"])["amr"] == ["hwk"]
    assert abs(claims(body["access_token"])["auth_time"] - time.time()) < 60
    assert passkeys_of(client, alice)[0]["last_used_at"] is not None
    assert passkeys_of(client, alice)[0]["created_at"] == created["created_at"]
    assert "login" in activity(client, alice)


def test_a_synced_passkey_signs_in_with_amr_swk_again_and_again(client):
    alice = signup(client)
    phone = Authenticator(synced=True, counting=False)  # counter stays 0, as synced passkeys do
    enrol(client, alice, phone)
    for _ in range(3):
        body = signed_in(passkey_login(client, phone.get(sign_in_options(client), ORIGIN)))
        assert claims(body["access_token"])["amr"] == ["swk"]


def test_the_session_is_real(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    body = signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))
    sessions = client.get("/api/auth/sessions", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert sessions.status_code == 200
    assert len(sessions.get_json()["sessions"]) == 2  # the registration's and this one
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.get_data(as_text=True)


def test_a_cookie_browser_gets_the_session_cookies(app, key):
    api = app.test_client(use_cookies=False)
    alice = signup(api)
    enrol(api, alice, key)
    browser = app.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    options = browser.post("/api/passkeys/login/options", json={}).get_json()
    response = browser.post("/api/passkeys/login", json={"credential": key.get(options, ORIGIN)})
    assert response.status_code == 200
    names = {header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie")}
    assert any("annex_access" in name for name in names), names


def test_a_replayed_assertion_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    options = sign_in_options(client)
    assertion = key.get(options, ORIGIN)
    signed_in(passkey_login(client, assertion))
    assert_error(passkey_login(client, assertion), 401, "invalid_credentials")
    # A new signature with a higher counter over the used challenge is refused too.
    assert_error(passkey_login(client, key.get(options, ORIGIN)), 401, "invalid_credentials")


def test_a_challenge_never_issued_or_expired_is_refused(app, client, key):
    alice = signup(client)
    enrol(client, alice, key)
    made_up = key.get(sign_in_options(client), ORIGIN, challenge="c29tZS1jaGFsbGVuZ2Utb2YtbXktb3du")
    assert_error(passkey_login(client, made_up), 401, "invalid_credentials")
    options = sign_in_options(client)
    update_rows(app, "UPDATE passkeys_challenges SET expires_at = expires_at - 301")
    assert_error(passkey_login(client, key.get(options, ORIGIN)), 401, "invalid_credentials")


def test_a_registration_challenge_does_not_sign_in(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    options = client.post("/api/passkeys/register/options", json={}, headers=alice.headers).get_json()
    assertion = key.get({"challenge": options["challenge"], "rpId": RP_ID, "allowCredentials": []}, ORIGIN)
    assert_error(passkey_login(client, assertion), 401, "invalid_credentials")


def test_the_wrong_origin_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    for origin in ("https://localhost:5000", "http://localhost", "http://evil.example"):
        assert_error(
            passkey_login(client, key.get(sign_in_options(client), origin)), 401, "invalid_credentials"
        )


def test_an_extra_origin_is_accepted(make_passkeys_app, key):
    app = make_passkeys_app(passkeys={"extra_origins": ["http://localhost:8080"]})
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    options = client.post("/api/passkeys/register/options", json={}, headers=alice.headers).get_json()
    created = client.post(
        "/api/passkeys/register",
        json={"credential": key.create(options, "http://localhost:8080")},
        headers=alice.headers,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    signed_in(passkey_login(client, key.get(sign_in_options(client), "http://localhost:8080")))
    signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))


def test_the_wrong_relying_party_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    assertion = key.get(sign_in_options(client), ORIGIN, rp_id="example.com")
    assert_error(passkey_login(client, assertion), 401, "invalid_credentials")


def test_no_user_verification_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    assertion = key.get(sign_in_options(client), ORIGIN, user_verified=False)
    assert_error(passkey_login(client, assertion), 401, "invalid_credentials")


def test_an_unknown_passkey_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    stranger = Authenticator()
    stranger.create({"rp": {"id": RP_ID}, "user": {"id": "AAAA"}, "challenge": "AAAA"}, ORIGIN)
    assert_error(
        passkey_login(client, stranger.get(sign_in_options(client), ORIGIN)), 401, "invalid_credentials"
    )


def test_a_signature_of_another_key_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    impostor = Authenticator()
    credential_id = next(iter(key.credentials))
    impostor.create(
        {"rp": {"id": RP_ID}, "user": {"id": "AAAA"}, "challenge": "AAAA"},
        ORIGIN,
        credential_id=credential_id,
    )
    assert_error(
        passkey_login(client, impostor.get(sign_in_options(client), ORIGIN)), 401, "invalid_credentials"
    )


def test_a_user_handle_that_is_not_the_owners_is_refused(client, key):
    alice, bob = signup(client), signup(client, "bob")
    enrol(client, alice, key)
    bobs_handle = client.post("/api/passkeys/register/options", json={}, headers=bob.headers).get_json()
    credential = next(iter(key.credentials.values()))
    credential.user_handle = unb64url(bobs_handle["user"]["id"])
    assert_error(passkey_login(client, key.get(sign_in_options(client), ORIGIN)), 401, "invalid_credentials")


def test_a_counter_that_goes_backwards_is_refused_and_recorded(app, client, key):
    alice = signup(client)
    enrol(client, alice, key)
    copy = key.clone()  # a cloned authenticator: the same key and the same counter
    signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))  # counter 1
    signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))  # counter 2
    stored = stored_rows(app, "passkeys_credentials")[0]["sign_count"]
    cloned = copy.get(sign_in_options(client), ORIGIN)  # counter 1 again
    assert_error(passkey_login(client, cloned), 401, "invalid_credentials")
    assert activity(client, alice)[0] == "passkey_clone_suspected"
    # An equal counter is no forward step either; the stored counter did not move.
    same = key.get(sign_in_options(client), ORIGIN, sign_count=2)
    assert_error(passkey_login(client, same), 401, "invalid_credentials")
    assert stored_rows(app, "passkeys_credentials")[0]["sign_count"] == stored
    # The real authenticator goes on counting and still signs in.
    signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))


def test_a_counter_that_stops_counting_is_refused(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    signed_in(passkey_login(client, key.get(sign_in_options(client), ORIGIN)))
    zero = key.get(sign_in_options(client), ORIGIN, sign_count=0)
    assert_error(passkey_login(client, zero), 401, "invalid_credentials")


def test_garbage_is_a_clear_error_never_a_500(client, key):
    alice = signup(client)
    enrol(client, alice, key)
    good = key.get(sign_in_options(client), ORIGIN)
    broken = [
        {**good, "rawId": "!!"},
        {**good, "type": "password"},
        {**good, "response": {**good["response"], "signature": "AAAA"}},
        {**good, "response": {**good["response"], "authenticatorData": "AAAA"}},
        {**good, "response": {**good["response"], "clientDataJSON": "e30"}},
        {**good, "response": {**good["response"], "userHandle": "@@"}},
    ]
    for credential in broken:
        response = passkey_login(client, credential)
        assert response.status_code in (401, 422), response.get_data(as_text=True)
    for body in ({}, {"credential": None}, {"credential": []}, {"credential": good, "more": 1}):
        assert client.post("/api/passkeys/login", json=body).status_code == 422
    assert client.post("/api/passkeys/login/options", json={"other": 1}).status_code == 422
    assert client.post("/api/passkeys/login/options", data="x", content_type="text/plain").status_code == 415


def test_sign_in_attempts_are_rate_limited_per_ip(make_passkeys_app, key):
    app = make_passkeys_app(rate_limits=True, passkeys={"limits": {"login": "3/minute"}})
    client = app.test_client(use_cookies=False)
    options = sign_in_options(client)
    bogus = key
    bogus.create({"rp": {"id": RP_ID}, "user": {"id": "AAAA"}, "challenge": "AAAA"}, ORIGIN)
    here = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    for _ in range(3):
        assert_error(passkey_login(client, bogus.get(options, ORIGIN), **here), 401, "invalid_credentials")
    limited = passkey_login(client, bogus.get(options, ORIGIN), **here)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    other = {"environ_base": {"REMOTE_ADDR": "198.51.100.8"}}
    assert_error(passkey_login(client, bogus.get(options, ORIGIN), **other), 401, "invalid_credentials")


def test_a_disabled_plugin_has_no_routes(make_app):
    app = make_app({"plugins": {"enabled": ["auth"]}, "rate_limits": {"enabled": False}})
    client = app.test_client()
    assert client.post("/api/passkeys/login/options", json={}).status_code == 404
    assert client.post("/api/passkeys/login", json={}).status_code == 404
