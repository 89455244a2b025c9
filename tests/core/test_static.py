"""The static site of ``site.static_dir``, served at ``/`` beside the API, and nothing outside it."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.testplugins import hello

INDEX = "<!doctype html><title>home</title>"
DEMO_SITE = Path(__file__).resolve().parents[2] / "site"
SECRET = "top secret outside the site"


@pytest.fixture
def site(tmp_path):
    """A site folder with pages, plus a secret file beside it that must never be served."""
    root = tmp_path / "site"
    (root / "docs").mkdir(parents=True)
    (root / "api").mkdir()
    (root / "index.html").write_text(INDEX)
    (root / "style.css").write_text("body { color: black }")
    (root / "docs" / "index.html").write_text("<title>docs</title>")
    (root / "docs" / "guide.html").write_text("<title>guide</title>")
    (root / "api" / "hello").write_text("static shadow of an API path")
    (tmp_path / "secret.txt").write_text(SECRET)
    return root


@pytest.fixture
def client(make_app, site):
    return make_app({"site": {"static_dir": str(site)}}, plugins=[hello]).test_client()


def assert_json_404(response) -> None:
    assert response.status_code == 404, response.status
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"
    assert SECRET not in response.get_data(as_text=True)


def test_index_is_served_at_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == INDEX


def test_file_is_served_with_its_type(client):
    response = client.get("/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.get_data(as_text=True) == "body { color: black }"


def test_head_of_a_file_has_no_body(client):
    response = client.head("/docs/guide.html")
    assert response.status_code == 200
    assert response.data == b""


def test_directory_serves_its_index(client):
    response = client.get("/docs/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>docs</title>"


def test_directory_without_trailing_slash_redirects(client):
    response = client.get("/docs?x=1")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/docs/?x=1")


def test_file_is_answered_conditionally(client):
    first = client.get("/docs/guide.html")
    assert "ETag" in first.headers
    again = client.get("/docs/guide.html", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_missing_file_is_json_404(client):
    assert_json_404(client.get("/nope.html", headers={"Accept": "application/json"}))


def test_directory_without_index_is_json_404(client, site):
    (site / "empty").mkdir()
    assert_json_404(client.get("/empty/"))


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/docs/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
    ],
)
def test_traversal_out_of_the_site_is_json_404(client, path):
    assert_json_404(client.get(path))


@pytest.mark.parametrize(
    "path", ["/" + "a" * 5000, "/docs/" + "b" * 300 + ".html", "/%00", "/index.html%00.txt"]
)
def test_names_the_filesystem_refuses_are_json_404(client, path):
    assert_json_404(client.get(path))


def test_symlink_to_a_file_outside_is_json_404(client, site, tmp_path):
    os.symlink(tmp_path / "secret.txt", site / "leak.txt")
    assert_json_404(client.get("/leak.txt"))


def test_symlinked_directory_outside_is_json_404(client, site, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text(SECRET)
    (outside / "page.html").write_text(SECRET)
    os.symlink(outside, site / "elsewhere")
    assert_json_404(client.get("/elsewhere/page.html"))
    assert_json_404(client.get("/elsewhere/"))


def test_symlink_inside_the_site_is_served(client, site):
    os.symlink(site / "docs" / "guide.html", site / "guide.html")
    response = client.get("/guide.html")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>guide</title>"


def test_api_paths_are_never_served_from_the_site(client):
    assert client.get("/api/hello").get_json() == {"message": "hello, stranger"}
    response = client.get("/api/nothing")
    assert_json_404(response)
    assert "static shadow" not in client.get("/api/hello/../hello").get_data(as_text=True)


def test_api_folder_of_the_site_stays_hidden(client, site):
    (site / "api" / "page.html").write_text("static shadow")
    assert_json_404(client.get("/api/page.html"))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_unsafe_method_on_a_static_path_is_not_served(client, method):
    response = client.open("/index.html", method=method, data="{}", content_type="application/json")
    assert response.status_code in (404, 405)
    assert response.mimetype == "application/json"
    assert INDEX not in response.get_data(as_text=True)


def test_empty_static_dir_turns_the_site_off(make_app):
    client = make_app({"site": {"static_dir": ""}}, plugins=[hello]).test_client()
    for path in ("/", "/index.html", "/site/index.html", "/config.toml"):
        assert_json_404(client.get(path))
    assert client.get("/api/hello").status_code == 200


def test_tooling_beside_the_pages_is_not_served(make_app, tmp_path):
    site = tmp_path / "tooling-site"
    (site / "node_modules" / "vite").mkdir(parents=True)
    (site / "node_modules" / "vite" / "index.js").write_text("export {}")
    (site / ".env").write_text("SECRET=1")
    (site / "index.html").write_text("<p>home</p>")
    client = make_app({"site": {"static_dir": str(site)}}).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/node_modules/vite/index.js").status_code == 404
    assert client.get("/.env").status_code == 404


TOOLING = [
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "tsconfig.json",
    "vite.config.js",
    "vite.config.mts",
    "webpack.config.cjs",
    "Package.JSON",
]


@pytest.mark.parametrize("name", TOOLING)
def test_tooling_files_in_the_site_folder_are_not_served(client, site, name):
    (site / name).write_text('{"devDependencies": {"vite": "^8"}}')
    (site / "docs" / name).write_text('{"devDependencies": {"vite": "^8"}}')
    assert_json_404(client.get(f"/{name}"))
    assert_json_404(client.get(f"/docs/{name}"))
    assert client.get("/style.css").status_code == 200


def test_the_demo_site_folder_holds_no_tooling():
    names = {path.name.lower() for path in DEMO_SITE.rglob("*")}
    assert not names & {name.lower() for name in TOOLING}, (
        "tooling belongs in frontend/, not in the served site/"
    )
    assert "node_modules" not in names


NO_REFERRER_PAGE = """<!doctype html>
<html><head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>reset</title>
</head><body>reset</body></html>
"""


def test_a_page_that_asks_for_no_referrer_gets_the_header_too(client, site):
    (site / "reset.html").write_text(NO_REFERRER_PAGE)
    page = client.get("/reset.html?token=mailed-secret")
    assert page.status_code == 200
    assert page.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert client.get("/reset.html").headers.getlist("Referrer-Policy") == ["no-referrer"]
    # Other pages, assets and the API keep the usual policy, exactly once.
    for path in ("/", "/style.css", "/api/hello"):
        assert client.get(path).headers.getlist("Referrer-Policy") == ["strict-origin-when-cross-origin"]


def test_the_header_follows_the_page_when_it_changes(client, site):
    page = site / "reset.html"
    page.write_text(NO_REFERRER_PAGE)
    assert client.get("/reset.html").headers["Referrer-Policy"] == "no-referrer"
    page.write_text(NO_REFERRER_PAGE.replace('content="no-referrer"', "content='same-origin'  "))
    assert client.get("/reset.html").headers["Referrer-Policy"] == "same-origin"
    page.write_text("<!doctype html><title>plain</title>")
    assert client.get("/reset.html").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    page.write_text('<meta name="referrer" content="bogus">')
    assert client.get("/reset.html").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


class Head(HTMLParser):
    """The start tags of a page, in order."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize(
    "page",
    [
        "reset-password.html",
        "verify-email.html",
        "email-link.html",
        "confirm-email.html",
        "register.html",
        "login-link.html",
    ],
)
def test_the_demo_pages_of_mailed_links_send_no_referrer_and_drop_the_token_first(make_app, page):
    client = make_app({"site": {"static_dir": str(DEMO_SITE)}}).test_client()
    answer = client.get(f"/{page}?token=mailed-secret")
    assert answer.status_code == 200
    assert answer.headers.getlist("Referrer-Policy") == ["no-referrer"]
    head = Head()
    head.feed(answer.get_data(as_text=True))
    loads = [(tag, attrs) for tag, attrs in head.tags if tag in ("script", "link", "img", "iframe")]
    # Before anything is requested: the meta policy, then the classic script that removes the token.
    meta = head.tags.index(("meta", {"name": "referrer", "content": "no-referrer"}))
    first = head.tags.index(loads[0])
    assert meta < first
    assert loads[0] == ("script", {"src": "/mailed-token.js"})  # not a module: it runs at once
    script = client.get("/mailed-token.js")
    assert script.status_code == 200
    assert "history.replaceState" in script.get_data(as_text=True)


# -- /annex.js, shipped with the package for every site


PACKAGED_CLIENT = Path(__file__).resolve().parents[2] / "client" / "annex.js"


def test_annex_js_is_served_to_a_site_that_has_none(client):
    response = client.get("/annex.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.get_data() == PACKAGED_CLIENT.read_bytes()
    assert b"export function createClient" in response.get_data()


def test_a_sites_own_annex_js_wins(client, site):
    (site / "annex.js").write_text("export const mine = true;")
    assert client.get("/annex.js").get_data(as_text=True) == "export const mine = true;"


def test_annex_js_is_served_without_a_site_folder(make_app):
    app = make_app({"site": {"static_dir": ""}}, plugins=[hello])
    with app.test_client() as anonymous:
        assert anonymous.get("/annex.js").get_data() == PACKAGED_CLIENT.read_bytes()
        assert anonymous.head("/annex.js").status_code == 200
        assert anonymous.post("/annex.js").status_code in (404, 405)
        assert anonymous.get("/__init__.py").status_code == 404  # only the named files of the package
