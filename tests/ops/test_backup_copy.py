"""``backup`` under concurrent writes, and ``db copy`` from a populated SQLite to PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from core import create_app
from tests.conftest import PG_URL, require

PASSWORD = "correct horse battery staple"


def sqlite_app(tmp_path, name="annex.db", **extra):
    config = {
        "database": {"url": f"sqlite:///{tmp_path / name}"},
        "site": {"static_dir": ""},
        "rate_limits": {"enabled": False},
        "security": {"secret_key": "b" * 48},
        "plugins": {"enabled": ["auth", "profile", "content"], "auth": {"bcrypt_rounds": 4}, **extra},
    }
    return create_app(config, environ={}, instance_path=tmp_path / "instance")


def register(client, name):
    response = client.post(
        "/api/auth/register", json={"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    )
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}, response.json


def test_backup_under_concurrent_writes_holds_every_acknowledged_write(tmp_path):
    app = sqlite_app(tmp_path)
    client = app.test_client()
    headers, _ = register(client, "writer")
    acknowledged: list[int] = []
    stop = threading.Event()

    def write() -> None:
        writer = app.test_client()
        n = 0
        while not stop.is_set():
            if writer.put(f"/api/user/data/k{n}", json={"value": n}, headers=headers).status_code == 201:
                acknowledged.append(n)
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        time.sleep(0.5)
        before = list(acknowledged)
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.db")])
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert len(before) > 5
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in copy.execute("SELECT key FROM content_items")}
    copy.close()
    assert {f"k{n}" for n in before} <= stored
    restored = sqlite_app(tmp_path, name="copy.db").test_client()
    assert restored.get("/api/user/data/k0", headers=headers).json["value"] == 0


def test_backup_refuses_an_existing_file_and_postgresql(tmp_path, new_pg_database):
    app = sqlite_app(tmp_path)
    (tmp_path / "taken.db").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "taken.db")])
    assert result.exit_code != 0
    assert "exists" in result.output
    if PG_URL:
        pg = create_app(
            {"database": {"url": new_pg_database()}, "site": {"static_dir": ""}},
            environ={},
            instance_path=tmp_path,
        )
        result = pg.test_cli_runner().invoke(args=["backup", str(tmp_path / "pg.db")])
        assert result.exit_code != 0
        assert "pg_dump" in result.output


@pytest.mark.postgres
def test_copy_from_sqlite_to_postgresql_keeps_logins_sessions_data_and_etags(tmp_path, new_pg_database):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: no PostgreSQL to copy to")
    fields = {"profile": {"fields": {"nickname": {"type": "string"}}}}
    source = sqlite_app(tmp_path, **fields)
    client = source.test_client()
    headers, tokens = register(client, "mover")
    register(client, "other")
    assert (
        client.patch("/api/user/profile", json={"nickname": "mo", "bio": "hi"}, headers=headers).status_code
        == 200
    )
    etag = client.put("/api/user/data/prefs", json={"value": {"theme": "dark"}}, headers=headers).headers[
        "ETag"
    ]
    target = new_pg_database()
    result = source.test_cli_runner().invoke(args=["db", "copy", "--to", target])
    assert result.exit_code == 0, result.output
    assert "auth_users: 2 row(s)" in result.output
    moved = create_app(
        {
            "database": {"url": target},
            "site": {"static_dir": ""},
            "rate_limits": {"enabled": False},
            "security": {"secret_key": "b" * 48},
            "plugins": {"enabled": ["auth", "profile", "content"], "auth": {"bcrypt_rounds": 4}, **fields},
        },
        environ={},
        instance_path=tmp_path / "moved",
    )
    try:
        mclient = moved.test_client()
        # The old session and access token still work: same ids, same key.
        assert mclient.get("/api/user/profile", headers=headers).json["nickname"] == "mo"
        data = mclient.get("/api/user/data/prefs", headers=headers)
        assert data.json["value"] == {"theme": "dark"}
        assert data.headers["ETag"] == etag
        refreshed = mclient.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200
        login = mclient.post("/api/auth/login", json={"username": "mover", "password": PASSWORD})
        assert login.status_code == 200
        # New rows get fresh ids after the copied ones.
        third = mclient.post(
            "/api/auth/register",
            json={"username": "third", "email": "third@example.com", "password": PASSWORD},
        )
        assert third.json["user"]["id"] == 3
        assert moved.test_cli_runner().invoke(args=["db", "copy", "--to", target]).exit_code != 0
    finally:
        moved.extensions["annex"].db.close()
