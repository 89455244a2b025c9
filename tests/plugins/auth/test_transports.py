"""plugins.auth.transports: both (default), cookie only, bearer only."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    ACCESS,
    COOKIES,
    CSRF,
    PROBE,
    REFRESH,
    assert_error,
    bearer,
    cookie_value,
    csrf_headers,
    https_client,
    login,
    post,
    refresh,
    register,
    set_cookies,
    signup,
)


@pytest.fixture
def cookie_only(make_auth_app):
    return make_auth_app({"transports": ["cookie"]})


@pytest.fixture
def bearer_only(make_auth_app):
    return make_auth_app({"transports": ["bearer"]})


# both (default) --------------------------------------------------------------------------------------


def test_by_default_both_tokens_and_cookies_are_given(browser):
    response = register(browser)
    assert {"access_token", "refresh_token"} <= set(response.get_json())
    assert set(COOKIES) <= set(set_cookies(response))


def test_by_default_both_transports_authenticate(browser):
    account = signup(browser)
    assert browser.get(PROBE).status_code == 200
    fresh = https_client(browser.application)
    assert fresh.get(PROBE, headers=bearer(account.access)).status_code == 200


# cookie only ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["register", "login", "refresh"])
def test_cookie_only_token_bodies_omit_the_tokens(cookie_only, step):
    browser = https_client(cookie_only)
    response = register(browser)
    if step == "login":
        response = login(browser)
    elif step == "refresh":
        response = browser.post("/api/auth/refresh", headers=csrf_headers(browser))
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    body = response.get_json()
    assert "access_token" not in body and "refresh_token" not in body
    assert body["user"]["username"] == "alice"
    assert set(COOKIES) <= set(set_cookies(response))


def test_cookie_only_authenticates_by_cookie(cookie_only):
    browser = https_client(cookie_only)
    register(browser)
    assert browser.get(PROBE).status_code == 200
    assert post(browser, "/api/auth/logout", headers=csrf_headers(browser)).status_code == 204
    assert browser.get(PROBE).status_code == 401


def test_cookie_only_refuses_authorization_headers(cookie_only):
    browser = https_client(cookie_only)
    register(browser)
    token = cookie_value(browser, ACCESS)
    api = cookie_only.test_client(use_cookies=False)
    response = api.get(PROBE, headers=bearer(token))
    assert response.status_code == 401


def test_cookie_only_still_demands_csrf(cookie_only):
    browser = https_client(cookie_only)
    register(browser)
    assert_error(post(browser, "/api/auth/logout"), 403, "csrf_failed")


# bearer only -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["register", "login", "refresh"])
def test_bearer_only_sets_no_cookies(bearer_only, step):
    client = https_client(bearer_only)
    response = register(client)
    if step == "login":
        response = login(client)
    elif step == "refresh":
        response = refresh(client, response.get_json()["refresh_token"])
    assert response.status_code in (200, 201)
    assert response.headers.getlist("Set-Cookie") == []
    assert {"access_token", "refresh_token"} <= set(response.get_json())


def test_bearer_only_reads_no_cookies(bearer_only):
    account = signup(bearer_only.test_client(use_cookies=False))
    browser = https_client(bearer_only)
    browser.set_cookie(ACCESS, account.access)
    browser.set_cookie(CSRF, "x")
    assert_error(browser.get(PROBE), 401, "unauthorized")
    browser.set_cookie(REFRESH, account.refresh, path="/api/auth")
    assert browser.post("/api/auth/refresh", headers={"X-CSRF-Token": "x"}).status_code == 401


def test_bearer_only_authenticates_by_header(bearer_only):
    client = bearer_only.test_client(use_cookies=False)
    account = signup(client)
    assert client.get(PROBE, headers=bearer(account.access)).status_code == 200
    assert refresh(client, account.refresh).status_code == 200


def test_bearer_only_logout_sets_no_cookies(bearer_only):
    client = bearer_only.test_client(use_cookies=False)
    account = signup(client)
    response = post(client, "/api/auth/logout", token=account.access)
    assert response.status_code == 204
    assert response.headers.getlist("Set-Cookie") == []


def test_an_unknown_transport_is_a_startup_error(make_auth_app):
    from core import ConfigError

    with pytest.raises(ConfigError, match="transports"):
        make_auth_app({"transports": ["carrier-pigeon"]})
