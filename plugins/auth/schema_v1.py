"""The auth tables exactly as the first release created them (migrations 0001 to 0004).

A migration is history: it must build the same thing on every database, whenever it runs, so
the first four keep creating these shapes and later migrations (``schema.py``) change them into
the current ones. Nothing else uses these tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text, func

metadata = MetaData()

users = Table(
    "auth_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), nullable=False),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("roles", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
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
