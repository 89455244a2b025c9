"""bench/seed.py: the seeded users exist and log in, on Annex's own schema and on the baseline's."""

from __future__ import annotations

import sqlite3

import pytest

from bench import seed
from bench.baseline_app import create_app as create_baseline

PASSWORD = "seed-password-1"


def test_seeded_annex_users_log_in_through_annex(make_app, database_url, capsys):
    seed.main(["--database-url", database_url, "--users", "12", "--password", PASSWORD, "--rounds", "4"])
    assert "seeded 12 users" in capsys.readouterr().out

    client = make_app({"plugins": {"enabled": ["auth", "profile"]}}).test_client()
    for name in ("user0", "user11"):
        response = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.json
        token = response.json["access_token"]
        profile = client.get("/api/user/profile", headers={"Authorization": f"Bearer {token}"})
        assert profile.status_code == 200
        assert profile.json["username"] == name
        assert profile.json["email"] == f"{name}@example.com"
    assert (
        client.post("/api/auth/login", json={"username": "user12", "password": PASSWORD}).status_code == 401
    )
    assert (
        client.post("/api/auth/login", json={"username": "user3", "password": "wrong-pass-1"}).status_code
        == 401
    )


@pytest.fixture
def app(tmp_path, monkeypatch):
    """pytest-flask's app: the baseline, on a file seeded with three users."""
    path = tmp_path / "baseline.db"
    seed.main(["--database-url", f"sqlite:///{path}", "--users", "3", "--password", PASSWORD, "--rounds", "4",
               "--baseline"])  # fmt: skip
    monkeypatch.setenv("BASELINE_DATABASE", str(path))
    monkeypatch.setattr("bench.baseline_app.ROUNDS", 4)
    return create_baseline()


def test_seeded_baseline_users_log_in_and_use_the_routes_the_benchmark_drives(client, app, tmp_path):
    with sqlite3.connect(tmp_path / "baseline.db") as conn:
        assert conn.execute("SELECT username, email FROM users ORDER BY id").fetchall() == [
            (f"user{i}", f"user{i}@example.com") for i in range(3)
        ]

    health = client.get("/api/health")
    assert health.status_code == 200 and health.json["status"] == "ok"
    # The same headers docs/api.md makes Annex send on every response: the work is comparable.
    assert health.headers["Cache-Control"] == "no-store"
    assert health.headers["X-Content-Type-Options"] == "nosniff"

    assert (
        client.post("/api/auth/login", json={"username": "user2", "password": "nope-nope-1"}).status_code
        == 401
    )
    login = client.post("/api/auth/login", json={"username": "user2", "password": PASSWORD})
    assert login.status_code == 200
    auth = {"Authorization": f"Bearer {login.json['access_token']}"}
    assert client.get("/api/user/profile").status_code == 401
    assert client.get("/api/user/profile", headers=auth).json["username"] == "user2"
    updated = client.put("/api/user/profile", json={"display_name": "Two", "bio": "b"}, headers=auth)
    assert updated.json["display_name"] == "Two"

    put = client.put("/api/user/data/k1", json={"value": {"n": 1}}, headers=auth)
    assert put.status_code == 200 and put.headers["ETag"]
    got = client.get("/api/user/data/k1", headers=auth)
    assert got.json == {"key": "k1", "value": {"n": 1}} and got.headers["ETag"] == put.headers["ETag"]

    registered = client.post(
        "/api/auth/register", json={"username": "newbie", "email": "n@example.com", "password": PASSWORD}
    )
    assert registered.status_code == 201 and registered.json["access_token"]
    again = client.post(
        "/api/auth/register", json={"username": "NEWBIE", "email": "m@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409
