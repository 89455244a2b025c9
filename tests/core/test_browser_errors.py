"""A person's browser never sees raw JSON for a page (api-v2.md, "Browser-facing answers").

A request whose Accept names text/html before any JSON type, outside /api, ending in 403, 404
or 500, gets an HTML page with the same status and security headers: the site's own
403.html / 404.html / 500.html when present, else core's. API clients and /api keep the JSON.
A 405 stays JSON: it answers a method no page is opened with.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from core.error_pages import BUILTIN, prefers_html
from core.security import FIXED_HEADERS, JSON_CSP
from tests.testplugins import hello, pagefaults

#: What Chromium sends when it opens a page.
CHROMIUM_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
BROWSER = {"Accept": CHROMIUM_ACCEPT}
#: The default security.content_security_policy, sent on every answer that is not JSON.
PAGE_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
TITLES = {403: "Access denied", 404: "Page not found", 500: "Something went wrong"}


class Page(HTMLParser):
    """The text, links, inline styles and scripts of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.styles: list[str] = []
        self.scripts = 0
        self.external: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href") or "")
        if tag == "script":
            self.scripts += 1
        if tag in ("link", "img", "iframe") or (tag == "script" and "src" in values):
            self.external.append(tag)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)
        elif data.strip():
            self.text.append(data.strip())


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<!doctype html><title>home</title>")
    return root


@pytest.fixture
def make_client(make_app, site):
    def build(**overrides):
        config = {"site": {"static_dir": str(site)}, **overrides}
        return make_app(config, plugins=[hello, pagefaults]).test_client()

    return build


@pytest.fixture
def client(make_client):
    return make_client()


