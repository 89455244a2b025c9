"""What other plugins get from auth: the identity of a request on their routes (with CSRF applied
to them too), extra_token_claims and verify_password."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    Whoami,
    assert_error,
    assert_token_refused,
    bearer,
    call,
    claims_of,
    csrf_headers,
    https_client,
    post,
    probe,
    signup,
)


@pytest.fixture
def whoami_app(make_auth_app):
    return make_auth_app(plugins=[Whoami()])


def test_a_bearer_request_is_identified_on_another_plugins_route(whoami_app):
    client = whoami_app.test_client(use_cookies=False)
    account = signup(client)
    response = client.get("/api/whoami", headers=bearer(account.access))
    assert response.status_code == 200
    me = response.get_json()
    expected = (account.id, "alice", ["member"], "bearer")
    assert (me["id"], me["username"], me["roles"], me["transport"]) == expected
    assert me["session_id"] is not None


def test_a_cookie_request_is_identified_as_cookie(whoami_app):
    browser = https_client(whoami_app)
    account = signup(browser)
    me = browser.get("/api/whoami").get_json()
    assert (me["id"], me["transport"]) == (account.id, "cookie")


def test_the_header_wins_on_another_plugins_route(whoami_app):
    browser = https_client(whoami_app)
    signup(browser, "alice")
    bob = signup(whoami_app.test_client(use_cookies=False), "bob")
    me = browser.get("/api/whoami", headers=bearer(bob.access)).get_json()
    assert (me["username"], me["transport"]) == ("bob", "bearer")


def test_anonymous_requests_to_another_plugins_route_are_401(whoami_app):
    assert_error(whoami_app.test_client(use_cookies=False).get("/api/whoami"), 401, "unauthorized")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_csrf_protects_unsafe_methods_of_every_plugin(whoami_app, method):
    browser = https_client(whoami_app)
    signup(browser)
    assert_error(call(browser, method, "/api/whoami"), 403, "csrf_failed")
    assert_error(call(browser, method, "/api/whoami", headers={"X-CSRF-Token": "wrong"}), 403, "csrf_failed")
    assert call(browser, method, "/api/whoami", headers=csrf_headers(browser)).status_code == 200


def test_sec_fetch_site_cross_site_is_refused_on_every_plugins_cookie_route(whoami_app):
    browser = https_client(whoami_app)
    signup(browser)
    headers = {**csrf_headers(browser), "Sec-Fetch-Site": "cross-site"}
    assert_error(call(browser, "POST", "/api/whoami", headers=headers), 403, "csrf_failed")


def test_bearer_needs_no_csrf_on_another_plugins_route(whoami_app):
    client = whoami_app.test_client(use_cookies=False)
    account = signup(client)
    assert call(client, "DELETE", "/api/whoami", token=account.access).status_code == 200


def test_a_revoked_session_is_refused_on_another_plugins_route(whoami_app):
    client = whoami_app.test_client(use_cookies=False)
    account = signup(client)
    post(client, "/api/auth/logout", token=account.access)
    assert_token_refused(client.get("/api/whoami", headers=bearer(account.access)), "token_revoked")


def test_extra_token_claims_are_added_but_cannot_override_registered_ones(make_auth_app):
    plugin = Whoami(claims={"plan": "gold", "sub": "999999", "typ": "refresh", "iss": "https://evil.example"})
    client = make_auth_app(plugins=[plugin]).test_client(use_cookies=False)
    account = signup(client)
    claims = claims_of(account.access)
    assert claims["plan"] == "gold"
    assert (claims["sub"], claims["typ"], claims["iss"]) == (
        str(account.id),
        "access",
        "http://127.0.0.1:5000",
    )
    assert probe(client, account.access).status_code == 200


def test_verify_password_hook_checks_the_accounts_password(whoami_app):
    client = whoami_app.test_client(use_cookies=False)
    account = signup(client)

    def answer(password, user_id=account.id):
        body = {"user_id": user_id, "password": password}
        response = call(client, "POST", "/api/whoami/verify-password", body, token=account.access)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["answer"]

    assert answer(PASSWORD) is True
    assert answer("wrong-Password-99") is False
    assert answer(PASSWORD, user_id=987654) in (None, False)
