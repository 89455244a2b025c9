"""Cookies (names and exact flags) and CSRF: double submit bound to the token, Origin, Sec-Fetch-Site."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    ACCESS,
    COOKIES,
    CSRF,
    PASSWORD,
    PROBE,
    REFRESH,
    SITE_URL,
    assert_error,
    bearer,
    claims_of,
    cookie_value,
    csrf_headers,
    https_client,
    login,
    post,
    probe,
    refresh,
    register,
    set_cookies,
    signin,
    signup,
)

FOREIGN = "https://evil.example"


def assert_cookie_flags(cookies, prefix="", secure=True):
    """The three cookies with exactly the contract's flags."""
    access, refresh_cookie, csrf = (
        cookies[prefix_name(n, prefix, secure)] for n in ("access", "refresh", "csrf")
    )
    expected = {
        access: ("/", "Lax", True),
        refresh_cookie: ("/api/auth", "Strict", True),
        csrf: ("/", "Lax", False),
    }
    for cookie, (path, samesite, httponly) in expected.items():
        assert cookie.get("path") == path, cookie
        assert str(cookie.get("samesite")).lower() == samesite.lower(), cookie
        assert cookie.has("httponly") is httponly, cookie
        assert cookie.has("secure") is secure, cookie
        assert not cookie.has("domain"), cookie
        assert cookie.value, cookie


def prefix_name(kind, prefix, secure):
    if not secure:
        return f"annex_{kind}"
    return {"access": ACCESS, "refresh": REFRESH, "csrf": CSRF}[kind]


def logout_cookie(browser, **kwargs):
    return post(browser, "/api/auth/logout", **kwargs)


# flags ---------------------------------------------------------------------------------------------


def test_register_sets_the_three_cookies_with_exact_flags(browser):
    response = register(browser)
    assert response.status_code == 201
    cookies = set_cookies(response)
    assert set(COOKIES) <= set(cookies)
    assert_cookie_flags(cookies)
    body = response.get_json()
    assert cookies[ACCESS].value == body["access_token"]
    assert cookies[REFRESH].value == body["refresh_token"]


def test_login_sets_the_three_cookies_with_exact_flags(browser):
    signup(browser)
    response = login(browser)
    assert response.status_code == 200
    cookies = set_cookies(response)
    assert_cookie_flags(cookies)
    assert cookies[ACCESS].value == response.get_json()["access_token"]


def test_refresh_sets_the_three_cookies_for_the_rotated_pair(browser):
    account = signup(browser)
    response = refresh(browser, account.refresh)
    assert response.status_code == 200
    cookies = set_cookies(response)
    assert_cookie_flags(cookies)
    body = response.get_json()
    assert cookies[ACCESS].value == body["access_token"]
    assert cookies[REFRESH].value == body["refresh_token"]


def test_cookies_are_set_on_plain_http_too_with_the_same_flags(client):
    # The site decides Secure, not the request: a TLS-terminating proxy may speak http to us.
    assert_cookie_flags(set_cookies(register(client)))


def test_without_cookie_secure_the_names_lose_their_prefix_and_secure(make_auth_app):
    client = make_auth_app({"cookie_secure": False}).test_client()
    response = register(client)
    cookies = set_cookies(response)
    assert {"annex_access", "annex_refresh", "annex_csrf"} <= set(cookies)
    assert not set(COOKIES) & set(cookies)
    assert_cookie_flags(cookies, secure=False)


def test_each_login_gets_its_own_csrf_value(browser):
    signup(browser)
    first = set_cookies(login(browser))[CSRF].value
    second = set_cookies(login(browser))[CSRF].value
    assert first != second
    assert len(first) >= 16


def test_logout_clears_all_three_cookies(browser):
    signup(browser)
    response = logout_cookie(browser, headers=csrf_headers(browser))
    assert response.status_code == 204
    cookies = set_cookies(response)
    for name, path in ((ACCESS, "/"), (REFRESH, "/api/auth"), (CSRF, "/")):
        assert name in cookies, f"{name} not cleared"
        cleared = cookies[name]
        assert cleared.clears, cleared
        assert cleared.get("path") == path, cleared
        # A browser ignores a __Host-/__Secure- cookie without Secure, so the clearing one needs it.
        assert cleared.has("secure"), cleared
        assert not cleared.has("domain"), cleared
    assert browser.get(PROBE).status_code == 401


def test_logout_all_clears_the_cookies(browser):
    account = signup(browser)
    response = post(browser, "/api/auth/logout-all", {"password": PASSWORD}, token=account.access)
    assert response.status_code == 204
    cookies = set_cookies(response)
    assert set(COOKIES) <= set(cookies)
    assert all(cookies[name].clears for name in COOKIES)


