"""Per-user data follows the account: exported under "content", dropped when the account is deleted."""

from __future__ import annotations

from typing import Any

from tests.plugins.content.conftest import PASSWORD, assert_error, items_of, put_value, signup


def content_rows(app: Any, user_id: int) -> list[dict[str, Any]]:
    """Every row of the content plugin's tables (named ``content*``) for ``user_id``."""
    database = app.extensions["annex"].db
    try:
        rows = []
        for table in database.tables:
            if table.startswith("content") and "user_id" in database[table].columns:
                rows.extend(dict(row) for row in database[table].find(user_id=user_id))
        return rows
    finally:
        database.release()


def holds(section: Any, items: dict[str, Any]) -> bool:
    """Whether an export section holds exactly ``items``: as itself, or as one of its values."""
    if section == items:
        return True
    return isinstance(section, dict) and any(value == items for value in section.values())


def delete_account(client: Any, user: Any, password: str = PASSWORD) -> Any:
    return client.delete("/api/user", json={"password": password}, headers=user.headers)


def test_export_holds_the_data_under_content(client):
    alice = signup(client, "alice")
    put_value(client, alice, "theme", "dark")
    put_value(client, alice, "layout", {"columns": 3})
    response = client.get("/api/user/export", headers=alice.headers)
    assert response.status_code == 200
    assert holds(response.get_json()["content"], {"theme": "dark", "layout": {"columns": 3}})


def test_export_of_a_user_without_data_has_an_empty_content_section(client):
    alice = signup(client, "alice")
    section = client.get("/api/user/export", headers=alice.headers).get_json()["content"]
    assert holds(section, {})


def test_export_holds_only_the_users_own_data(client):
    alice = signup(client, "alice")
    bob = signup(client, "bob")
    put_value(client, alice, "diary", "alice's secret")
    put_value(client, bob, "notes", "bob's")
    response = client.get("/api/user/export", headers=bob.headers)
    assert holds(response.get_json()["content"], {"notes": "bob's"})
    assert "alice's secret" not in response.get_data(as_text=True)


def test_deleting_the_account_drops_its_data(app, client):
    alice = signup(client, "alice")
    put_value(client, alice, "a", 1)
    put_value(client, alice, "b", [2])
    assert len(content_rows(app, alice.id)) == 2
    assert delete_account(client, alice).status_code == 204
    assert content_rows(app, alice.id) == []


def test_deleted_accounts_token_no_longer_reads_data(client):
    alice = signup(client, "alice")
    put_value(client, alice, "a", 1)
    delete_account(client, alice)
    assert_error(client.get("/api/user/data/a", headers=alice.headers), 401, "token_revoked")


def test_a_new_account_does_not_inherit_deleted_data(client):
    alice = signup(client, "alice")
    put_value(client, alice, "diary", "old")
    delete_account(client, alice)
    again = signup(client, "alice")
    assert items_of(client, again) == {}


def test_deleting_one_account_keeps_the_others_data(app, client):
    alice = signup(client, "alice")
    bob = signup(client, "bob")
    put_value(client, alice, "k", "alice")
    put_value(client, bob, "k", "bob")
    delete_account(client, alice)
    assert items_of(client, bob) == {"k": "bob"}
    assert len(content_rows(app, bob.id)) == 1


def test_wrong_password_keeps_the_data(app, client):
    alice = signup(client, "alice")
    put_value(client, alice, "k", 1)
    assert_error(delete_account(client, alice, "not my password"), 401, "invalid_credentials")
    assert items_of(client, alice) == {"k": 1}
