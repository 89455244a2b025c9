"""``db copy`` never lets the target give an id the source already gave, even one whose row was
deleted: a deleted account's id must not come back after a move (issue 15, point 1)."""

from __future__ import annotations

import pytest

from core import create_app
from tests.conftest import PG_URL, require

PASSWORD = "correct horse battery staple"


def app_on(url, instance):
    config = {
        "database": {"url": url},
        "site": {"static_dir": ""},
        "rate_limits": {"enabled": False},
        "security": {"secret_key": "b" * 48},
        "plugins": {"enabled": ["auth", "profile", "content"], "auth": {"bcrypt_rounds": 4}},
    }
    return create_app(config, environ={}, instance_path=instance)


def register(client, name):
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.postgres
@pytest.mark.parametrize("direction", ["sqlite-to-postgresql", "postgresql-to-sqlite"])
def test_a_copy_continues_after_every_id_the_source_gave(tmp_path, new_pg_database, direction):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: no PostgreSQL to copy with")
    sqlite_url, pg_url = f"sqlite:///{tmp_path / 'annex.db'}", new_pg_database()
    source_url, target_url = (sqlite_url, pg_url) if direction.startswith("sqlite") else (pg_url, sqlite_url)
    source = app_on(source_url, tmp_path / "source")
    try:
        client = source.test_client()
        register(client, "stays")
        gone = register(client, "gone")  # the highest ids, then deleted
        headers = {"Authorization": f"Bearer {gone['access_token']}"}
        assert client.delete("/api/user", json={"password": PASSWORD}, headers=headers).status_code == 204
        result = source.test_cli_runner().invoke(args=["db", "copy", "--to", target_url])
        assert result.exit_code == 0, result.output
    finally:
        source.extensions["annex"].db.close()
    moved = app_on(target_url, tmp_path / "moved")
    try:
        third = register(moved.test_client(), "third")
        assert third["user"]["id"] > gone["user"]["id"]
    finally:
        moved.extensions["annex"].db.close()
