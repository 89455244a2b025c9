"""Time as the API shows it: RFC 3339 UTC strings (``2026-11-24T12:00:00Z``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    """Seconds since the epoch (what Annex stores)."""
    return time.time()


def rfc3339(epoch: float | None) -> str | None:
    """``1795521600.0`` → ``"2026-11-24T12:00:00Z"``; None stays None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
