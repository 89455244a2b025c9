"""The passkeys plugin's tables and migrations: credentials, user handles, challenges.

Declared with SQLAlchemy Core like auth's, so constraints come out right on SQLite and
PostgreSQL: a credential id is unique (a race of two registrations of one authenticator settles
here), a user has one handle, and a challenge is a primary key that one conditional DELETE uses up.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

from core import Migration

metadata = MetaData()

credentials = Table(
    "passkeys_credentials",
    metadata,
    # The id the API shows: never given twice (a URL naming a removed passkey names no other).
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    # The authenticator's credential id, base64url without padding (at most 1023 bytes raw).
    Column("credential_id", String(1400), nullable=False, unique=True),
    # The COSE public key, base64url: public, but only this plugin needs it.
    Column("public_key", Text, nullable=False),
    # Authenticators count in 32 bits unsigned: past a 32-bit signed column's range.
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", Text, nullable=False),  # JSON array
    Column("name", String(64), nullable=False),
    Column("backed_up", Boolean, nullable=False),
    Column("device_type", String(16), nullable=False),  # single_device / multi_device
    Column("aaguid", String(36), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    sqlite_autoincrement=True,
)

handles = Table(
    "passkeys_users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    # The WebAuthn user handle: random, base64url; never the account's id or email.
    Column("handle", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

challenges = Table(
    "passkeys_challenges",
    metadata,
    # SHA-256 of the challenge, hex: the database never holds one that could be answered.
    Column("digest", String(64), primary_key=True),
    Column("purpose", String(16), nullable=False),  # register / login / mfa
    Column("user_id", Integer),  # the user it was issued for; NULL for a discoverable sign-in
    Column("expires_at", Float, nullable=False),
    Index("passkeys_challenges_expiry", "expires_at"),
)


def _create(db):
    metadata.create_all(db.executable, checkfirst=True)


MIGRATIONS = [Migration("passkeys", "0001_tables", _create)]
