"""Transport security of api.md: headers, HSTS, force_https, no-store, CORS, Origin check, proxies."""

from __future__ import annotations

import json

import pytest

from tests.testplugins import hello

USER = {"X-Test-User": "1:alice"}
NOTE = json.dumps({"title": "groceries", "stars": 3})
SITE = "https://example.com"
FRONTEND = "https://app.example.com"
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"
CORS_HEADERS = ("Content-Type", "Authorization", "X-CSRF-Token", "If-Match", "If-None-Match")


def csp_directives(response) -> set[str]:
    """The response's Content-Security-Policy as a set of normalised directives."""
    policy = response.headers["Content-Security-Policy"]
    return {" ".join(part.split()) for part in policy.split(";") if part.strip()}


def header_list(response, name: str) -> set[str]:
    """A comma-separated header as a set of lower-cased items."""
    return {item.strip().lower() for item in response.headers.get(name, "").split(",") if item.strip()}


def assert_base_headers(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def post_note(client, headers=None, **kwargs):
    return client.post(
        "/api/hello/notes",
        data=NOTE,
        content_type="application/json",
        headers={**USER, **(headers or {})},
        **kwargs,
    )


def notes_of(app, user_id: int = 1) -> int:
    from core import get_db

    with app.app_context():
        return get_db()["hello_notes"].count(user_id=user_id)


@pytest.fixture
def site_dir(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text("<!doctype html><title>home</title>")
    return folder


@pytest.fixture
def site_app(make_app, site_dir):
    """The core with ``hello``, a static site, one CORS origin and a small body limit."""
    return make_app(
        {
            "site": {"url": SITE, "static_dir": str(site_dir)},
            "security": {"cors_origins": [FRONTEND], "max_body_bytes": 200},
        },
        plugins=[hello],
    )


# headers on every response -----------------------------------------------------------------

JSON_REQUESTS = {
    "ok": ("GET", "/api/hello", {}),
    "created": (
        "POST",
        "/api/hello/notes",
        {"data": NOTE, "content_type": "application/json", "headers": USER},
    ),
    "not found": ("GET", "/api/nope", {}),
    "page not found": ("GET", "/nope.html", {}),
    "method not allowed": ("DELETE", "/api/hello", {}),
    "unauthorized": ("POST", "/api/hello/notes", {"data": NOTE, "content_type": "application/json"}),
    "forbidden": ("GET", "/api/hello/admin", {"headers": USER}),
    "invalid json": (
        "POST",
        "/api/hello/notes",
        {"data": "{", "content_type": "application/json", "headers": USER},
    ),
    "too large": ("POST", "/api/hello/notes", {"data": "x" * 500, "content_type": "application/json"}),
    "internal error": ("GET", "/api/hello/boom", {}),
    "csrf": ("POST", "/api/hello/notes", {"data": NOTE, "headers": {"Origin": "https://evil.example"}}),
}


@pytest.mark.parametrize("method, path, kwargs", JSON_REQUESTS.values(), ids=JSON_REQUESTS.keys())
def test_json_responses_carry_security_headers_and_json_csp(site_app, method, path, kwargs):
    response = site_app.test_client().open(path, method=method, **kwargs)
    assert response.is_json
    assert_base_headers(response)
    assert response.headers["Content-Security-Policy"] == JSON_CSP


NON_JSON_REQUESTS = {
    "static page": ("GET", "/", {}),
    "static head": ("HEAD", "/index.html", {}),
    "preflight": (
        "OPTIONS",
        "/api/hello/notes",
        {"headers": {"Origin": FRONTEND, "Access-Control-Request-Method": "POST"}},
    ),
}


@pytest.mark.parametrize("method, path, kwargs", NON_JSON_REQUESTS.values(), ids=NON_JSON_REQUESTS.keys())
def test_non_json_responses_carry_security_headers_and_a_restrictive_csp(site_app, method, path, kwargs):
    response = site_app.test_client().open(path, method=method, **kwargs)
    assert not response.is_json
    assert_base_headers(response)
    assert {"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} <= csp_directives(response)


def test_https_redirect_carries_security_headers(make_app):
    client = make_app({"site": {"url": SITE}, "security": {"force_https": True}}).test_client()
    response = client.get("/page")
    assert response.status_code == 308
    assert_base_headers(response)
    assert "frame-ancestors 'none'" in csp_directives(response)


def test_rate_limited_response_carries_security_headers(make_app):
    client = make_app({"rate_limits": {"default": "1/minute"}}).test_client()
    client.get("/api/health")
    response = client.get("/api/health")
    assert response.status_code == 429
    assert_base_headers(response)
    assert response.headers["Content-Security-Policy"] == JSON_CSP


def test_site_owner_may_extend_the_non_json_csp(make_app, site_dir):
    policy = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; img-src 'self'"
    client = make_app(
        {"site": {"static_dir": str(site_dir)}, "security": {"content_security_policy": policy}}
    ).test_client()
    response = client.get("/")
    assert "img-src 'self'" in csp_directives(response)
    assert client.get("/api/health").headers["Content-Security-Policy"] == JSON_CSP


# HSTS --------------------------------------------------------------------------------------


def test_hsts_on_https_requests(client):
    response = client.get("/api/hello", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_no_hsts_on_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/api/hello").headers


def test_forwarded_proto_ignored_without_trusted_proxies(client):
    response = client.get("/api/hello", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_forwarded_proto_of_a_trusted_proxy_gives_hsts(make_app):
    client = make_app({"security": {"trusted_proxies": 1}}, plugins=[hello]).test_client()
    response = client.get("/api/hello", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == HSTS


# force_https -------------------------------------------------------------------------------


@pytest.fixture
def https_only(make_app):
    return make_app({"site": {"url": SITE}, "security": {"force_https": True}}, plugins=[hello])


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_force_https_redirects_pages_with_308_to_site_host(https_only, method):
    client = https_only.test_client()
    response = client.open("/docs/page.html?a=1&b=2", method=method, headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "https://example.com/docs/page.html?a=1&b=2"


@pytest.mark.parametrize(
    "path", ["/a%20b/%3Fnot-a-query?y=1", "/caf%C3%A9", "/100%25", "/x?next=%2F%2Fevil.example"]
)
def test_force_https_redirect_keeps_the_same_encoded_url(https_only, path):
    response = https_only.test_client().get(path)
    assert response.status_code == 308
    assert response.headers["Location"] == "https://example.com" + path


def test_force_https_redirect_of_a_line_break_in_the_path_is_safe(https_only):
    response = https_only.test_client().get("/%0d%0aSet-Cookie:%20x=1")
    assert response.status_code == 308
    assert "\r" not in response.headers["Location"] and "\n" not in response.headers["Location"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("method, path", [("GET", "/api/hello"), ("POST", "/api/hello/notes")])
def test_force_https_refuses_plain_http_api_requests(https_only, method, path):
    response = https_only.test_client().open(
        path, method=method, data=NOTE, content_type="application/json", headers=USER
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "https_required"
    assert "Location" not in response.headers
    assert notes_of(https_only) == 0


def test_force_https_serves_https_requests(https_only):
    client = https_only.test_client()
    assert client.get("/api/hello", base_url="https://example.com").status_code == 200
    assert post_note(client, base_url="https://example.com").status_code == 201


def test_force_https_trusts_forwarded_proto_only_from_trusted_proxies(make_app):
    config = {"site": {"url": SITE}, "security": {"force_https": True}}
    untrusted = make_app(config, plugins=[hello]).test_client()
    assert untrusted.get("/api/hello", headers={"X-Forwarded-Proto": "https"}).status_code == 403
    trusted = make_app({**config, "security": {"force_https": True, "trusted_proxies": 1}}, plugins=[hello])
    assert trusted.test_client().get("/api/hello", headers={"X-Forwarded-Proto": "https"}).status_code == 200


def test_routing_redirect_points_at_site_url_not_the_host_header(site_app):
    response = site_app.test_client().get("/api//hello", headers={"Host": "evil.example"})
    assert response.status_code in (301, 302, 307, 308, 404)
    if response.status_code != 404:
        assert "evil.example" not in response.headers["Location"]
        assert response.headers["Location"].startswith((SITE + "/", "/"))


# Cache-Control -----------------------------------------------------------------------------


def test_authenticated_response_is_no_store(client):
    response = client.get("/api/hello", headers=USER)
    assert response.status_code == 200
    assert "no-store" in header_list(response, "Cache-Control")


def test_authenticated_write_and_error_responses_are_no_store(client):
    assert "no-store" in header_list(post_note(client), "Cache-Control")
    missing = client.get("/api/hello/notes/999", headers=USER)
    assert missing.status_code == 404
    assert "no-store" in header_list(missing, "Cache-Control")


def test_auth_paths_are_no_store(client):
    assert "no-store" in header_list(client.get("/api/auth/anything"), "Cache-Control")


# CORS --------------------------------------------------------------------------------------


def test_allowed_origin_is_echoed_with_credentials(site_app):
    response = site_app.test_client().get("/api/hello", headers={"Origin": FRONTEND})
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert {"etag", "retry-after"} <= header_list(response, "Access-Control-Expose-Headers")


def test_allowed_origin_can_read_error_responses(site_app):
    response = site_app.test_client().post(
        "/api/hello/notes", data=NOTE, content_type="application/json", headers={"Origin": FRONTEND}
    )
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND


def test_preflight_allows_the_contract_headers_and_methods(site_app):
    response = site_app.test_client().options(
        "/api/hello/notes",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": ", ".join(CORS_HEADERS),
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert {h.lower() for h in CORS_HEADERS} <= header_list(response, "Access-Control-Allow-Headers")
    assert {"get", "post", "put", "patch", "delete"} <= header_list(response, "Access-Control-Allow-Methods")


def test_preflight_of_an_authenticated_route_needs_no_credentials(site_app):
    response = site_app.test_client().options(
        "/api/hello/admin", headers={"Origin": FRONTEND, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == FRONTEND


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://app.example.com",
        "https://app.example.com.evil.example",
        SITE + ".evil",
    ],
)
def test_other_origins_get_no_cors_headers(site_app, origin):
    client = site_app.test_client()
    simple = client.get("/api/hello", headers={"Origin": origin})
    preflight = client.options(
        "/api/hello/notes",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    for response in (simple, preflight):
        assert not [name for name, _ in response.headers if name.lower().startswith("access-control-")]


def test_a_request_without_origin_gets_no_cors_headers_but_vary(site_app):
    # curl, a same-origin GET: nobody asked, so no origin is named; caches still learn that
    # the answer depends on Origin, so they never hand this one to an allowed origin.
    response = site_app.test_client().get("/api/hello")
    assert not [name for name, _ in response.headers if name.lower().startswith("access-control-")]
    assert response.headers.getlist("Vary") == ["Origin"]
    allowed = site_app.test_client().get("/api/hello", headers={"Origin": FRONTEND})
    assert allowed.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert allowed.headers.getlist("Vary") == ["Origin"]


def test_no_cors_headers_when_no_origin_is_configured(client):
    response = client.get("/api/hello", headers={"Origin": FRONTEND})
    assert "Access-Control-Allow-Origin" not in response.headers


LOCAL_V6 = "http://[::1]:5173"


@pytest.fixture
def exact_app(make_app):
    """CORS entries that flask-cors would read as regular expressions (brackets) or that need
    normalising (case, default port, an international name)."""
    return make_app(
        {
            "site": {"url": SITE},
            "security": {"cors_origins": [LOCAL_V6, "https://EXAMPLE.org:443/", "https://bücher.example"]},
        },
        plugins=[hello],
    )


@pytest.mark.parametrize("origin", [LOCAL_V6, "https://example.org", "https://xn--bcher-kva.example"])
def test_cors_entries_allow_exactly_their_origin(exact_app, origin):
    client = exact_app.test_client()
    response = client.get("/api/hello", headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert post_note(client, headers={"Origin": origin}).status_code == 201  # the Origin check too


@pytest.mark.parametrize(
    "origin",
    [
        "https://zexample.com.attacker.net",
        "http://[::1]:5173.attacker.net",
        "http://[::1]:51730",
        "http://1:5173",
        "http://[::2]:5173",
        "https://example.org.attacker.net",
        "https://xn--bcher-kva.example.attacker.net",
    ],
)
def test_cors_entries_are_not_patterns(exact_app, origin):
    client = exact_app.test_client()
    response = client.get("/api/hello", headers={"Origin": origin})
    assert not [name for name, _ in response.headers if name.lower().startswith("access-control-")]
    assert post_note(client, headers={"Origin": origin}).status_code == 403


@pytest.mark.parametrize(
    "entry", ["*", "https://*.example.com", "null", "app.example.com", "https://app.example.com/path"]
)
def test_a_cors_entry_that_is_not_an_exact_origin_stops_start_up(make_app, entry):
    from core import ConfigError

    with pytest.raises(ConfigError, match=r"security\.cors_origins") as error:
        make_app({"security": {"cors_origins": [FRONTEND, entry]}}, plugins=[hello])
    assert repr(entry) in str(error.value)


# Origin check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/hello/notes"),
        ("PUT", "/api/hello/notes/1"),
        ("PATCH", "/api/hello/notes/1"),
        ("DELETE", "/api/hello/notes/1"),
    ],
)
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://example.com"])
def test_unsafe_request_from_a_foreign_origin_is_csrf_failed(site_app, method, path, origin):
    response = site_app.test_client().open(
        path, method=method, data=NOTE, content_type="application/json", headers={**USER, "Origin": origin}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_failed"
    assert notes_of(site_app) == 0


@pytest.mark.parametrize(
    "origin", ["http://[::1", "http://example.com:99999", "https://example.com:port", ""]
)
def test_malformed_origin_is_csrf_failed_not_500(site_app, origin):
    response = post_note(site_app.test_client(), headers={"Origin": origin})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_a_refused_origin_is_named_with_the_setting_that_allows_it(site_app, caplog):
    caplog.set_level("WARNING", logger="annex")
    response = post_note(site_app.test_client(), headers={"Origin": "https://shop.example"})
    assert response.status_code == 403
    message = response.get_json()["error"]["message"]
    assert "'https://shop.example'" in message
    assert "add it to security.cors_origins" in message
    logged = [r.getMessage() for r in caplog.records if r.name == "annex" and "refused" in r.getMessage()]
    assert len(logged) == 1
    assert "'https://shop.example'" in logged[0] and "security.cors_origins" in logged[0]
    assert "POST '/api/hello/notes'" in logged[0]


def test_a_refused_null_origin_is_named_and_no_setting_is_offered(site_app, caplog):
    # "null" (a sandboxed frame, a no-referrer page in some browsers) cannot be listed.
    caplog.set_level("WARNING", logger="annex")
    response = post_note(site_app.test_client(), headers={"Origin": "null"})
    message = response.get_json()["error"]["message"]
    assert "'null' is not an http(s) origin" in message
    assert "cors_origins" not in message
    assert any("'null'" in r.getMessage() for r in caplog.records if r.name == "annex")


def test_a_refused_origin_is_quoted_and_cut_short(site_app, caplog):
    caplog.set_level("WARNING", logger="annex")
    sent = "https://x.example\x1b[2J" + "a" * 500
    response = post_note(site_app.test_client(), headers={"Origin": sent})
    message = response.get_json()["error"]["message"]
    assert "a" * 200 not in message and "\x1b" not in message
    logged = [r.getMessage() for r in caplog.records if r.name == "annex" and "refused" in r.getMessage()]
    assert logged and "\x1b" not in logged[0] and "a" * 200 not in logged[0]


def test_foreign_origin_is_refused_before_authentication(site_app):
    response = site_app.test_client().post(
        "/api/hello/notes",
        data=NOTE,
        content_type="application/json",
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("origin", [SITE, FRONTEND])
def test_unsafe_request_from_site_or_cors_origin_is_allowed(site_app, origin):
    response = post_note(site_app.test_client(), headers={"Origin": origin})
    assert response.status_code == 201
    assert notes_of(site_app) == 1


def test_unsafe_request_without_origin_is_allowed(site_app):
    assert post_note(site_app.test_client()).status_code == 201


def test_safe_request_from_a_foreign_origin_is_answered(site_app):
    response = site_app.test_client().get("/api/hello", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


# proxy trust: the client IP that rate limits count by ----------------------------------------


def limited_statuses(client, forwarded_for: list[str]) -> list[int]:
    return [
        client.get("/api/hello", headers={"X-Forwarded-For": value}).status_code for value in forwarded_for
    ]


def test_forwarded_for_is_ignored_without_trusted_proxies(make_app):
    client = make_app({"rate_limits": {"default": "2/minute"}}, plugins=[hello]).test_client()
    assert limited_statuses(client, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) == [200, 200, 429]


def test_forwarded_for_of_a_trusted_proxy_names_the_client(make_app):
    app = make_app(
        {"rate_limits": {"default": "2/minute"}, "security": {"trusted_proxies": 1}}, plugins=[hello]
    )
    client = app.test_client()
    assert limited_statuses(client, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"]) == [200] * 4
    assert limited_statuses(client, ["10.0.0.1"]) == [429]


def test_client_cannot_spoof_hops_beyond_the_trusted_ones(make_app):
    app = make_app(
        {"rate_limits": {"default": "2/minute"}, "security": {"trusted_proxies": 1}}, plugins=[hello]
    )
    spoofed = [f"192.0.2.{n}, 10.0.0.9" for n in range(3)]
    assert limited_statuses(app.test_client(), spoofed) == [200, 200, 429]
