"""Annex under granian's WSGI server, for the tests that compare it with gunicorn (issue 21).

``start_granian`` is ``start_gunicorn``'s twin (tests/servers.py): the same config file and
environment, the same ``Server`` handed back, ready once /api/health answers. The command line
is ``granian_command``'s, the one a deployment would use: 2 workers of 4 blocking threads (as
gunicorn's 2 gthread workers of 4 threads, and as bench/run.py's granian setting), HTTP/1.1 only
(what nginx speaks to it), a worker that dies respawned, a worker still busy ``KILL_TIMEOUT``
seconds after SIGTERM killed (gunicorn's ``--graceful-timeout 5`` here).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.servers import ROOT, Server, free_port

GRANIAN = Path(sys.executable).parent / "granian"
#: Seconds a worker may take to finish its requests after SIGTERM (gunicorn's graceful timeout here).
KILL_TIMEOUT = 5


def granian_installed() -> bool:
    return GRANIAN.exists()


def granian_command(port: int, *, workers: int = 2, threads: int = 4) -> list[str]:
    """``granian --interface wsgi`` serving ``core:create_app()`` (a factory) on 127.0.0.1:``port``."""
    return [
        str(GRANIAN), "--interface", "wsgi", "--http", "1", "--no-ws",
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads),
        "--respawn-failed-workers", "--workers-kill-timeout", str(KILL_TIMEOUT),
        "--factory", "core:create_app",
    ]  # fmt: skip


def start_granian(
    config: Path,
    workdir: Path,
    *,
    workers: int = 2,
    env: dict[str, str] | None = None,
    port: int | None = None,
    clean_env: bool = False,
    cwd: Path = ROOT,
    probe_headers: dict[str, str] | None = None,
) -> Server:
    """Start granian with ``config`` and wait until /api/health answers (``start_gunicorn``'s
    arguments; ``probe_headers`` go with the health probe, e.g. the proxy's ``X-Forwarded-Proto``
    when ``force_https`` refuses plain HTTP)."""
    port = port or free_port()
    log = workdir / f"granian-{port}.log"
    inherited = {k: v for k, v in os.environ.items() if not (clean_env and k.startswith("ANNEX"))}
    environment = {**inherited, "ANNEX_CONFIG": str(config), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    environment.update(env or {})
    process = subprocess.Popen(
        granian_command(port, workers=workers),
        cwd=cwd, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"granian exited: {log.read_text()[-3000:]}")
        try:
            healthy = server.request("GET", "/api/health", headers=probe_headers)[0] == 200
        except OSError:
            healthy = False
        if healthy and process.poll() is None:
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"granian did not answer in time: {log.read_text()[-3000:]}")


@contextlib.contextmanager
def production_granian(workdir: Path, database_url: str, **sections: Any) -> Iterator[Server]:
    """tests/load/harness.py's ``production_server``, served by granian; always stopped."""
    from tests.load.harness import SECRET, migrate, production_config

    config = production_config(workdir, database_url, **sections)
    migrate(config)
    server = start_granian(config, workdir, workers=2, env={"ANNEX_SECRET_KEY": SECRET})
    try:
        yield server
    finally:
        server.stop()


def ready_workers(server: Server) -> set[int]:
    """The worker pids granian's log says have started ("Spawning worker-N with PID: p", then
    "Started worker-N"; the app is loaded in between) and that are still alive."""
    from tests.load.harness import children

    log = server.log.read_text()
    alive = children(server.process.pid)
    ready = set()
    for match in re.finditer(r"Spawning (worker-\d+) with PID: (\d+)", log):
        name, pid = match.group(1), int(match.group(2))
        if pid in alive and re.search(rf"Started {name}\b", log[match.end() :]):
            ready.add(pid)
    return ready


def wait_for_granian_workers(server: Server, count: int, timeout: float = 30) -> set[int]:
    """``wait_for_workers`` for granian: the pids once ``count`` workers are up and started
    (an AssertionError at once if granian itself has exited)."""
    from tests.load.harness import children

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        workers = children(server.process.pid)
        if len(workers) == count and ready_workers(server) == workers:
            return workers
        time.sleep(0.1)
    raise AssertionError(
        f"granian has {children(server.process.pid)} workers, expected {count} started:\n"
        + server.log.read_text()[-3000:]
    )
