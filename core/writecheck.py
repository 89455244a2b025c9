"""Whether the database takes writes right now, for ``/api/health``.

A database can answer reads while every write fails (SQLite on a full disk: "database or disk is
full"), so a ``SELECT 1`` alone would report a service that refuses every registration and login
as healthy. Health therefore also writes: one row of ``annex_health``, at most once every
``PROBE_INTERVAL`` seconds per process (a load balancer or a benchmark may call health thousands
of times a second); in between it answers from the last probe, and from any request of this
process whose database write failed since (``failed``). Once writes succeed again, the next
probe says so by itself.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from core.sql import SQL

log = logging.getLogger("annex")

TABLE = "annex_health"
#: Seconds between two write probes of one process.
PROBE_INTERVAL = 1.0

#: SQLSTATEs of writes that fail for want of space or of a writable database (PostgreSQL).
WRITE_FAILURE_SQLSTATES = frozenset({"53100", "53200", "25006", "58030"})
#: The same in SQLite's words.
WRITE_FAILURE_MESSAGES = ("disk is full", "readonly database", "disk i/o error", "no space left")

_PROBE = SQL(
    f"INSERT INTO {TABLE} (id, checked_at) VALUES (1, :now)"
    " ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at"
)


def create_table(db) -> None:
    """Core's migration: the one-row table the write probe updates."""
    db.query(f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, checked_at FLOAT NOT NULL)")


class WriteCheck:
    """The last known outcome of a database write in this process (one per app)."""

    def __init__(self) -> None:
        self.failed_at = float("-inf")
        self.probed_at = float("-inf")
        self.probe_ok = True
        self.lock = threading.Lock()

    def failed_with(self, exc: Exception) -> None:
        """Note ``exc`` if it says writes cannot succeed now (a full disk, a read-only database);
        a busy lock, a deadlock or a lost connection says nothing of the next write."""
        orig = getattr(exc, "orig", exc)
        text = str(orig).lower()
        if getattr(orig, "pgcode", None) in WRITE_FAILURE_SQLSTATES or any(
            sign in text for sign in WRITE_FAILURE_MESSAGES
        ):
            self.failed()

    def failed(self) -> None:
        """A write of some request failed (the error handler's 503): health says so until a
        probe after it succeeds."""
        self.failed_at = time.monotonic()

    def writable(self) -> bool:
        """Whether writes succeed, probing when the last probe is older than the interval.
        Call it in an app context (the probe uses the app's database)."""
        now = time.monotonic()
        # One thread probes; the others answer from what is known instead of queueing for it.
        if now - self.probed_at >= PROBE_INTERVAL and self.lock.acquire(blocking=False):
            try:
                ok = _probe()
                if ok != self.probe_ok:
                    _log_change(ok)
                self.probe_ok, self.probed_at = ok, time.monotonic()
            finally:
                self.lock.release()
        return self.probe_ok and self.failed_at <= self.probed_at


def _probe() -> bool:
    try:
        _PROBE.run(now=time.time())
    except SQLAlchemyError as exc:
        log.debug("write probe failed: %s", exc)
        return False
    return True


def _log_change(ok: bool) -> None:
    """One line when writes stop working, one when they work again (not one per health call)."""
    if ok:
        log.info("health: the database takes writes again")
    else:
        log.warning("health: the database does not take writes; /api/health answers 503")
