"""64 concurrent clients against a real gunicorn (2 gthread workers x 4 threads), on SQLite and on
PostgreSQL: nothing a client was told is saved goes missing, every 412 is a real conflict, and the
server never answers 500 nor reports "database is locked".

Traffic goes to 127.0.0.1 only, for a bounded time; the server always stops.
"""

from __future__ import annotations

import pytest

from tests.load.harness import production_server, read_state, sqlite_integrity
from tests.load.workload import Workload, api_readback, describe, verify

pytestmark = pytest.mark.load

CLIENTS = 64
DURATION = 15.0


def test_concurrent_clients_lose_nothing(database_url, tmp_path):
    with production_server(tmp_path, database_url) as server:
        run = Workload(server.port, clients=CLIENTS, duration=DURATION)
        run.run()
        print(f"\n[{database_url.split(':')[0]}] {run.summary()}")
        state = read_state(database_url)
        seen = api_readback(run, state)
    log = server.log.read_text()

    assert not run.server_errors(), describe(run.server_errors())
    assert not run.locked(), describe(run.locked())
    assert "database is locked" not in log.lower(), log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert not run.connection_errors(), describe(run.connection_errors())
    assert not run.unexpected(), describe(run.unexpected())
    problems = verify(run, state) + seen
    assert not problems, "\n".join(problems[:30])
    assert sqlite_integrity(database_url) in (None, "ok")

    # The workload really ran, and really conflicted: otherwise the checks above prove little.
    writes = run.writes
    acked = [write for write in writes if write.outcome == "acked"]
    conflicts = [write for write in writes if write.outcome == "conflict"]
    assert len(acked) >= 300, run.summary()
    assert len(conflicts) >= 10, run.summary()
    assert len(run.gather("registered")) >= CLIENTS, run.summary()
