"""The oidc plugin's tables: linked identities, and the sign-ins in flight.

Declared with SQLAlchemy Core so the constraints are real on SQLite and PostgreSQL: one
identity (issuer, subject) belongs to one user, settled by a unique index whatever the race.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table

from core import Migration

metadata = MetaData()

identities = Table(
    "oidc_identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    #: The configured provider's name when it was linked (shown on the account page).
    Column("provider", String(32), nullable=False),
    #: The identity is the pair (issuer, sub): OpenID Connect Core 1.0, section 5.7.
    Column("issuer", String(512), nullable=False),
    Column("sub", String(255), nullable=False),
    Column("email", String(254)),
    Column("created_at", Float, nullable=False),
    Column("last_used_at", Float),
    sqlite_autoincrement=True,
)
Index("oidc_identities_subject", identities.c.issuer, identities.c.sub, unique=True)

flows = Table(
    "oidc_flows",
    metadata,
    #: SHA-256 of the flow's key: the ``state`` sent to the provider, or a link intent's token.
    Column("key", String(64), primary_key=True),
    #: ``state`` (a sign-in sent to the provider) or ``link`` (asked for, not yet started).
    Column("kind", String(8), nullable=False),
    Column("provider", String(32), nullable=False),
    #: SHA-256 of the browser cookie the flow is bound to ("" for a link intent).
    Column("browser", String(64), nullable=False),
    Column("nonce", String(128), nullable=False),
    Column("verifier", String(128), nullable=False),
    Column("next", String(2048), nullable=False),
    #: The signed-in user a linking flow links to; None for a sign-in.
    Column("user_id", Integer),
    Column("expires_at", Float, nullable=False, index=True),
)


def create_tables(db):
    metadata.create_all(db.executable, checkfirst=True)


MIGRATIONS = [Migration("oidc", "0001_identities_and_flows", create_tables)]
