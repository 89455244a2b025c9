"""Outgoing mail: queued in ``annex_outbox`` by the request, delivered by a thread of the process.

``queue_email(message)`` stores the message in the caller's transaction (a rolled-back request
sends nothing) and wakes the sender, so a request never waits for a mail server: a password
reset for a known address answers as fast as one for an unknown address. The sender hands each
message to the ``send_email`` hook, marks it sent, or schedules a retry with a doubling delay
(``[outbox]`` settings). Rows outlive the process: whatever an earlier process left is delivered
by the next one.

Several workers and instances drain one table safely: a message is claimed for ``CLAIM_SECONDS``
in its own short transaction (PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite's write lock), and
delivered outside it. Delivery is at least once: a process killed between the mail server's
"accepted" and marking the row sent delivers it again after the claim expires.

Each process starts its own sender lazily (gunicorn forks workers, and a thread started before a
fork would not exist in them): on the first queued message, and on the first request of the
process and every ``LOOK_SECONDS`` of requests after, when it is not running. The thread ends
when nothing is pending. Outside a request (a command), the message is delivered before the
command ends.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import Connection, inspect, text

from core.db import transaction
from core.sql import SQL
from core.state import app_state, get_db, get_settings, hooks

log = logging.getLogger("annex.outbox")

TABLE = "annex_outbox"
#: Seconds a claimed message is reserved for the process delivering it.
CLAIM_SECONDS = 300.0
#: Seconds between two looks for mail left by other processes, while requests arrive.
LOOK_SECONDS = 30.0
#: Seconds between two tries to reach the database while it is down.
OUTAGE_SECONDS = 5.0
#: Seconds to wait when another process claimed the message due first.
CONTENDED_SECONDS = 0.2
#: Seconds sent and given-up rows are kept before they are swept away.
KEEP_SECONDS = 7 * 86400.0
#: ``g`` attributes: wake the sender after this request; ids to deliver when the context ends.
_WAKE = "_annex_outbox_wake"
_PENDING = "_annex_outbox_ids"

_INSERT = SQL(
    f"INSERT INTO {TABLE} (message, state, attempts, queued_at, due_at)"
    " VALUES (:message, 'pending', 0, :now, :now) RETURNING id"
)
_CLAIM = (
    f"UPDATE {TABLE} SET attempts = attempts + 1, due_at = :until WHERE id = ("
    f" SELECT id FROM {TABLE} WHERE state = 'pending' AND due_at <= :now {{only}}"
    " ORDER BY due_at, id LIMIT 1 {lock}) RETURNING id, message, attempts"
)
_CLAIM_NEXT = {
    "sqlite": text(_CLAIM.format(only="", lock="")),
    "postgresql": text(_CLAIM.format(only="", lock="FOR UPDATE SKIP LOCKED")),
}
_CLAIM_ONE = {
    "sqlite": text(_CLAIM.format(only="AND id = :id", lock="")),
    "postgresql": text(_CLAIM.format(only="AND id = :id", lock="FOR UPDATE SKIP LOCKED")),
}
_SETTLED = " WHERE id = :id AND attempts = :attempts AND state = 'pending'"
_SENT = text(
    f"UPDATE {TABLE} SET state = 'sent', message = NULL, finished_at = :now, last_error = NULL" + _SETTLED
)
_RETRY = text(f"UPDATE {TABLE} SET due_at = :due, last_error = :error" + _SETTLED)
_FAILED = text(
    f"UPDATE {TABLE} SET state = 'failed', message = NULL, finished_at = :now, last_error = :error" + _SETTLED
)
_NEXT_DUE = text(f"SELECT MIN(due_at) FROM {TABLE} WHERE state = 'pending'")
_SWEEP = text(f"DELETE FROM {TABLE} WHERE state <> 'pending' AND finished_at < :before")


def create_table(db: Any) -> None:
    """Core's migration: the outbox table and its index of what is due."""
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if db.is_sqlite else "BIGSERIAL PRIMARY KEY"
    db.query(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        f" id {key}, message TEXT, state VARCHAR(10) NOT NULL, attempts INTEGER NOT NULL,"
        " queued_at FLOAT NOT NULL, due_at FLOAT NOT NULL, finished_at FLOAT, last_error TEXT)"
    )
    db.query(f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (state, due_at)")


def queue_email(message: EmailMessage) -> int:
    """Queue ``message`` for delivery through the ``send_email`` hook; return its outbox id.

    Inside a ``transaction()`` the row is part of it: a rollback sends nothing. In a request
    the sender is woken once the row is committed and the request goes on at once; outside a
    request (a command) the message is delivered before the command ends.
    """
    db = get_db()
    joined = db.in_transaction
    with transaction(db):
        row_id = int(_INSERT.scalar(message=message.as_string(), now=time.time()))
    sender: Sender = current_app.extensions["annex_outbox"]
    if has_request_context():
        if joined:
            setattr(g, _WAKE, True)  # teardown wakes it: the row is committed by then
        else:
            sender.wake()
    elif joined:
        g.setdefault(_PENDING, []).append(row_id)
    else:
        sender.deliver_now([row_id])
    return row_id


class Sender:
    """The delivering thread of one app in one process."""

    def __init__(self, app: Flask):
        self.app = app
        self.start_afresh()
        os.register_at_fork(after_in_child=_after_fork(weakref.ref(self)))

    def start_afresh(self) -> None:
        """Forget any thread and state: this process (a fork's child) starts without them."""
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_look = 0.0
        self._outage = False
        #: Outcomes of delivered or refused messages not yet recorded (the database was away).
        self._unsettled: list[tuple[Any, dict[str, Any]]] = []

    def wake(self) -> None:
        """Make the sender look at the table now, starting its thread if it is not running."""
        with self._lock:
            self._event.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="annex-outbox", daemon=True)
                self._thread.start()

    def look_now_and_then(self) -> None:
        """Per request: start the sender when it has not looked for a while (mail left by a
        process that ended, retries after a restart). A comparison per request otherwise."""
        now = time.monotonic()
        if now >= self._next_look:
            self._next_look = now + LOOK_SECONDS
            if self._thread is None:
                self.wake()

    def deliver_now(self, ids: list[int]) -> None:
        """Deliver these queued messages in this thread (commands); a failure leaves them to
        the retries of a serving process."""
        with self._connection() as conn:
            for row_id in ids:
                row = _claim(conn, row_id)
                if row is not None and not self._deliver(conn, row):
                    log.warning("outbox: message %s stays queued; a running server retries it", row_id)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection of the sender's own, outside dataset's per-thread ones: closing the
        app's database (tests do, between apps) never closes it under a running statement."""
        engine = app_state(self.app).db.engine
        if engine is None:
            raise _Closed
        conn = engine.connect()
        try:
            yield conn
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._event.clear()
            try:
                with self.app.app_context(), self._connection() as conn:
                    wait = self._drain(conn)
                if self._outage:
                    log.warning("outbox: the database answers again; delivering")
                self._outage = False
            except _Closed:
                wait = None
            except Exception as exc:
                if self._table_missing():
                    log.warning("outbox: no table %s; run `flask --app core migrate`", TABLE)
                    wait = None
                else:
                    if not self._outage:
                        reason = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
                        log.warning("outbox: cannot reach the database (%s); trying again every %ss",
                                    reason, OUTAGE_SECONDS)  # fmt: skip
                    self._outage = True
                    wait = OUTAGE_SECONDS
            with self._lock:
                if wait is None and not self._event.is_set():
                    self._thread = None
                    return
            if wait:
                self._event.wait(min(wait, LOOK_SECONDS))

    def _table_missing(self) -> bool:
        try:
            with self._connection() as conn:
                return not inspect(conn).has_table(TABLE)
        except Exception:
            return False  # the database itself is away (or the app closed)

    def _drain(self, conn: Connection) -> float | None:
        """Deliver everything due; seconds until the next retry is due, None if none is pending.

        An idle look is one read; the table is written only to claim and settle messages."""
        delivered = False
        while self._unsettled:
            statement, params = self._unsettled[0]
            with _transaction(conn):
                conn.execute(statement, params)
            self._unsettled.pop(0)
        while True:
            due = conn.execute(_NEXT_DUE).scalar()
            conn.rollback()  # no read transaction left open between looks
            if due is None:
                if delivered:
                    with _transaction(conn):
                        conn.execute(_SWEEP, {"before": time.time() - KEEP_SECONDS})
                return None
            if float(due) > time.time():
                return float(due) - time.time()
            row = _claim(conn)
            if row is None:
                return CONTENDED_SECONDS  # another process claimed it meanwhile
            self._deliver(conn, row)
            delivered = True

    def _deliver(self, conn: Connection, row: dict[str, Any]) -> bool:
        """Hand one claimed message to ``send_email`` and record the outcome."""
        key = {"id": row["id"], "attempts": row["attempts"]}
        recipient = "?"
        try:
            message = email.message_from_string(row["message"], policy=email.policy.default)
            recipient = message["To"]
            delivered = bool(hooks().send_email(message=message))
            problem = "no send_email backend took it"
        except Exception as exc:
            delivered, problem = False, f"{type(exc).__name__}: {exc}"
        now = time.time()
        if delivered:
            self._settle(conn, _SENT, {"now": now, **key})
            return True
        settings = get_settings().outbox
        if row["attempts"] >= settings.max_attempts:
            log.error("outbox: message %s to %s given up after %s attempts: %s",
                      row["id"], recipient, row["attempts"], problem)  # fmt: skip
            self._settle(conn, _FAILED, {"now": now, "error": problem[:1000], **key})
            return False
        delay = min(settings.retry_max_delay, settings.retry_delay * 2 ** (row["attempts"] - 1))
        log.warning("outbox: message %s to %s not sent (attempt %s): %s; next try in %.0fs",
                    row["id"], recipient, row["attempts"], problem, delay)  # fmt: skip
        self._settle(conn, _RETRY, {"due": now + delay, "error": problem[:1000], **key})
        return False

    def _settle(self, conn: Connection, statement: Any, params: dict[str, Any]) -> None:
        """Record a delivery's outcome; if the database is away, remember it for when it is
        back (a sent message is then not sent again when its claim runs out)."""
        try:
            with _transaction(conn):
                conn.execute(statement, params)
        except Exception:
            self._unsettled.append((statement, params))
            raise


