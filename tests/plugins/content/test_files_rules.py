"""Who may read which file: ``[[plugins.content.rules]]`` and other plugins' ``permission_allowed``."""

from __future__ import annotations

import pytest

from tests.plugins.content.conftest import assert_error, get_following, grant, signup
from tests.testplugins import gatekeeper

RULES = [
    {"pattern": "premium/*", "roles": ["premium"]},
    {"pattern": "premium/deep/*", "roles": ["gold"]},
    {"pattern": "*.json", "roles": ["premium", "verified"]},
]


@pytest.fixture
def app(make_content_app):
    return make_content_app({"rules": RULES})


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def read(client, user, path):
    return client.get(f"/members/{path}", headers=user.headers)


@pytest.mark.parametrize(
    "path", ["premium/report.html", "premium/", "premium/index.html", "premium/deep/inner.html"]
)
def test_member_without_the_role_gets_403(client, alice, path):
    response = read(client, alice, path)
    assert_error(response, 403, "forbidden")
    assert "<title>" not in response.get_data(as_text=True)


def test_member_with_the_role_reads_the_file(app, client, alice):
    grant(app, "alice", "premium")
    response = read(client, alice, "premium/report.html")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>premium report</title>"


def test_role_granted_later_applies_to_the_current_token(app, client, alice):
    assert read(client, alice, "premium/report.html").status_code == 403
    grant(app, "alice", "premium")
    assert read(client, alice, "premium/report.html").status_code == 200


def test_role_revoked_later_applies_to_the_current_token(app, client, alice):
    grant(app, "alice", "premium")
    assert read(client, alice, "premium/report.html").status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "revoke", "alice", "premium"])
    assert result.exit_code == 0, result.output
    assert read(client, alice, "premium/report.html").status_code == 403


def test_pattern_star_crosses_folders(app, client, alice):
    grant(app, "alice", "gold")  # gold alone does not open premium/deep/*
    assert_error(read(client, alice, "premium/deep/inner.html"), 403, "forbidden")


def test_every_matching_rule_must_be_satisfied(app, client, alice):
    grant(app, "alice", "premium")
    assert read(client, alice, "premium/report.html").status_code == 200
    assert_error(read(client, alice, "premium/deep/inner.html"), 403, "forbidden")
    grant(app, "alice", "gold")
    assert read(client, alice, "premium/deep/inner.html").status_code == 200


def test_a_rule_with_several_roles_needs_them_all(app, client, alice):
    grant(app, "alice", "premium")
    assert_error(read(client, alice, "data.json"), 403, "forbidden")
    grant(app, "alice", "verified")
    assert read(client, alice, "data.json").status_code == 200


def test_files_no_rule_matches_are_open_to_every_member(client, alice):
    assert read(client, alice, "guide.html").status_code == 200
    assert read(client, alice, "docs/page.html").status_code == 200


def test_anonymous_request_for_a_ruled_file_is_401_not_403(client):
    assert_error(client.get("/members/premium/report.html"), 401, "unauthorized")


def test_symlink_to_a_ruled_file_does_not_bypass_the_rule(client, alice):
    response = read(client, alice, "links/to-premium.html")
    assert response.status_code in (403, 404)
    assert "premium report" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "premium//report.html",
        "premium/./report.html",
        "docs/../premium/report.html",
        "docs/%2e%2e/premium/report.html",
        "./premium/report.html",
        "premium%2freport.html",
        "links/../premium/report.html",
        "docs/up/premium/report.html",
    ],
)
def test_path_variants_do_not_bypass_a_rule(client, alice, path):
    response = get_following(client, f"/members/{path}", alice.headers)
    assert response.status_code in (403, 404), (path, response.status)
    assert "premium report" not in response.get_data(as_text=True)


def test_conditional_get_does_not_bypass_a_rule(app, client, alice):
    bob = signup(client, "bob")
    grant(app, "bob", "premium")
    etag = read(client, bob, "premium/report.html").headers["ETag"]
    response = client.get("/members/premium/report.html", headers={**alice.headers, "If-None-Match": etag})
    assert_error(response, 403, "forbidden")


# -------------------------------------------------------------------------------------------------
# a third-party plugin's opinion (tests/testplugins/gatekeeper.py)
# -------------------------------------------------------------------------------------------------


@pytest.fixture
def guarded_app(make_content_app):
    gatekeeper.asked.clear()
    yield make_content_app({"rules": RULES}, plugins=[gatekeeper])
    gatekeeper.asked.clear()


@pytest.fixture
def guarded(guarded_app):
    return guarded_app.test_client(use_cookies=False)


def test_without_the_plugin_secret_files_are_open(client, alice):
    assert read(client, alice, "secret/plan.html").status_code == 200


def test_plugin_denial_is_a_403(guarded, guarded_app):
    carol = signup(guarded, "carol")
    response = read(guarded, carol, "secret/plan.html")
    assert_error(response, 403, "forbidden")
    assert "secret plan" not in response.get_data(as_text=True)


def test_plugin_denial_holds_whatever_the_roles(guarded, guarded_app):
    carol = signup(guarded, "carol")
    for role in ("premium", "gold", "verified", "staff", "admin"):
        grant(guarded_app, "carol", role)
    assert_error(read(guarded, carol, "secret/plan.html"), 403, "forbidden")


def test_plugin_can_require_its_own_role(guarded, guarded_app):
    carol = signup(guarded, "carol")
    assert_error(read(guarded, carol, "staff/handbook.html"), 403, "forbidden")
    grant(guarded_app, "carol", "staff")
    response = read(guarded, carol, "staff/handbook.html")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "<title>staff handbook</title>"


def test_plugin_grant_serves_an_unruled_file(guarded):
    carol = signup(guarded, "carol")
    assert read(guarded, carol, "open/teaser.html").status_code == 200


def test_plugin_grant_cannot_override_a_configured_rule(guarded, guarded_app):
    carol = signup(guarded, "carol")
    assert_error(read(guarded, carol, "premium/report.html"), 403, "forbidden")
    grant(guarded_app, "carol", "premium")
    assert read(guarded, carol, "premium/report.html").status_code == 200


def test_plugin_is_asked_about_the_file_being_read(guarded):
    carol = signup(guarded, "carol")
    read(guarded, carol, "guide.html")
    assert ("content.read", "guide.html", "carol") in gatekeeper.asked


def test_plugin_is_asked_about_the_index_of_a_directory(guarded):
    carol = signup(guarded, "carol")
    gatekeeper.asked.clear()
    assert read(guarded, carol, "docs/").status_code == 200
    resources = [resource for action, resource, _ in gatekeeper.asked if action == "content.read"]
    assert resources and resources[0] in ("docs/index.html", "docs/", "docs")


def test_plugin_denial_applies_to_a_symlinked_path(guarded, root):
    (root / "links" / "plan.html").symlink_to("../secret/plan.html")
    carol = signup(guarded, "carol")
    response = read(guarded, carol, "links/plan.html")
    assert response.status_code in (403, 404)
    assert "secret plan" not in response.get_data(as_text=True)


def test_plugin_denial_applies_in_accel_redirect_mode(make_content_app):
    gatekeeper.asked.clear()
    app = make_content_app({"accel_redirect_prefix": "/_protected/"}, plugins=[gatekeeper])
    client = app.test_client(use_cookies=False)
    carol = signup(client, "carol")
    response = read(client, carol, "secret/plan.html")
    assert_error(response, 403, "forbidden")
    assert "X-Accel-Redirect" not in response.headers
