"""Whose passkeys are whose, the last way to sign in, the account's export and deletion, races,
and the relying party's settings."""

from __future__ import annotations

import threading

import pytest

from core import ConfigError, create_app
from tests.plugins.passkeys.authenticator import Authenticator
from tests.plugins.passkeys.conftest import (
    ORIGIN,
    PASSWORD,
    assert_error,
    call,
    claims,
    enrol,
    passkey_login,
    passkeys_of,
    passwordless_account,
    registration_options,
    sign_in_options,
    signup,
    stored_rows,
)


def test_another_users_passkey_is_not_found(client, key):
    alice, bob = signup(client), signup(client, "bob")
    created = enrol(client, alice, key)
    path = f"/api/passkeys/{created['id']}"
    assert_error(call(client, "PATCH", path, bob, {"name": "mine now"}), 404, "not_found")
    assert_error(call(client, "DELETE", path, bob, {"password": PASSWORD}), 404, "not_found")
    assert passkeys_of(client, bob) == []
    assert passkeys_of(client, alice) == [created]
    assert_error(call(client, "PATCH", "/api/passkeys/999999", alice, {"name": "x"}), 404, "not_found")
    assert_error(call(client, "DELETE", "/api/passkeys/999999", alice), 404, "not_found")


def test_the_last_way_to_sign_in_is_never_removed(app, client):
    paula = passwordless_account(app)
    first, second = Authenticator(), Authenticator(synced=True)
    one = enrol(client, paula, first)
    two = enrol(client, paula, second)
    assert call(client, "DELETE", f"/api/passkeys/{one['id']}", paula).status_code == 204
    last = call(client, "DELETE", f"/api/passkeys/{two['id']}", paula)
    assert_error(last, 409, "last_sign_in_method")
    assert passkeys_of(client, paula) == [two]
    # And it still signs her in.
    response = passkey_login(client, second.get(sign_in_options(client), ORIGIN))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert claims(response.get_json()["access_token"])["amr"] == ["swk"]


def test_a_password_account_may_remove_every_passkey(client, key):
    alice = signup(client)
    created = enrol(client, alice, key)
    assert call(client, "DELETE", f"/api/passkeys/{created['id']}", alice).status_code == 204
    # With no passkey left, the password alone signs in again.
    assert client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200


def test_two_removals_at_once_leave_the_last_passkey(app):
    client = app.test_client(use_cookies=False)
    paula = passwordless_account(app)
    made = [enrol(client, paula, Authenticator()) for _ in range(2)]
    barrier = threading.Barrier(2)
    results = [0, 0]

    def remove(i):
        own = app.test_client(use_cookies=False)
        barrier.wait()
        results[i] = call(own, "DELETE", f"/api/passkeys/{made[i]['id']}", paula).status_code

    threads = [threading.Thread(target=remove, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [204, 409]
    assert len(passkeys_of(client, paula)) == 1


def test_one_assertion_sent_twice_at_once_signs_in_once(app, key):
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    enrol(client, alice, key)
    assertion = key.get(sign_in_options(client), ORIGIN)
    barrier = threading.Barrier(4)
    results = [0] * 4

    def send(i):
        own = app.test_client(use_cookies=False)
        barrier.wait()
        results[i] = passkey_login(own, assertion).status_code

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 401, 401, 401]


def test_the_export_names_passkeys_and_holds_no_key(client, key):
    alice = signup(client)
    created = enrol(client, alice, key, name="Work key")
    export = call(client, "GET", "/api/user/export", alice)
    assert export.status_code == 200, export.get_data(as_text=True)
    assert export.get_json()["passkeys"] == [created]
    text = export.get_data(as_text=True)
    stored = stored_rows(client.application, "passkeys_credentials")[0]
    assert stored["public_key"] not in text and stored["credential_id"] not in text


def test_deleting_the_account_drops_its_passkeys(app, client, key):
    alice, bob = signup(client), signup(client, "bob")
    enrol(client, alice, key)
    enrol(client, bob, Authenticator())
    registration_options(client, alice)  # an open challenge of Alice's
    assert call(client, "DELETE", "/api/user", alice, {"password": PASSWORD}).status_code == 204
    for table in ("passkeys_credentials", "passkeys_users", "passkeys_challenges"):
        assert alice.id not in [row["user_id"] for row in stored_rows(app, table)], table
    assert [row["user_id"] for row in stored_rows(app, "passkeys_credentials")] == [bob.id]
    # Her passkey signs nobody in.
    assert_error(passkey_login(client, key.get(sign_in_options(client), ORIGIN)), 401, "invalid_credentials")


def test_a_parent_domain_as_relying_party_id(make_passkeys_app, key):
    app = make_passkeys_app(
        config={"site": {"url": "https://www.example.com"}}, passkeys={"rp_id": "example.com"}
    )
    client = app.test_client(use_cookies=False)
    alice = signup(client)
    options = registration_options(client, alice)
    assert options["rp"]["id"] == "example.com"
    made = call(
        client,
        "POST",
        "/api/passkeys/register",
        alice,
        {"credential": key.create(options, "https://www.example.com")},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    # The browser on site.url's origin; another subdomain's page is not an expected origin.
    assert sign_in_options(client)["rpId"] == "example.com"
    assert (
        passkey_login(client, key.get(sign_in_options(client), "https://www.example.com")).status_code == 200
    )
    assert (
        passkey_login(client, key.get(sign_in_options(client), "https://shop.example.com")).status_code == 401
    )


def test_rp_name_is_shown_by_the_authenticator(make_passkeys_app):
    app = make_passkeys_app(passkeys={"rp_name": "Example Club"})
    client = app.test_client(use_cookies=False)
    assert registration_options(client, signup(client))["rp"] == {"id": "localhost", "name": "Example Club"}


def test_an_rp_id_that_cannot_serve_site_url_stops_start_up(database_url, tmp_path):
    config = {
        "database": {"url": database_url},
        "site": {"url": "https://www.example.com", "static_dir": ""},
        "plugins": {"enabled": ["auth", "passkeys"], "passkeys": {"rp_id": "example.org"}},
    }
    with pytest.raises(ConfigError, match=r"plugins\.passkeys\.rp_id"):
        create_app(config, environ={}, instance_path=tmp_path)


@pytest.mark.parametrize(
    "origin", ["localhost:8080", "https://a.example/path", "ftp://a.example", "https://*.a.example"]
)
def test_extra_origins_must_be_origins(database_url, tmp_path, origin):
    config = {
        "database": {"url": database_url},
        "site": {"static_dir": ""},
        "plugins": {"enabled": ["auth", "passkeys"], "passkeys": {"extra_origins": [origin]}},
    }
    with pytest.raises(ConfigError, match="extra_origins"):
        create_app(config, environ={}, instance_path=tmp_path)


@pytest.mark.parametrize(
    ("url", "flagged"), [("http://127.0.0.1:5000", True), ("https://www.example.com", False)]
)
def test_the_deploy_check_flags_an_ip_address_as_relying_party(make_passkeys_app, url, flagged):
    app = make_passkeys_app(config={"site": {"url": url}})
    result = app.test_cli_runner().invoke(args=["check", "--deploy"])
    assert ("plugins.passkeys.rp_id" in result.output) is flagged, result.output
