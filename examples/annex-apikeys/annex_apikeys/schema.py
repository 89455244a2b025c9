"""``apikeys_keys``: one row per API key, holding its hash and never the key itself.

The table is fixed and constrained (a unique index on the hash, NOT NULL columns), so it is
declared with SQLAlchemy Core, which dataset runs on, as Annex's auth plugin does.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

from core import Migration

metadata = MetaData()

keys = Table(
    "apikeys_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("name", String(64), nullable=False),
    # SHA-256 of the key, hex: how a presented key is found (see annex_apikeys.keys).
    Column("key_hash", String(64), nullable=False),
    # The first characters of the key, shown so its owner can tell keys apart; not a secret.
    Column("prefix", String(16), nullable=False),
    # Who the key speaks for, copied from the identity that created it: this plugin never reads
    # the tables of the plugin that owns accounts.
    Column("username", String(64)),
    Column("roles", Text, nullable=False),  # JSON array
    Column("account", Text, nullable=False),  # JSON object: the public account fields
    Column("created_at", Float, nullable=False),  # epoch seconds
    Column("last_used_at", Float),
    Column("expires_at", Float),  # NULL: never expires
    Index("apikeys_keys_hash", "key_hash", unique=True),
    Index("apikeys_keys_user", "user_id"),
)


def create_keys(db):
    keys.create(db.executable, checkfirst=True)


MIGRATIONS = [Migration("apikeys", "0001_keys", create_keys)]
