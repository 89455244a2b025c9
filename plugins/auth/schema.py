"""The auth plugin's tables and migrations: users, sessions, single-use tokens, activity.

The schema is fixed and constrained, so it is declared with SQLAlchemy Core (which dataset
runs on) rather than grown column by column: NOT NULL, unique indexes and integer keys come
out right on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)

from core import Migration

metadata = MetaData()

users = Table(
    "auth_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), nullable=False),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("roles", Text, nullable=False),  # JSON array
    Column("created_at", Float, nullable=False),  # epoch seconds
)
# Uniqueness is the database's job: a race of two registrations settles here.
Index("auth_users_username_ci", func.lower(users.c.username), unique=True)
Index("auth_users_email_ci", func.lower(users.c.email), unique=True)

sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("generation", Integer, nullable=False),
    Column("rotated_at", Float),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=False),
    Column("revoked_at", Float),
    Column("user_agent", String(512)),
    Column("ip", String(64)),
)

tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float),
)

events = Table(
    "auth_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", Float, nullable=False),
    Column("ip", String(64)),
    Column("user_agent", String(512)),
    Index("auth_events_user", "user_id", "id"),
)


def _creator(table: Table):
    def up(db):
        table.create(db.executable, checkfirst=True)

    return up


MIGRATIONS = [
    Migration("auth", "0001_users", _creator(users)),
    Migration("auth", "0002_sessions", _creator(sessions)),
    Migration("auth", "0003_tokens", _creator(tokens)),
    Migration("auth", "0004_events", _creator(events)),
]
