"""A ``limits`` storage in the app's own database, for counters that must be exact across workers.

With ``rate_limits.storage = "memory://"`` each gunicorn worker would count on its own, so a
``5/minute`` login limit would really allow five per worker. Named (per-endpoint) limits are
therefore counted here, in ``annex_ratelimits``: one upsert per hit, exact across workers and
restarts, with no extra service to run. The general per-IP limit stays in process memory.
"""

from __future__ import annotations

import hashlib
import random
import time

from limits.storage import Storage
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

TABLE = "annex_ratelimits"
#: Share of hits that also sweep expired counters out of the table.
SWEEP_PROBABILITY = 0.01
#: Length of the ``bucket`` column. A key may hold client input of any length (a login name).
BUCKET_LENGTH = 255

_INCR = text(
    f"INSERT INTO {TABLE} (bucket, hits, expires_at) VALUES (:bucket, :amount, :expires)"
    " ON CONFLICT (bucket) DO UPDATE SET"
    f" hits = CASE WHEN {TABLE}.expires_at <= :now THEN :amount ELSE {TABLE}.hits + :amount END,"
    f" expires_at = CASE WHEN {TABLE}.expires_at <= :now THEN :expires ELSE {TABLE}.expires_at END"
    " RETURNING hits"
)
_GET = text(f"SELECT hits, expires_at FROM {TABLE} WHERE bucket = :bucket AND expires_at > :now")


def create_table(db) -> None:
    """Core's migration: the counters' table."""
    db.query(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        f" bucket VARCHAR({BUCKET_LENGTH}) PRIMARY KEY, hits INTEGER NOT NULL, expires_at FLOAT NOT NULL)"
    )


def bucket(key: str) -> str:
    """``key`` as stored: as it is when it fits the column, else its start, ``#`` and its
    SHA-256, exactly as long as the column (PostgreSQL refuses longer values)."""
    if len(key) <= BUCKET_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[: BUCKET_LENGTH - len(digest) - 1]}#{digest}"


class DatabaseStorage(Storage):
    """Fixed-window counters in the app database (SQLite ≥ 3.35 or PostgreSQL: upsert + RETURNING)."""

    STORAGE_SCHEME = ["annex+database"]

    def __init__(self, engine: Engine):
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            hits = conn.execute(
                _INCR, {"bucket": bucket(key), "amount": amount, "expires": now + expiry, "now": now}
            ).scalar()
            if random.random() < SWEEP_PROBABILITY:
                conn.execute(text(f"DELETE FROM {TABLE} WHERE expires_at <= :now"), {"now": now})
        return int(hits)

    def _row(self, key: str) -> tuple[int, float] | None:
        with self.engine.connect() as conn:
            row = conn.execute(_GET, {"bucket": bucket(key), "now": time.time()}).first()
        return (int(row[0]), float(row[1])) if row is not None else None

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(text(f"DELETE FROM {TABLE}")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {TABLE} WHERE bucket = :bucket"), {"bucket": bucket(key)})
