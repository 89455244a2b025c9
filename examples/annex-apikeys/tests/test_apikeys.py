"""Tests of the apikeys plugin, with Annex's test kit (fixtures annex_*, check_plugin)."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
from annex_apikeys import keys

from core.testing import TEST_PASSWORD, check_plugin, register_user

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def new_key(client, user, name="backup script", **extra):
    response = client.post("/api/apikeys", json={"name": name, **extra}, headers=user.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def api_key(key):
    return {"Authorization": f"ApiKey {key}"}


def later(monkeypatch, seconds):
    """Move the plugin's clock ``seconds`` ahead (only the plugin's: tokens keep real time)."""
    monkeypatch.setattr(keys, "time", SimpleNamespace(time=lambda: time.time() + seconds))


# ------------------------------------------------------------------------------------------------
# creating, listing, deleting
# ------------------------------------------------------------------------------------------------


def test_a_new_key_is_shown_once_with_its_prefix(client, annex_user):
    response = client.post("/api/apikeys", json={"name": "backup script"}, headers=annex_user.headers)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    created = response.get_json()
    assert set(created) == {"id", "name", "key", "prefix", "created_at", "expires_at"}
    assert created["name"] == "backup script"
    assert created["key"].startswith(created["prefix"])
    assert len(created["key"]) >= 40 and len(created["prefix"]) <= 16
    assert RFC3339.fullmatch(created["created_at"])
    assert created["expires_at"] is None

    listed = client.get("/api/apikeys", headers=annex_user.headers)
    assert listed.status_code == 200
    assert listed.get_json() == {
        "keys": [
            {
                "id": created["id"],
                "name": "backup script",
                "prefix": created["prefix"],
                "created_at": created["created_at"],
                "last_used_at": None,
                "expires_at": None,
            }
        ]
    }
    assert created["key"] not in listed.get_data(as_text=True)
    assert keys.hash_key(created["key"]) not in listed.get_data(as_text=True)


def test_every_key_is_different(client, annex_user):
    first, second = new_key(client, annex_user), new_key(client, annex_user)
    assert first["key"] != second["key"]
    assert first["id"] != second["id"]


def test_an_expiring_key_says_when(client, annex_user):
    created = new_key(client, annex_user, expires_in_days=30)
    created_at = time.mktime(time.strptime(created["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
    expires_at = time.mktime(time.strptime(created["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert expires_at - created_at == pytest.approx(30 * 86400, abs=2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 65}, "name"),
        ({}, "name"),
        ({"name": "ok", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "30"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": 1.5}, "expires_in_days"),
        ({"name": "ok", "key": "ak_chosen-by-me"}, "key"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field(client, annex_user, body, field):
    response = client.post("/api/apikeys", json=body, headers=annex_user.headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert client.get("/api/apikeys", headers=annex_user.headers).get_json() == {"keys": []}


def test_the_longest_name_and_lifetime_are_accepted(client, annex_user):
    created = new_key(client, annex_user, name="n" * 64, expires_in_days=3650)
    assert created["name"] == "n" * 64


def test_keys_need_a_login(client):
    assert client.get("/api/apikeys").status_code == 401
    assert client.post("/api/apikeys", json={"name": "x"}).status_code == 401
    assert client.delete("/api/apikeys/1").status_code == 401


def test_a_deleted_key_stops_working(client, annex_user):
    created = new_key(client, annex_user)
    assert client.get("/api/user/profile", headers=api_key(created["key"])).status_code == 200
    assert client.delete(f"/api/apikeys/{created['id']}", headers=annex_user.headers).status_code == 204
    refused = client.get("/api/user/profile", headers=api_key(created["key"]))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/apikeys", headers=annex_user.headers).get_json() == {"keys": []}
    assert client.delete(f"/api/apikeys/{created['id']}", headers=annex_user.headers).status_code == 404


def test_users_see_and_delete_only_their_own_keys(client, annex_user):
    mine = new_key(client, annex_user)
    other = register_user(client)
    assert client.get("/api/apikeys", headers=other.headers).get_json() == {"keys": []}
    refused = client.delete(f"/api/apikeys/{mine['id']}", headers=other.headers)
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/user/profile", headers=api_key(mine["key"])).status_code == 200


def test_past_the_most_keys_a_user_may_hold_creating_is_a_conflict(annex_app_factory):
    app = annex_app_factory(config={"plugins": {"apikeys": {"max_keys_per_user": 2}}})
    client = app.test_client()
    user = register_user(client)
    first = new_key(client, user)
    new_key(client, user)
    refused = client.post("/api/apikeys", json={"name": "third"}, headers=user.headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "conflict"
    assert len(client.get("/api/apikeys", headers=user.headers).get_json()["keys"]) == 2
    # Another user has room of their own; deleting a key makes room again.
    new_key(client, register_user(client))
    assert client.delete(f"/api/apikeys/{first['id']}", headers=user.headers).status_code == 204
    new_key(client, user, name="third")


def test_an_unknown_setting_stops_start_up(annex_app_factory):
    with pytest.raises(Exception, match="max_keys"):
        annex_app_factory(config={"plugins": {"apikeys": {"max_keys": 2}}})


# ------------------------------------------------------------------------------------------------
# using a key on routes of other plugins
# ------------------------------------------------------------------------------------------------


def test_the_profile_answers_to_a_key_as_to_a_login(client, annex_user):
    key = new_key(client, annex_user)["key"]
    with_token = client.get("/api/user/profile", headers=annex_user.headers)
    with_key = client.get("/api/user/profile", headers=api_key(key))
    assert with_key.status_code == 200
    assert with_key.get_json() == with_token.get_json()
    assert with_key.get_json()["username"] == annex_user.username


def test_a_key_writes_the_users_data_without_csrf(client, annex_user):
    key = new_key(client, annex_user)["key"]
    put = client.put("/api/user/data/x", json={"value": {"n": 1}}, headers=api_key(key))
    assert put.status_code == 201
    assert client.get("/api/user/data/x", headers=annex_user.headers).get_json()["value"] == {"n": 1}
    assert client.delete("/api/user/data/x", headers=api_key(key)).status_code == 204
    assert client.get("/api/user/data/x", headers=annex_user.headers).status_code == 404


def test_a_key_works_beside_browser_cookies_of_another_user(annex_app):
    """The header wins over cookies, and a key needs no CSRF header even when cookies are sent."""
    browser = annex_app.test_client(use_cookies=True)
    owner = register_user(annex_app.test_client())
    key = new_key(annex_app.test_client(), owner)["key"]
    register_user(browser)  # the browser now holds another user's session cookies
    put = browser.put(
        "/api/user/data/x", json={"value": 1}, headers=api_key(key), base_url="https://localhost"
    )
    assert put.status_code == 201
    assert annex_app.test_client().get("/api/user/data", headers=owner.headers).get_json() == {
        "items": {"x": 1}
    }


@pytest.mark.parametrize(
    "header",
    ["ApiKey ak_not-a-key-at-all", "ApiKey ", "apikey ak_not-a-key-at-all", "ApiKey " + "x" * 300],
)
def test_a_bad_key_is_refused(client, header):
    response = client.get("/api/user/profile", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "API key" in response.get_json()["error"]["message"]  # says what was wrong
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_key_scheme_is_case_insensitive(client, annex_user):
    key = new_key(client, annex_user)["key"]
    response = client.get("/api/user/profile", headers={"Authorization": f"APIKEY {key}"})
    assert response.status_code == 200


def test_a_key_of_another_site_is_not_a_bearer_token_and_vice_versa(client, annex_user):
    key = new_key(client, annex_user)["key"]
    assert client.get("/api/user/profile", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    bearer = {"Authorization": f"ApiKey {annex_user.access_token}"}
    assert client.get("/api/user/profile", headers=bearer).status_code == 401
    assert client.get("/api/user/profile", headers=annex_user.headers).status_code == 200


def test_an_expired_key_is_refused(client, annex_user, monkeypatch):
    key = new_key(client, annex_user, expires_in_days=1)["key"]
    later(monkeypatch, 86400 - 60)
    assert client.get("/api/user/profile", headers=api_key(key)).status_code == 200
    later(monkeypatch, 86400 + 1)
    refused = client.get("/api/user/profile", headers=api_key(key))
    assert refused.status_code == 401
    assert "expired" in refused.get_json()["error"]["message"]


def test_last_use_is_recorded_at_most_once_a_minute(client, annex_user, monkeypatch):
    key = new_key(client, annex_user)["key"]

    def last_used():
        return client.get("/api/apikeys", headers=annex_user.headers).get_json()["keys"][0]["last_used_at"]

    assert last_used() is None
    client.get("/api/user/profile", headers=api_key(key))
    first = last_used()
    assert RFC3339.fullmatch(first)
    later(monkeypatch, 30)
    client.get("/api/user/profile", headers=api_key(key))
    assert last_used() == first
    later(monkeypatch, 120)
    client.get("/api/user/profile", headers=api_key(key))
    assert last_used() > first


def test_a_key_cannot_create_keys_but_can_list_and_delete_them(client, annex_user):
    created = new_key(client, annex_user)
    refused = client.post("/api/apikeys", json={"name": "spawn"}, headers=api_key(created["key"]))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    listed = client.get("/api/apikeys", headers=api_key(created["key"])).get_json()["keys"]
    assert [k["id"] for k in listed] == [created["id"]]
    deleted = client.delete(f"/api/apikeys/{created['id']}", headers=api_key(created["key"]))
    assert deleted.status_code == 204
    assert client.get("/api/apikeys", headers=annex_user.headers).get_json() == {"keys": []}


# ------------------------------------------------------------------------------------------------
# users' data
# ------------------------------------------------------------------------------------------------


def test_the_export_lists_keys_without_secrets(client, annex_user):
    created = new_key(client, annex_user)
    export = client.get("/api/user/export", headers=api_key(created["key"]))
    assert export.status_code == 200
    assert [k["name"] for k in export.get_json()["apikeys"]] == ["backup script"]
    assert export.get_json()["apikeys"][0]["roles"] == ["member"]
    text = export.get_data(as_text=True)
    assert created["key"] not in text
    assert keys.hash_key(created["key"]) not in text


def test_deleting_the_account_ends_its_keys(client, annex_user):
    key = new_key(client, annex_user)["key"]
    deleted = client.delete("/api/user", json={"password": TEST_PASSWORD}, headers=annex_user.headers)
    assert deleted.status_code == 204
    assert client.get("/api/user/profile", headers=api_key(key)).status_code == 401


# ------------------------------------------------------------------------------------------------
# commands, documentation, rules
# ------------------------------------------------------------------------------------------------


def test_the_command_line_lists_and_revokes_keys(app, client, annex_user):
    runner = app.test_cli_runner()
    created = new_key(client, annex_user, name="nightly")
    other = register_user(client)
    new_key(client, other, name="someone else's")

    everything = runner.invoke(args=["apikeys", "list"])
    assert everything.exit_code == 0, everything.output
    assert "nightly" in everything.output and "someone else's" in everything.output
    assert created["prefix"] in everything.output
    assert created["key"] not in everything.output

    mine = runner.invoke(args=["apikeys", "list", annex_user.username.upper()])
    assert "nightly" in mine.output and "someone else's" not in mine.output

    revoked = runner.invoke(args=["apikeys", "revoke", str(created["id"])])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/user/profile", headers=api_key(created["key"])).status_code == 401
    again = runner.invoke(args=["apikeys", "revoke", str(created["id"])])
    assert again.exit_code != 0
    assert f"no API key {created['id']}" in again.output


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/apikeys"])
    assert any(path.startswith("/api/apikeys/") and "delete" in ops for path, ops in paths.items())


def test_plugin_keeps_the_rules(annex_app_factory):
    check_plugin("apikeys", annex_app_factory)
