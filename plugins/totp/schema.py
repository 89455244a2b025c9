"""The totp plugin's tables: one enrolment per user, and its recovery codes (hashes only).

Declared with SQLAlchemy Core (fixed, constrained columns), as the auth plugin's are.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

from core import Migration

metadata = MetaData()

enrolments = Table(
    "totp_enrolments",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=False),
    # AES-GCM of the base32 secret (``sealed``): never the secret itself.
    Column("secret", Text, nullable=False),
    # False while set up but not confirmed: a pending secret is no factor yet.
    Column("enabled", Boolean, nullable=False, default=False),
    # The last RFC 6238 time step accepted: a code of this step or an earlier one is a replay.
    Column("last_step", BigInteger),
    Column("created_at", Float, nullable=False),
    Column("enabled_at", Float),
)

recovery_codes = Table(
    "totp_recovery_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    # HMAC-SHA256 of the normalised code under a derived key (``recovery``), hex.
    Column("code_hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    sqlite_autoincrement=True,
)
# A code is found by (user, hash) in one index lookup, and a user never holds one code twice.
Index("totp_recovery_codes_user_hash", recovery_codes.c.user_id, recovery_codes.c.code_hash, unique=True)


def create_tables(db):
    metadata.create_all(db.executable, tables=[enrolments, recovery_codes], checkfirst=True)


MIGRATIONS = [Migration("totp", "0001_enrolments", create_tables)]
