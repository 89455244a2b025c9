"""core.writecheck: which database errors make health say that writes fail."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError

from core.writecheck import WriteCheck


def error(message: str) -> OperationalError:
    return OperationalError("INSERT …", {}, sqlite3.OperationalError(message))


def test_a_full_disk_or_a_read_only_database_marks_writes_failed():
    for message in ("database or disk is full", "attempt to write a readonly database"):
        check = WriteCheck()
        check.failed_with(error(message))
        assert check.failed_at > check.probed_at, message


def test_a_busy_lock_or_a_deadlock_says_nothing_of_the_next_write():
    for message in ("database is locked", "deadlock detected", "server closed the connection unexpectedly"):
        check = WriteCheck()
        check.failed_with(error(message))
        assert check.failed_at <= check.probed_at, message
