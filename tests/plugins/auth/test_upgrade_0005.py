"""Upgrading a database the first release made (auth migrations 0001 to 0004) to today's schema:
every row and index stays, ids are never given again, old tokens end, old addresses become
canonical (issue 15, point 1 and the IDN/NFC note)."""

from __future__ import annotations

import time
import unicodedata

import pytest

from core.db import connect, transaction
from core.migrations import apply
from plugins.auth import passwords
from plugins.auth.schema import MIGRATIONS
from tests.plugins.auth.conftest import (
    PASSWORD,
    assert_refused,
    assert_token_refused,
    login,
    probe,
    refresh,
    resign,
    signup,
)

OLD = [migration for migration in MIGRATIONS if migration.id < "0005"]
TABLES = ("auth_users", "auth_sessions", "auth_tokens", "auth_events")
NFD_JOSE = unicodedata.normalize("NFD", "josé@example.com")


@pytest.fixture
def old_db(database_url):
    """A database as release 1 left it, with rows in every auth table and an operator's index."""
    db = connect(database_url)
    apply(db, OLD)
    hashed = passwords.hash_password(PASSWORD, 4, "")
    at = time.time()
    users = [
        (1, "alice", "alice@example.com"),
        (2, "jose", NFD_JOSE),
        (3, "ann", "ann@xn--bcher-kva.example"),
        (4, "zoe", "zoë@example.com"),
        (5, "zoe2", unicodedata.normalize("NFD", "zoë@example.com")),  # one mailbox, two accounts
        (7, "gone", "gone@example.com"),  # deleted below: the highest id ever given
    ]
    with transaction(db):
        for user_id, name, email in users:
            db.query(
                "INSERT INTO auth_users (id, username, email, password_hash, email_verified, roles,"
                " created_at) VALUES (:id, :name, :email, :hash, :verified, '[\"member\"]', :at)",
                id=user_id, name=name, email=email, hash=hashed, verified=False, at=at,
            )  # fmt: skip
        for sid, user_id, revoked in ((1, 1, None), (2, 1, at), (3, 2, None)):
            db.query(
                "INSERT INTO auth_sessions (id, user_id, generation, created_at, expires_at,"
                " last_used_at, revoked_at, user_agent, ip) VALUES (:id, :user, 1, :at, :end, :at,"
                " :revoked, 'agent', '127.0.0.1')",
                id=sid, user=user_id, at=at, end=at + 3600, revoked=revoked,
            )  # fmt: skip
        db.query(
            "INSERT INTO auth_tokens (id, user_id, kind, token_hash, created_at, expires_at)"
            " VALUES (1, 1, 'verify', :hash, :at, :end)",
            hash="f" * 64, at=at, end=at + 1800,
        )  # fmt: skip
        for event_id in (1, 2, 3):
            db.query(
                "INSERT INTO auth_events (id, user_id, type, at) VALUES (:id, 1, 'login', :at)",
                id=event_id, at=at,
            )  # fmt: skip
        if db.is_postgres:  # where the sequences stand after handing out these ids themselves
            last_ids = {"auth_users": 7, "auth_sessions": 3, "auth_tokens": 1, "auth_events": 3}
            for table, last in last_ids.items():
                db.query(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
        db.query("CREATE INDEX ops_events_type ON auth_events (type)")
        db.query("DELETE FROM auth_users WHERE id = 7")
    yield db
    db.close()


def rows(db, table):
    return [dict(row) for row in db.query(f"SELECT * FROM {table} ORDER BY id")]


def indexes(db):
    if db.is_sqlite:
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'auth%'"
        return {row["name"]: row["sql"] for row in db.query(sql)}
    sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'auth%'"
    return {row["indexname"]: row["indexdef"] for row in db.query(sql)}


def test_the_upgrade_keeps_every_row_and_index(old_db):
    before = {table: rows(old_db, table) for table in TABLES}
    indexes_before = indexes(old_db)
    assert "ops_events_type" in indexes_before and "auth_users_email_ci" in indexes_before
    apply(old_db, MIGRATIONS)
    for table in TABLES:
        after = rows(old_db, table)
        assert [row["id"] for row in after] == [row["id"] for row in before[table]], table
        for old, new in zip(before[table], after, strict=True):
            changed = {k for k in old if old[k] != new[k]}
            # The only change to an old column: sessions that were live have ended.
            assert changed <= ({"revoked_at", "email"} if table != "auth_tokens" else set()), (table, changed)
    after = indexes(old_db)  # later migrations add tables (and their indexes) of their own
    assert {name: after.get(name) for name in indexes_before} == indexes_before
    sessions = rows(old_db, "auth_sessions")
    assert all(row["revoked_at"] is not None for row in sessions)
    keys = [row["key"] for row in sessions]
    assert all(isinstance(key, str) and len(key) >= 32 for key in keys) and len(set(keys)) == len(keys)
    assert {row["password_version"] for row in rows(old_db, "auth_users")} == {1}


def test_after_the_upgrade_ids_are_never_given_again(old_db):
    apply(old_db, MIGRATIONS)
    if old_db.is_sqlite:
        for table in TABLES:
            sql = old_db.query("SELECT sql FROM sqlite_master WHERE name = :t", t=table)
            assert "AUTOINCREMENT" in next(iter(sql))["sql"].upper(), table
        sequence = {row["name"]: row["seq"] for row in old_db.query("SELECT name, seq FROM sqlite_sequence")}
        assert sequence == {"auth_users": 5, "auth_sessions": 3, "auth_tokens": 1, "auth_events": 3}
    with transaction(old_db):
        old_db.query("DELETE FROM auth_users WHERE id = 5")
        old_db.query("DELETE FROM auth_sessions WHERE id = 3")
    with transaction(old_db):
        old_db.query(
            "INSERT INTO auth_users (username, email, password_hash, email_verified, roles, created_at)"
            " VALUES ('new', 'new@example.com', 'x', :no, '[]', 0)",
            no=False,
        )
        old_db.query(
            "INSERT INTO auth_sessions (user_id, generation, created_at, expires_at, last_used_at, key)"
            " VALUES (1, 1, 0, 1, 0, 'k')"
        )
    [new_user] = [row for row in rows(old_db, "auth_users") if row["username"] == "new"]
    assert new_user["id"] > 5
    assert max(row["id"] for row in rows(old_db, "auth_sessions")) > 3


def test_the_upgrade_gives_stored_addresses_their_canonical_form(old_db):
    apply(old_db, MIGRATIONS)
    stored = {row["username"]: row["email"] for row in rows(old_db, "auth_users")}
    assert stored["jose"] == "josé@example.com" == unicodedata.normalize("NFC", stored["jose"])
    assert stored["ann"] == "ann@bücher.example"
    # Two accounts of one mailbox from before: one keeps its old spelling, neither is lost.
    zoe = "zoë@example.com"
    assert {stored["zoe"], stored["zoe2"]} == {zoe, unicodedata.normalize("NFD", zoe)}


def test_tokens_from_before_the_upgrade_are_revoked_and_the_accounts_sign_in(old_db, make_auth_app):
    app = make_auth_app()  # applies 0005 and later to the release-1 database
    client = app.test_client(use_cookies=False)
    fresh = signup(client, "fresh")
    # What release 1 issued for alice's live session 1: no session key.
    old_access = resign(fresh.access, drop=["sk"], sub="1", sid=1)
    old_refresh = resign(fresh.refresh, drop=["sk"], sub="1", sid=1, gen=1)
    assert_token_refused(probe(client, old_access), "token_revoked")
    assert_refused(refresh(client, old_refresh), "token_revoked")
    assert login(client, "alice").status_code == 200
    assert login(client, "josé@example.com").status_code == 200
    assert login(client, NFD_JOSE).status_code == 200
    assert login(client, "ann@xn--bcher-kva.example").status_code == 200
