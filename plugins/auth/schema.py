"""The auth plugin's tables and migrations: users, sessions, single-use tokens, activity, MFA
challenges, invitations and remembered devices.

The schema is fixed and constrained, so it is declared with SQLAlchemy Core (which dataset
runs on) rather than grown column by column: NOT NULL, unique indexes and integer keys come
out right on both SQLite and PostgreSQL.

Ids are never given twice, on either database: a token or a link that names a deleted row must
never name a newer one. PostgreSQL's sequences never go back; on SQLite every table is
``AUTOINCREMENT`` (a plain ``INTEGER PRIMARY KEY`` hands out ``max(id) + 1`` again after a
delete). These are the current shapes; ``schema_v1`` holds what the first migrations made.
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
    inspect,
    select,
    text,
    update,
)

from core import Migration, now
from plugins.auth import emails, schema_v1
from plugins.auth.rebuild import rebuild_sqlite

metadata = MetaData()

users = Table(
    "auth_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), nullable=False),
    Column("email", String(254), nullable=False),
    # "" for an account without a password (made by another sign-in method or an invite).
    Column("password_hash", String(100), nullable=False),
    Column("email_verified", Boolean, nullable=False, default=False),
    Column("roles", Text, nullable=False),  # JSON array
    Column("created_at", Float, nullable=False),  # epoch seconds
    # One more with every change of the password: a login whose check read an older one is late.
    Column("password_version", Integer, nullable=False, default=1, server_default=text("1")),
    # Set by the operator: no sign-in of any method, no session (``annex users disable``).
    Column("disabled", Boolean, nullable=False, default=False, server_default=text("false")),
    sqlite_autoincrement=True,
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
    # Random, carried by the session's tokens (claim ``sk``): a token names this row, not an id.
    Column("key", String(64), nullable=False),
    # How the user proved who they are (a JSON array of RFC 8176 amr values) and when last.
    Column("methods", Text, nullable=False, server_default=text("'[\"pwd\"]'")),
    Column("auth_time", Float),
    sqlite_autoincrement=True,
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
    # The address a token is bound to, where its kind has one (an email change's new address).
    Column("email", String(254)),
    sqlite_autoincrement=True,
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
    sqlite_autoincrement=True,
)


mfa_challenges = Table(
    "auth_mfa_challenges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    # Only a hash of the opaque token the client holds.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("methods", Text, nullable=False),  # JSON array: the first step's amr values
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float),
    Column("failures", Integer, nullable=False, default=0, server_default=text("0")),
    sqlite_autoincrement=True,
)

invites = Table(
    "auth_invites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("roles", Text, nullable=False),  # JSON array granted on register
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float),
    Column("used_by", Integer, index=True),
    sqlite_autoincrement=True,
)

devices = Table(
    "auth_devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    # SHA-256 of the random id the browser's device cookie carries (never the id itself).
    Column("device_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float, nullable=False),
    Column("user_agent", String(512)),
    Column("ip", String(64)),
    Index("auth_devices_user_device", "user_id", "device_hash", unique=True),
    sqlite_autoincrement=True,
)


def _creator(table: Table):
    def up(db):
        table.create(db.executable, checkfirst=True)

    return up


def never_reuse_ids(db):
    """0005: ids never given twice, sessions with a random key, a password version per account.

    SQLite: every table is rebuilt as ``AUTOINCREMENT`` (rows, indexes and triggers kept).
    PostgreSQL: its sequences already never reuse an id, so only the columns are added. Sessions
    that exist get a random key no token carries, and end: their tokens, issued without one,
    are ``401 token_revoked`` from now on (every user signs in once more after the upgrade).
    """
    conn = db.executable
    if db.is_sqlite:
        for table in (users, tokens, events):
            rebuild_sqlite(conn, table)
        rebuild_sqlite(conn, sessions, {"key": "lower(hex(randomblob(24)))"})
    else:
        conn.exec_driver_sql("ALTER TABLE auth_users ADD COLUMN password_version INTEGER DEFAULT 1 NOT NULL")
        conn.exec_driver_sql("ALTER TABLE auth_sessions ADD COLUMN key VARCHAR(64)")
        conn.exec_driver_sql("UPDATE auth_sessions SET key = replace(gen_random_uuid()::text, '-', '')")
        conn.exec_driver_sql("ALTER TABLE auth_sessions ALTER COLUMN key SET NOT NULL")
    conn.execute(update(sessions).where(sessions.c.revoked_at.is_(None)).values(revoked_at=now()))


def canonical_emails(db):
    """0006: stored addresses in the canonical form registration now stores (``emails``).

    An address whose canonical form another account already holds keeps its old spelling: both
    accounts stay, and that one still signs in by username.
    """
    conn = db.executable
    held = {row.email for row in conn.execute(select(users.c.email))}
    for row in conn.execute(select(users.c.id, users.c.email)).all():
        canonical = emails.lookup_form(row.email)
        if canonical != row.email and canonical not in held:
            conn.execute(update(users).where(users.c.id == row.id).values(email=canonical))
            held.add(canonical)


def signin_model(db):
    """0007: sessions keep their methods and last proof; MFA challenges and invitations.

    Sessions that exist were password logins: ``["pwd"]``, proved when they started. On SQLite,
    0005 rebuilt the table in the current shape, so the columns may be there already.
    """
    conn = db.executable
    existing = {column["name"] for column in inspect(conn).get_columns("auth_sessions")}
    if "methods" not in existing:
        conn.exec_driver_sql("ALTER TABLE auth_sessions ADD COLUMN methods TEXT DEFAULT '[\"pwd\"]' NOT NULL")
    if "auth_time" not in existing:
        conn.exec_driver_sql("ALTER TABLE auth_sessions ADD COLUMN auth_time FLOAT")
    conn.execute(update(sessions).values(auth_time=sessions.c.created_at))
    mfa_challenges.create(conn, checkfirst=True)
    invites.create(conn, checkfirst=True)


def account_life(db):
    """0008: an account can be disabled; a single-use token may carry an address (the new one
    of an email change). On SQLite, 0005 rebuilt both tables in the current shape, so the
    columns may be there already."""
    conn = db.executable
    if "disabled" not in _columns(conn, "auth_users"):
        conn.exec_driver_sql("ALTER TABLE auth_users ADD COLUMN disabled BOOLEAN DEFAULT false NOT NULL")
    if "email" not in _columns(conn, "auth_tokens"):
        conn.exec_driver_sql("ALTER TABLE auth_tokens ADD COLUMN email VARCHAR(254)")


def _columns(conn, table: str) -> set[str]:
    return {column["name"] for column in inspect(conn).get_columns(table)}


MIGRATIONS = [
    Migration("auth", "0001_users", _creator(schema_v1.users)),
    Migration("auth", "0002_sessions", _creator(schema_v1.sessions)),
    Migration("auth", "0003_tokens", _creator(schema_v1.tokens)),
    Migration("auth", "0004_events", _creator(schema_v1.events)),
    Migration("auth", "0005_ids_never_reused", never_reuse_ids),
    Migration("auth", "0006_canonical_emails", canonical_emails),
    Migration("auth", "0007_signin_model", signin_model),
    Migration("auth", "0008_account_life", account_life),
    Migration("auth", "0009_devices", _creator(devices)),
]
