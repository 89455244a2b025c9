"""``content_items``: one JSON value per (user, key), with the ETag of its current version."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, UniqueConstraint

from core import Migration

metadata = MetaData()

items = Table(
    "content_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("key", String(128), nullable=False),
    Column("value", Text, nullable=False),  # JSON
    Column("etag", String(32), nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("user_id", "key", name="content_items_user_key"),
)


def create_items(db):
    items.create(db.executable, checkfirst=True)


MIGRATIONS = [Migration("content", "0001_items", create_items)]
