"""The static site of ``site.static_dir``, served at ``/`` beside the API, and nothing outside it."""

from __future__ import annotations

import os

import pytest

from tests.testplugins import hello

INDEX = "<!doctype html><title>home</title>"
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
    assert_json_404(client.get("/nope.html", headers={"Accept": "text/html"}))


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
