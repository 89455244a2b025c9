"""The emaillink plugin's table: one row per mailed link, holding its token's and its code's hashes.

Declared with SQLAlchemy Core (fixed, constrained columns), as the auth plugin's tables are. A
row is the link and the code together: using either sets ``used_at``, which spends both.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table

from core import Migration

metadata = MetaData()

links = Table(
    "emaillink_links",
    metadata,
    Column("id", Integer, primary_key=True),
    # The account the link signs into; NULL for a link that creates the account on confirmation.
    Column("user_id", Integer, index=True),
    # The address it was mailed to, canonical (lower-cased, IDNA domain, NFC).
    Column("email", String(254), nullable=False),
    # SHA-256 of the link's token, hex: never the token itself.
    Column("token_hash", String(64), nullable=False),
    # HMAC-SHA256 of the 6-digit code under a key derived from security.secret_key, hex.
    Column("code_hash", String(64), nullable=False),
    # Wrong codes tried against this row; at plugins.emaillink.max_code_attempts it ends.
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", Float, nullable=False),  # epoch seconds
    Column("expires_at", Float, nullable=False),
    # Set once, by the confirmation that used the link or the code, by too many wrong codes, or
    # by a newer request for the address.
    Column("used_at", Float),
    sqlite_autoincrement=True,
)
# A token is found in one index lookup, and two rows never share one.
Index("emaillink_links_token", links.c.token_hash, unique=True)
# A code is looked up by address: the newest live row of the address.
Index("emaillink_links_email", links.c.email, links.c.used_at)


def create_links(db):
    metadata.create_all(db.executable, tables=[links], checkfirst=True)


MIGRATIONS = [Migration("emaillink", "0001_links", create_links)]