class _Closed(Exception):
    """The app's database was closed: the sender stops."""


@contextlib.contextmanager
def _transaction(conn: Connection) -> Iterator[Connection]:
    """A write transaction on the sender's connection; on SQLite with the write lock taken
    first (``BEGIN IMMEDIATE``), so two processes claiming at once are ordered."""
    if conn.in_transaction():
        conn.rollback()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLAlchemy autobegins around it
    else:
        conn.begin()
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(Exception):
            conn.rollback()
        raise
    conn.commit()


def _claim(conn: Connection, row_id: int | None = None) -> dict[str, Any] | None:
    """Reserve the next due message (or ``row_id``) for ``CLAIM_SECONDS``: no other process
    takes it meanwhile."""
    now = time.time()
    dialect = "sqlite" if conn.dialect.name == "sqlite" else "postgresql"
    params = {"now": now, "until": now + CLAIM_SECONDS}
    with _transaction(conn):
        if row_id is None:
            row = conn.execute(_CLAIM_NEXT[dialect], params).mappings().first()
        else:
            row = conn.execute(_CLAIM_ONE[dialect], {**params, "id": row_id}).mappings().first()
        return dict(row) if row is not None else None


def _after_fork(ref: weakref.ref[Sender]) -> Any:
    """In a forked child, a sender starts from scratch: its thread stayed in the parent."""

    def reset() -> None:
        sender = ref()
        if sender is not None:
            sender.start_afresh()

    return reset


def init_app(app: Flask) -> None:
    sender = Sender(app)
    app.extensions["annex_outbox"] = sender

    def after_request(_exc: BaseException | None) -> None:
        if g.pop(_WAKE, False):
            sender.wake()
        else:
            sender.look_now_and_then()

    def after_context(_exc: BaseException | None) -> None:
        ids = g.pop(_PENDING, None)
        if ids:
            sender.deliver_now(ids)

    app.teardown_request(after_request)
    app.teardown_appcontext(after_context)
