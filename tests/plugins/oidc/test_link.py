"""Linking and unlinking provider accounts from the account page, the provider list, MFA after
a provider, deletion, and the masked secret (api-v2.md, "oidc plugin")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.plugins.oidc.helpers import PASSWORD, START, account, api, landing, register
from tests.plugins.oidc.provider import SITE
from tests.servers import write_toml
from tests.testplugins import signin_method

ROOT = Path(__file__).resolve().parents[3]
INVALID_STATE = {"error": "oidc_invalid_state"}


def test_the_providers_are_listed_for_the_buttons_without_secrets(oidc_app, provider):
    app = oidc_app(
        providers=[provider.config(label="Our Keycloak"), provider.config("annex-es", name="second")]
    )
    answer = app.test_client().get("/api/oidc/providers")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "providers": [{"name": "test", "label": "Our Keycloak"}, {"name": "second", "label": "second"}]
    }
    assert "secret" not in answer.get_data(as_text=True)


def _link(browser, next_path="/account.html"):
    answer = api(browser, "POST", "/api/oidc/test/link", {"next": next_path})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["url"]


def test_a_signed_in_user_links_a_provider_account_then_signs_in_with_it(oidc_app, browser_for):
    app = oidc_app()
    owner = browser_for(app)
    register(owner, "owner", "owner@example.com")
    url = _link(owner)
    assert url.startswith(f"{SITE}/api/oidc/test/start?link=")
    assert landing(owner.sign_in_at_provider(url, "ada")) == ("/account.html", {})  # a different email: fine
    listed = api(owner, "GET", "/api/oidc/identities").get_json()["identities"]
    assert [(i["provider"], i["email"]) for i in listed] == [("test", "ada@example.com")]
    assert set(listed[0]) == {"id", "provider", "email", "created_at"}
    later = browser_for(app)
    landing(later.sign_in_at_provider(START, "ada"))
    assert account(later)["username"] == "owner"
    activity = api(owner, "GET", "/api/auth/activity").get_json()
    assert "oidc_linked" in json.dumps(activity)


def test_a_link_url_only_works_for_the_user_who_asked(oidc_app, browser_for):
    app = oidc_app()
    owner = browser_for(app)
    register(owner, "owner", "owner@example.com")
    url = _link(owner)
    stranger = browser_for(app)  # not signed in: the link URL was handed to someone else
    assert landing(stranger.sign_in_at_provider(url, "ada")) == (
        "/login.html",
        {"error": "oidc_invalid_state"},
    )
    other = browser_for(app)
    register(other, "other", "other@example.com")
    assert landing(other.go(url)) == (
        "/login.html",
        {"error": "oidc_invalid_state"},
    )  # used up, and not theirs
    assert api(owner, "GET", "/api/oidc/identities").get_json()["identities"] == []


def test_linking_an_identity_of_another_user_is_refused(oidc_app, browser_for):
    app = oidc_app()
    landing(browser_for(app).sign_in_at_provider(START, "grace"))  # grace's account owns that sub
    owner = browser_for(app)
    register(owner, "owner", "owner@example.com")
    assert landing(owner.sign_in_at_provider(_link(owner), "grace")) == (
        "/login.html", {"error": "oidc_already_linked"},
    )  # fmt: skip
    assert api(owner, "GET", "/api/oidc/identities").get_json()["identities"] == []


def test_linking_needs_a_session_and_a_known_provider(oidc_app):
    client = oidc_app().test_client()
    assert client.post("/api/oidc/test/link", json={}, base_url=SITE).status_code == 401
    assert client.get("/api/oidc/identities", base_url=SITE).status_code == 401


def test_linking_needs_recent_auth_too(oidc_app, browser_for):
    """A linked identity is a way in that outlives a password change: a stolen session that is
    not fresh cannot add one."""
    app = oidc_app({"plugins": {"auth": {"reauth_max_age": 0}}})
    owner = browser_for(app)
    register(owner, "owner", "owner@example.com")
    answer = api(owner, "POST", "/api/oidc/test/link", {"next": "/account.html"})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "reauth_required")
    assert answer.get_json()["error"]["methods"] == ["password"]
    wrong = api(owner, "POST", "/api/oidc/test/link", {"next": "/", "password": "not-the-password-1"})
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (401, "invalid_credentials")
    proved = api(owner, "POST", "/api/oidc/test/link", {"next": "/account.html", "password": PASSWORD})
    assert proved.status_code == 200
    assert landing(owner.sign_in_at_provider(proved.get_json()["url"], "ada")) == ("/account.html", {})


def test_unlinking_needs_recent_auth_and_never_removes_the_last_way_in(oidc_app, browser_for):
    app = oidc_app({"plugins": {"auth": {"reauth_max_age": 0}}})
    owner = browser_for(app)
    register(owner, "owner", "owner@example.com")
    url = api(owner, "POST", "/api/oidc/test/link", {"next": "/account.html", "password": PASSWORD})
    landing(owner.sign_in_at_provider(url.get_json()["url"], "ada"))
    identity = api(owner, "GET", "/api/oidc/identities").get_json()["identities"][0]["id"]
    answer = api(owner, "DELETE", f"/api/oidc/identities/{identity}")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "reauth_required")
    answer = api(owner, "DELETE", f"/api/oidc/identities/{identity}", {"password": PASSWORD})
    assert answer.status_code == 204
    assert api(owner, "GET", "/api/oidc/identities").get_json()["identities"] == []
    assert api(owner, "DELETE", f"/api/oidc/identities/{identity}", {}).status_code in (403, 404)

    only = browser_for(oidc_app())  # an account made by the provider: no password
    landing(only.sign_in_at_provider(START, "grace"))
    identity = api(only, "GET", "/api/oidc/identities").get_json()["identities"][0]["id"]
    answer = api(only, "DELETE", f"/api/oidc/identities/{identity}")  # signed in just now: recent
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (409, "last_sign_in_method")


def test_a_second_factor_is_asked_for_after_the_provider(oidc_app, browser_for):
    app = oidc_app(plugins=[signin_method])
    browser = browser_for(app)
    landing(browser.sign_in_at_provider(START, "ada"))
    assert api(browser, "POST", "/api/magic/pin", {"pin": "2468"}).status_code in (200, 201, 204)
    later = browser_for(app)
    path, query = landing(later.sign_in_at_provider(f"{START}?next=/members/", "ada"))
    assert path == "/login.html" and set(query) == {"mfa", "factors", "next"}
    assert (query["factors"], query["next"]) == ("pin", "/members/")
    assert account(later) is None  # no cookie before the second factor
    answer = later.client.post(
        "/api/auth/mfa", json={"mfa_token": query["mfa"], "factor": "pin", "code": "2468"}, base_url=SITE
    )
    assert answer.status_code == 200, answer.get_json()
    sessions = later.client.get("/api/auth/sessions", base_url=SITE).get_json()["sessions"]
    assert any(set(s["methods"]) >= {"fed", "pin", "mfa"} for s in sessions)


def test_a_deleted_account_leaves_no_identity_behind(oidc_app, browser_for):
    app = oidc_app()
    browser = browser_for(app)
    register(browser, "owner", "owner@example.com")
    landing(browser.sign_in_at_provider(_link(browser), "ada"))
    first = account(browser)["id"]
    assert api(browser, "DELETE", "/api/user", {"password": PASSWORD}).status_code == 204
    again = browser_for(app)
    landing(again.sign_in_at_provider(START, "ada"))
    assert account(again)["id"] != first  # a new account: the old link went with the old one


def test_annex_config_masks_provider_secrets_read_from_the_environment(tmp_path, provider):
    config = write_toml(tmp_path / "config.toml", {"plugins": {"enabled": ["auth", "oidc"]}})
    with config.open("a") as file:
        file.write(
            '\n[[plugins.oidc.providers]]\nname = "test"\n'
            f'issuer = "{provider.issuer}"\nclient_id = "annex"\n'
            'client_secret = {env = "OIDC_TEST_SECRET"}\n'
        )
    env = {**os.environ, "ANNEX_CONFIG": str(config), "OIDC_TEST_SECRET": "very-secret-value-42",
           "ANNEX_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}  # fmt: skip
    result = subprocess.run(
        [str(Path(sys.executable).parent / "annex"), "config"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)["plugins"]["oidc"]["providers"][0]
    assert shown["client_secret"] == "***" and shown["client_id"] == "annex"
    assert "very-secret-value-42" not in result.stdout + result.stderr
