"""Nothing outside ``plugins.content.root`` is ever served: every escape is a 404 (never a 500)."""

from __future__ import annotations

import pytest

from tests.plugins.content.conftest import SECRET, assert_error, get_following, signup

#: Request paths after ``/members/``; ``{outside}`` is the absolute path of the folder beside the
#: root, ``{tmp}`` its parent.
ESCAPES = [
    "../secret.txt",
    "../outside/secret.txt",
    "%2e%2e/secret.txt",
    "%2E%2E/outside/secret.txt",
    ".%2e/outside/secret.txt",
    "%2e./outside/secret.txt",
    "docs/../../outside/secret.txt",
    "docs/%2e%2e/%2e%2e/outside/secret.txt",
    "docs/deep/er/../../../../outside/secret.txt",
    "..%2fsecret.txt",
    "%2e%2e%2foutside%2fsecret.txt",
    "docs%2f..%2f..%2foutside%2fsecret.txt",
    "..%5coutside%5csecret.txt",
    "docs%5c..%5c..%5coutside%5csecret.txt",
    "..\\outside\\secret.txt",
    "%252e%252e/outside/secret.txt",
    "%c0%ae%c0%ae/outside/secret.txt",
    "..;/outside/secret.txt",
    "../members-evil/secret.txt",
    "%2e%2e/members-evil/secret.txt",
    "{outside}/secret.txt",
    "%2f{outside_rel}/secret.txt",
    "{tmp}/secret.txt",
    "file:{outside}/secret.txt",
    "guide.html%00",
    "guide.html%00.png",
    "%00../outside/secret.txt",
    "../outside/secret.txt%00.html",
    "links/out.txt",
    "links/out-relative.txt",
    "links/outdir/secret.txt",
    "links/outdir/",
    "links/outdir/sub/",
    "links/outdir/index.html",
    "links/evil/secret.txt",
    "links/loop",
    "links/loop/",
    "links/loop/x.html",
    "links/dangling.html",
    "..",
    "../",
    "%2e%2e",
    "%2e%2e/",
]


def expand(template: str, outside) -> str:
    return template.format(
        outside=str(outside), outside_rel=str(outside).lstrip("/"), tmp=str(outside.parent)
    )


@pytest.fixture
def alice(client):
    return signup(client, "alice")


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_from_the_root_is_404(client, alice, outside, template):
    path = "/members/" + expand(template, outside)
    response = get_following(client, path, alice.headers)
    assert_error(response, 404, "not_found")
    assert SECRET not in response.get_data(as_text=True)


@pytest.mark.parametrize("template", ESCAPES)
def test_escape_is_404_in_accel_redirect_mode_too(make_content_app, outside, template):
    client = make_content_app({"accel_redirect_prefix": "/_protected/"}).test_client(use_cookies=False)
    alice = signup(client, "alice")
    response = get_following(client, "/members/" + expand(template, outside), alice.headers)
    assert_error(response, 404, "not_found")
    assert "X-Accel-Redirect" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "../outside",
        "%2e%2e/outside",
        "%2e%2e%2foutside",
        "docs/../../outside",
        "../outside/sub",
        "links/outdir",
        "links/outdir/sub",
    ],
)
def test_directories_outside_the_root_are_404_not_redirects(client, alice, path):
    """A redirect (to the directory's ``/`` form) would reveal that the directory exists."""
    response = client.get(f"/members/{path}", headers=alice.headers)
    assert_error(response, 404, "not_found")
    assert "Location" not in response.headers


def test_outside_directory_and_missing_one_answer_alike(client, alice):
    existing = client.get("/members/%2e%2e/outside", headers=alice.headers)
    missing = client.get("/members/%2e%2e/no-such-folder", headers=alice.headers)
    assert (existing.status_code, existing.get_json()) == (missing.status_code, missing.get_json())


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("a" * 300, id="name-300"),
        pytest.param("docs/" + "b" * 300 + ".html", id="nested-name-300"),
        pytest.param("a/" * 2100 + "x.html", id="path-4200"),
    ],
)
def test_overlong_paths_are_404_not_500(client, alice, path):
    response = client.get(f"/members/{path}", headers=alice.headers)
    assert_error(response, 404, "not_found")


def test_files_beside_the_root_with_a_similar_name_are_not_served(client, alice):
    response = get_following(client, "/members/..%2fmembers-evil%2fsecret.txt", alice.headers)
    assert_error(response, 404, "not_found")
    assert SECRET not in response.get_data(as_text=True)


def test_anonymous_escape_attempt_never_serves_the_secret(client, outside):
    for template in ESCAPES:
        response = get_following(client, "/members/" + expand(template, outside))
        assert response.status_code in (401, 404), (template, response.status)
        assert SECRET not in response.get_data(as_text=True)


def test_root_given_as_relative_path_still_refuses_escapes(make_content_app, root, outside, monkeypatch):
    monkeypatch.chdir(root.parent)
    client = make_content_app({"root": root.name}).test_client(use_cookies=False)
    alice = signup(client, "alice")
    assert client.get("/members/guide.html", headers=alice.headers).status_code == 200
    for template in ("../outside/secret.txt", "%2e%2e/outside/secret.txt", "links/out.txt"):
        response = get_following(client, "/members/" + expand(template, outside), alice.headers)
        assert_error(response, 404, "not_found")
