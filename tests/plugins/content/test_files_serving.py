"""Members-only files: served to logged-in users (Bearer or cookie), with types from the name."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.plugins.content.conftest import (
    ACCESS_COOKIE,
    CSRF_COOKIE,
    FILES,
    PNG,
    assert_error,
    get_following,
    https_client,
    signup,
)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def alice(client):
    return signup(client, "alice")


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("guide.html", "text/html"),
        ("style.css", "text/css"),
        ("data.json", "application/json"),
        ("notes.txt", "text/plain"),
        ("image.svg", "image/svg+xml"),
        ("pixel.png", "image/png"),
    ],
)
def test_file_is_served_with_the_type_of_its_name(client, alice, name, mimetype):
    response = client.get(f"/members/{name}", headers=alice.headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    expected = FILES[name]
    assert response.data == (expected if isinstance(expected, bytes) else expected.encode())


def test_javascript_is_served_as_javascript(client, alice):
    response = client.get("/members/app.js", headers=alice.headers)
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")


def test_binary_file_is_served_byte_for_byte(client, alice):
    response = client.get("/members/pixel.png", headers=alice.headers)
    assert response.data == PNG
    assert int(response.headers["Content-Length"]) == len(PNG)


def test_nested_file_is_served(client, alice):
    response = client.get("/members/docs/deep/er/leaf.html", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>leaf</title>"


def test_file_name_with_a_space_is_served(client, alice):
    response = client.get("/members/with%20space.html", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>spaced</title>"


def test_directory_serves_its_index(client, alice):
    response = client.get("/members/docs/", headers=alice.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == "<title>docs index</title>"


def test_root_serves_its_index(client, alice):
    response = client.get("/members/", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>members home</title>"


def test_directory_without_slash_ends_at_its_index(client, alice):
    response = get_following(client, "/members/docs", alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>docs index</title>"


def test_prefix_without_slash_ends_at_the_root_index(client, alice):
    response = get_following(client, "/members", alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>members home</title>"


def test_directory_without_index_is_404(client, alice):
    assert_error(client.get("/members/empty/", headers=alice.headers), 404, "not_found")


def test_missing_file_is_a_json_404(client, alice):
    response = client.get("/members/nope.html", headers=alice.headers)
    assert_error(response, 404, "not_found")
    assert response.mimetype == "application/json"


def test_symlink_inside_the_root_is_served(client, alice):
    response = client.get("/members/links/inside.html", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>guide</title>"


def test_symlinked_directory_inside_the_root_serves_its_index(client, alice):
    response = client.get("/members/links/docs/", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>docs index</title>"


def test_head_answers_headers_without_body(client, alice):
    response = client.head("/members/guide.html", headers=alice.headers)
    assert response.status_code == 200
    assert response.data == b""
    assert response.mimetype == "text/html"


def test_files_are_read_only(client, alice):
    response = client.post("/members/guide.html", headers=alice.headers)
    assert response.status_code == 405
    assert "GET" in response.headers.get("Allow", "")


def test_file_responses_carry_the_security_headers(client, alice):
    response = client.get("/members/guide.html", headers=alice.headers)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_custom_url_prefix_serves_the_files(make_content_app):
    app = make_content_app({"url_prefix": "/club"})
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    response = client.get("/club/guide.html", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>guide</title>"
    assert client.get("/members/guide.html", headers=alice.headers).status_code == 404


def test_the_openapi_document_lists_the_files_route_with_its_answers(make_content_app):
    # "every route of every enabled plugin", under the configured prefix.
    document = make_content_app({"url_prefix": "/club"}).test_client().get("/api/openapi.json").get_json()
    for path in ("/club/", "/club/{path}"):
        answers = document["paths"][path]["get"]["responses"]
        assert {"200", "302", "304", "401", "403", "404"} <= set(answers), path
    assert not [path for path in document["paths"] if path.startswith("/members")]


# -------------------------------------------------------------------------------------------------
# who may read: Bearer, cookie; everybody else is 401 or sent to the login page
# -------------------------------------------------------------------------------------------------


def test_anonymous_api_client_gets_401(client):
    response = client.get("/members/guide.html", headers={"Accept": "application/json"})
    assert_error(response, 401, "unauthorized")
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert "<title>guide</title>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "image/png"])
def test_anonymous_request_not_asking_for_html_gets_401(client, accept):
    headers = {"Accept": accept} if accept else {}
    assert_error(client.get("/members/guide.html", headers=headers), 401, "unauthorized")


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html"])
def test_anonymous_browser_is_sent_to_login_with_next(client, accept):
    response = client.get("/members/docs/page.html", headers={"Accept": accept})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login.html"
    assert parse_qs(location.query) == {"next": ["/members/docs/page.html"]}
    assert "docs page" not in response.get_data(as_text=True)


def test_anonymous_browser_on_a_directory_is_sent_to_login(client):
    response = client.get("/members/docs/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"next": ["/members/docs/"]}


def test_login_url_is_configurable(make_content_app):
    client = make_content_app({"login_url": "/account/sign-in.html"}).test_client(use_cookies=False)
    response = client.get("/members/guide.html", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/sign-in.html"
    assert parse_qs(location.query) == {"next": ["/members/guide.html"]}


def test_anonymous_request_for_a_missing_file_reveals_nothing(client):
    assert_error(client.get("/members/no-such-file.html"), 401, "unauthorized")
    response = client.get("/members/no-such-file.html", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 302


def test_bad_bearer_token_is_refused(client):
    response = client.get("/members/guide.html", headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 401
    assert "<title>guide</title>" not in response.get_data(as_text=True)


def test_logged_out_token_no_longer_reads_files(client, alice):
    assert client.post("/api/auth/logout", headers=alice.headers).status_code == 204
    response = client.get("/members/guide.html", headers=alice.headers)
    # The same refusal as the API gives that token, so a client knows to log in again.
    assert_error(response, 401, "token_revoked")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "<title>guide</title>" not in response.get_data(as_text=True)


def test_browser_with_session_cookie_reads_files(app):
    browser = https_client(app)
    signup(browser, "alice")
    assert browser.get_cookie(ACCESS_COOKIE) is not None
    response = browser.get("/members/guide.html", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>guide</title>"


def test_browser_after_logout_is_sent_to_login(app):
    browser = https_client(app)
    signup(browser, "alice")
    csrf = browser.get_cookie(CSRF_COOKIE).value
    assert browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    response = browser.get("/members/guide.html", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login.html"


def test_browser_with_a_forged_cookie_is_sent_to_login(app):
    browser = https_client(app)
    browser.set_cookie(ACCESS_COOKIE, "forged.token.value", secure=True)
    response = browser.get("/members/guide.html", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 302
    assert "<title>guide</title>" not in response.get_data(as_text=True)


def test_revoked_cookie_of_an_api_client_is_401(app):
    browser = https_client(app)
    alice = signup(browser, "alice")
    csrf = browser.get_cookie(CSRF_COOKIE).value
    access = browser.get_cookie(ACCESS_COOKIE).value
    browser.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
    browser.set_cookie(ACCESS_COOKIE, access, secure=True)  # a stale copy of the cookie
    response = browser.get("/members/guide.html", headers={"Accept": "application/json"})
    assert_error(response, 401, "token_revoked")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert alice.username  # the account exists; only its session is gone