def test_logout_by_bearer_clears_the_cookies_too(browser):
    account = signup(browser)
    response = post(browser, "/api/auth/logout", token=account.access)
    assert response.status_code == 204
    cookies = set_cookies(response)
    assert set(COOKIES) <= set(cookies) and all(cookies[name].clears for name in COOKIES)


# authenticating by cookie -------------------------------------------------------------------------


def test_a_safe_request_is_authenticated_by_the_access_cookie(browser):
    signup(browser)
    response = browser.get(PROBE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_refresh_cookie_is_only_sent_to_api_auth(browser):
    signup(browser)
    assert browser.get_cookie(REFRESH, path="/api/auth") is not None
    assert browser.get_cookie(REFRESH, path="/") is None


def test_refresh_by_cookie_with_csrf_rotates_the_cookies(browser):
    account = signup(browser)
    response = browser.post("/api/auth/refresh", headers=csrf_headers(browser))
    assert response.status_code == 200, response.get_data(as_text=True)
    new_refresh = response.get_json()["refresh_token"]
    assert new_refresh != account.refresh
    assert cookie_value(browser, REFRESH, path="/api/auth") == new_refresh
    assert browser.get(PROBE).status_code == 200


def test_refresh_by_cookie_without_csrf_is_403(browser):
    account = signup(browser)
    response = browser.post("/api/auth/refresh")
    assert_error(response, 403, "csrf_failed")
    # Nothing rotated: the refresh token still works.
    assert refresh(https_client(browser.application), account.refresh).status_code == 200


def test_refresh_by_cookie_with_a_json_empty_object_and_csrf_works(browser):
    signup(browser)
    response = post(browser, "/api/auth/refresh", {}, headers=csrf_headers(browser))
    assert response.status_code == 200, response.get_data(as_text=True)


# double-submit CSRF --------------------------------------------------------------------------------


def test_cookie_unsafe_request_without_csrf_header_is_403_and_does_nothing(browser):
    signup(browser)
    assert_error(logout_cookie(browser), 403, "csrf_failed")
    assert browser.get(PROBE).status_code == 200


def test_cookie_unsafe_request_with_a_wrong_csrf_header_is_403(browser):
    signup(browser)
    assert_error(logout_cookie(browser, headers={"X-CSRF-Token": "wrong"}), 403, "csrf_failed")
    assert browser.get(PROBE).status_code == 200


def test_cookie_unsafe_request_with_the_right_csrf_header_passes(browser):
    signup(browser)
    assert logout_cookie(browser, headers=csrf_headers(browser)).status_code == 204
    assert browser.get(PROBE).status_code == 401


def test_a_non_ascii_csrf_header_or_cookie_is_403_not_an_error(browser):
    signup(browser)
    assert_error(logout_cookie(browser, headers={"X-CSRF-Token": "\u00e9t\u00e9"}), 403, "csrf_failed")
    right = csrf_headers(browser)
    browser.set_cookie(CSRF, "\u00e9t\u00e9")
    assert_error(logout_cookie(browser, headers=right), 403, "csrf_failed")


def test_a_csrf_cookie_and_header_chosen_by_an_attacker_are_refused(browser):
    # Double submit alone is beaten by cookie injection: the value must be the token's own.
    signup(browser)
    browser.set_cookie(CSRF, "attacker-chosen-value")
    assert_error(
        logout_cookie(browser, headers={"X-CSRF-Token": "attacker-chosen-value"}), 403, "csrf_failed"
    )


def test_the_csrf_value_of_another_session_is_refused(app, browser):
    signup(browser, "alice")
    mallory = https_client(app)
    signup(mallory, "mallory")
    theirs = cookie_value(mallory, CSRF)
    browser.set_cookie(CSRF, theirs)
    assert_error(logout_cookie(browser, headers={"X-CSRF-Token": theirs}), 403, "csrf_failed")


def test_csrf_is_checked_on_every_unsafe_method(browser):
    signup(browser)
    session_id = browser.get(PROBE).get_json()["sessions"][0]["id"]
    assert_error(browser.delete(f"/api/auth/sessions/{session_id}"), 403, "csrf_failed")
    assert_error(browser.delete("/api/user", json={"password": PASSWORD}), 403, "csrf_failed")
    assert_error(
        post(browser, "/api/auth/password", {"current_password": PASSWORD, "new_password": "x" * 20}),
        403,
        "csrf_failed",
    )
    assert_error(post(browser, "/api/auth/logout-all", {"password": PASSWORD}), 403, "csrf_failed")
    assert browser.get(PROBE).status_code == 200


def test_safe_methods_need_no_csrf(browser):
    signup(browser)
    assert browser.get(PROBE).status_code == 200
    assert browser.get("/api/auth/activity").status_code == 200


def test_bearer_requests_need_no_csrf(client):
    account = signup(client)
    assert post(client, "/api/auth/logout", token=account.access).status_code == 204


def test_the_csrf_value_is_bound_to_the_access_token_through_a_claim(browser):
    # The token carries a hash of the CSRF value: a token from another login does not accept
    # this login's CSRF value.
    signup(browser)
    first_csrf = cookie_value(browser, CSRF)
    second = login(browser)  # replaces the cookies with a new session's
    assert second.status_code == 200
    browser.set_cookie(CSRF, first_csrf)  # a genuine value, of the other session
    assert_error(logout_cookie(browser, headers={"X-CSRF-Token": first_csrf}), 403, "csrf_failed")
    assert set(claims_of(second.get_json()["access_token"])) - {
        "iss",
        "aud",
        "sub",
        "sid",
        "jti",
        "iat",
        "exp",
        "typ",
    }


# Origin and Sec-Fetch-Site ---------------------------------------------------------------------------


def test_a_foreign_origin_on_login_is_403(client):
    signup(client)
    assert_error(login(client, headers={"Origin": FOREIGN}), 403, "csrf_failed")


def test_a_foreign_origin_on_register_is_403_and_creates_nothing(client):
    assert_error(register(client, headers={"Origin": FOREIGN}), 403, "csrf_failed")
    assert login(client).status_code == 401


def test_the_null_origin_is_foreign(client):
    signup(client)
    assert_error(login(client, headers={"Origin": "null"}), 403, "csrf_failed")


def test_the_sites_own_origin_is_accepted(client):
    signup(client)
    assert login(client, headers={"Origin": SITE_URL}).status_code == 200


def test_a_cors_origin_is_accepted(make_auth_app):
    client = make_auth_app(config={"security": {"cors_origins": ["https://app.example.com"]}}).test_client()
    assert register(client, headers={"Origin": "https://app.example.com"}).status_code == 201


def test_a_foreign_origin_is_refused_even_with_bearer(client):
    account = signup(client)
    response = post(client, "/api/auth/logout", token=account.access, headers={"Origin": FOREIGN})
    assert_error(response, 403, "csrf_failed")
    assert probe(client, account.access).status_code == 200


def test_sec_fetch_site_cross_site_on_a_cookie_request_is_403(browser):
    signup(browser)
    headers = {**csrf_headers(browser), "Sec-Fetch-Site": "cross-site"}
    assert_error(logout_cookie(browser, headers=headers), 403, "csrf_failed")
    assert browser.get(PROBE).status_code == 200


@pytest.mark.parametrize("site", ["same-origin", "same-site", "none"])
def test_other_sec_fetch_site_values_pass(browser, site):
    signup(browser)
    headers = {**csrf_headers(browser), "Sec-Fetch-Site": site}
    assert logout_cookie(browser, headers=headers).status_code == 204


def test_sec_fetch_site_cross_site_with_bearer_passes(client):
    account = signup(client)
    response = post(
        client, "/api/auth/logout", token=account.access, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 204


def test_sec_fetch_site_cross_site_on_cookie_refresh_is_403(browser):
    signup(browser)
    headers = {**csrf_headers(browser), "Sec-Fetch-Site": "cross-site"}
    assert_error(browser.post("/api/auth/refresh", headers=headers), 403, "csrf_failed")


# header wins over cookie ------------------------------------------------------------------------------


def test_the_authorization_header_wins_over_the_cookie(app, browser):
    signup(browser, "alice")
    signin(browser, "alice")  # alice now has two sessions; the browser holds the second's cookies
    bob = signup(app.test_client(use_cookies=False), "bob")
    response = browser.get(PROBE, headers=bearer(bob.access))
    assert response.status_code == 200
    assert len(response.get_json()["sessions"]) == 1  # bob's list, not alice's


def test_a_bad_authorization_header_does_not_fall_back_to_the_cookie(browser):
    signup(browser)
    response = browser.get(PROBE, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_a_bearer_request_carrying_cookies_needs_no_csrf(browser):
    account = signup(browser)
    assert post(browser, "/api/auth/logout", token=account.access).status_code == 204
    assert probe(browser, account.access).status_code == 401