def assert_page(response, status: int, title: str | None = None) -> Page:
    """An HTML error page with ``status`` and the headers every page of the site gets."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert response.mimetype_params.get("charset") == "utf-8"
    for name, value in FIXED_HEADERS:
        assert response.headers.get_all(name) == [value], name
    assert response.headers["Content-Security-Policy"] == PAGE_CSP
    assert "Accept" in response.headers.get("Vary", "")
    page = Page(response.get_data(as_text=True))
    if title is not None:
        assert title in page.text
    return page


def assert_json(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == code
    assert response.headers["Content-Security-Policy"] == JSON_CSP


# Which requests count as a browser opening a page -------------------------------------------


@pytest.mark.parametrize(
    "accept",
    [
        CHROMIUM_ACCEPT,
        "text/html",
        "TEXT/HTML; charset=utf-8",
        "text/html, application/json",
        "*/*, text/html",
    ],
)
def test_html_before_any_json_type_asks_for_a_page(accept):
    assert prefers_html(accept)


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "*/*",
        "text/*",
        "application/json",
        "application/json, text/html",
        "application/problem+json, text/html",
        "application/xhtml+xml",
        "text/html;q=0, application/json",
        "text/plain, image/png",
    ],
)
def test_json_first_or_no_html_keeps_json(accept):
    assert not prefers_html(accept)


# The built-in pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"), [("/no-such-page.html", 404), ("/closed/", 403), ("/broken/", 500)]
)
def test_a_browser_gets_the_built_in_page_of_the_status(client, path, status):
    page = assert_page(client.get(path, headers=BROWSER), status, TITLES[status])
    assert f"Error {status}" in page.text
    assert "/" in page.links  # a way back: the site's home
    assert not any("{" in text or text == "error" for text in page.text)  # no JSON, no template


def test_the_built_in_pages_stand_alone_under_the_default_csp(client):
    for status in TITLES:
        page = Page((BUILTIN / f"{status}.html").read_text(encoding="utf-8"))
        # Nothing to load (a broken site must not break its error page), no script to block,
        # and the one inline style is allowed: the default CSP restricts no styles.
        assert page.external == [] and page.scripts == 0
        assert len(page.styles) == 1 and "background" in page.styles[0]
    directives = {part.split()[0] for part in PAGE_CSP.split(";")}
    assert not directives & {"default-src", "style-src", "style-src-elem"}
    # And that is the policy the page is sent with.
    assert client.get("/nope", headers=BROWSER).headers["Content-Security-Policy"] == PAGE_CSP


def test_the_500_page_tells_nothing_of_the_failure(client, caplog):
    response = client.get("/broken/", headers=BROWSER)
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret detail" not in text and "RuntimeError" not in text and "Traceback" not in text
    assert "secret detail that must not leak" in caplog.text  # the log has it


def test_a_plugins_404_outside_the_api_is_a_page_too(client):
    assert_page(client.get("/gone/", headers=BROWSER), 404, TITLES[404])


def test_headers_of_the_refusal_survive_into_the_page(client):
    response = client.get("/closed/", headers=BROWSER)
    assert_page(response, 403, TITLES[403])
    name, value = pagefaults.CLOSED_HEADER
    assert response.headers[name] == value


def test_head_gets_the_status_and_headers_without_a_body(client):
    get = client.get("/nope.html", headers=BROWSER)
    head = client.head("/nope.html", headers=BROWSER)
    assert head.status_code == 404 and head.mimetype == "text/html"
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(get.data))
    assert client.head("/closed/", headers=BROWSER).status_code == 403


# The site's own pages ------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "status"), [("/missing/page", 404), ("/closed/", 403), ("/broken/", 500)])
def test_the_sites_own_page_wins(client, site, path, status):
    (site / f"{status}.html").write_text(f"<!doctype html><title>ours</title><h1>Our own {status}</h1>")
    page = assert_page(client.get(path, headers=BROWSER), status)
    assert page.text == ["ours", f"Our own {status}"]


def test_a_site_page_is_read_as_it_is_now(client, site):
    assert_page(client.get("/nope", headers=BROWSER), 404, TITLES[404])
    (site / "404.html").write_text("<h1>first</h1>")
    assert Page(client.get("/nope", headers=BROWSER).get_data(as_text=True)).text == ["first"]
    (site / "404.html").write_text("<h1>second</h1>")
    assert Page(client.get("/nope", headers=BROWSER).get_data(as_text=True)).text == ["second"]


def test_a_site_page_that_is_a_link_out_of_the_site_is_not_used(client, site, tmp_path):
    outside = tmp_path / "secret.html"
    outside.write_text("<h1>outside the site</h1>")
    (site / "404.html").symlink_to(outside)
    response = client.get("/nope", headers=BROWSER)
    assert_page(response, 404, TITLES[404])
    assert b"outside the site" not in response.data


def test_without_a_site_folder_the_built_in_page_is_used(make_app):
    client = make_app({"site": {"static_dir": ""}}, plugins=[pagefaults]).test_client()
    assert_page(client.get("/nope", headers=BROWSER), 404, TITLES[404])


def test_a_site_page_is_not_used_for_api_clients(client, site):
    (site / "404.html").write_text("<h1>ours</h1>")
    assert_json(client.get("/nope", headers={"Accept": "application/json"}), 404, "not_found")


# Who keeps the JSON ------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/json, text/html"])
@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/nope.html", 404, "not_found"), ("/closed/", 403, "forbidden"), ("/broken/", 500, "internal_error")],
)
def test_api_clients_keep_the_json_outside_the_api(client, accept, path, status, code):
    response = client.get(path, headers={"Accept": accept} if accept else {})
    assert_json(response, status, code)
    assert "Accept" in response.headers.get("Vary", "")  # the same URL answers browsers with a page


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/nothing-here", 404, "not_found"),
        ("/api", 404, "not_found"),
        ("/api/hello/admin", 403, "forbidden"),
        ("/api/pagefaults/broken", 500, "internal_error"),
        ("/api/hello/notes/999", 404, "not_found"),
    ],
)
def test_the_api_answers_json_even_to_a_browser(client, path, status, code):
    response = client.get(path, headers={**BROWSER, "X-Test-User": "1:alice"})
    assert_json(response, status, code)
    assert b"<html" not in response.data.lower()


def test_a_path_that_only_starts_like_the_api_is_a_page(client):
    assert_page(client.get("/apiary.html", headers=BROWSER), 404, TITLES[404])


def test_other_statuses_stay_json_for_a_browser(client):
    # 405: a method no page is opened with; 401: the API's challenge.
    response = client.post("/closed/", headers=BROWSER)
    assert_json(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert_json(client.get("/api/hello/notes/1", headers=BROWSER), 401, "unauthorized")
