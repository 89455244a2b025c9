"""gunicorn's settings for Annex: ``gunicorn --config python:core.gunicorn_config 'core:create_app()'``.

deploy/entrypoint.sh starts gunicorn with it, and ./gunicorn.conf.py of the repository imports it
(gunicorn reads that file by itself when started in the repository). The command line and
``GUNICORN_CMD_ARGS`` still override any of it.

- Annex alone decides which ``X-Forwarded-*`` headers to believe (``security.trusted_proxies``
  hops, core/security.py): gunicorn believes none, from any peer, so with ``trusted_proxies = 0``
  the scheme is the socket's. (gunicorn's default trusts ``X-Forwarded-Proto`` from 127.0.0.1,
  ::1 and every unix-socket peer.)
- The access log has no query string and no ``Referer``: mailed links carry one-time tokens in
  their query (``reset-password.html?token=…``).
- ``bind``: ``GUNICORN_BIND`` (comma-separated) when set, else gunicorn's own default
  (``0.0.0.0:$PORT`` when ``PORT`` is set, as in the image; else ``127.0.0.1:8000``).
  ``annex check --deploy`` reads the same rule (``exposed_binds``), and counts the workers as
  deploy/entrypoint.sh starts them (``worker_count``).
- A ``ConfigError`` or ``PluginError`` in a worker is logged without its traceback, as the
  master's last line (``Annex did not start: …``), and gunicorn exits with status 4 at once.
  Once a worker has served, a database that stops answering is an outage, not a configuration
  error: a worker started during it (one replacing a killed worker) logs one line, waits
  ``OUTAGE_RETRY_SECONDS`` and exits for gunicorn to start another, while the others answer
  ``503``; the server never stops for it.
"""

from __future__ import annotations

import ipaddress
import mmap
import os
import shlex
import sys
import time
from collections.abc import Mapping
from typing import Any

from core.config import ConfigError
from core.db import DatabaseUnreachable
from core.plugins import PluginError

__all__ = [
    "access_log_format",
    "bind",
    "forwarded_allow_ips",
    "forwarder_headers",
    "on_exit",
    "on_starting",
    "post_fork",
    "post_worker_init",
    "secure_scheme_headers",
]

#: No peer may set the scheme or other WSGI variables through headers: Annex's ProxyFix does that.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""
#: gunicorn's default format with the path only (``%(U)s``, no query string) and no Referer.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'


def bind_addresses(environ: Mapping[str, str]) -> list[str]:
    """Where gunicorn started with this configuration listens: ``-b``/``--bind`` in
    ``GUNICORN_CMD_ARGS`` (which gunicorn prefers to a config file), else ``GUNICORN_BIND``,
    else gunicorn's default. A ``-b`` on gunicorn's own command line is not visible here."""
    try:
        words = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    except ValueError:
        words = []
    given: list[str] = []
    for index, word in enumerate(words):
        if word in ("-b", "--bind") and index + 1 < len(words):
            given.append(words[index + 1])
        elif word.startswith("--bind="):
            given.append(word.partition("=")[2])
        elif word.startswith("-b") and len(word) > 2:
            given.append(word[2:])
    if given:
        return given
    configured = [part.strip() for part in environ.get("GUNICORN_BIND", "").split(",") if part.strip()]
    if configured:
        return configured
    return [f"0.0.0.0:{environ['PORT']}"] if environ.get("PORT") else ["127.0.0.1:8000"]


#: Worker processes deploy/entrypoint.sh starts when ``GUNICORN_WORKERS`` is not set.
ENTRYPOINT_WORKERS = 2


def worker_count(environ: Mapping[str, str]) -> int:
    """How many worker processes serve the app: ``GUNICORN_WORKERS`` (deploy/entrypoint.sh
    passes it as ``--workers``), else ``-w``/``--workers`` in ``GUNICORN_CMD_ARGS``, else
    ``WEB_CONCURRENCY`` (gunicorn's own default), else the entrypoint's default. Values that are
    not positive integers are skipped, as if unset."""
    try:
        words = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    except ValueError:
        words = []
    given = ""
    for index, word in enumerate(words):
        if word in ("-w", "--workers") and index + 1 < len(words):
            given = words[index + 1]
        elif word.startswith("--workers="):
            given = word.partition("=")[2]
        elif word.startswith("-w") and len(word) > 2:
            given = word[2:]
    for value in (environ.get("GUNICORN_WORKERS", ""), given, environ.get("WEB_CONCURRENCY", "")):
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return ENTRYPOINT_WORKERS


def exposed_binds(environ: Mapping[str, str]) -> list[str]:
    """The bind addresses other machines may reach: all but loopback, unix sockets and fds."""
    return [address for address in bind_addresses(environ) if not _local(address)]


def _local(address: str) -> bool:
    if address.startswith(("unix:", "fd://")):
        return True
    if address.startswith("["):
        host = address[1:].partition("]")[0]
    elif address.count(":") == 1:
        host = address.partition(":")[0]
    else:
        host = address  # a bare host (gunicorn adds port 8000), or a bare IPv6 address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, or "" (every address): assume it can be reached


bind = bind_addresses(os.environ)


# -- A configuration that does not start: its message, last, and no traceback.
#
# The app loads in each worker; gunicorn would log a ConfigError there with its traceback, then
# the master's own lines. Instead the worker hands the message to the master through a pipe and
# exits with gunicorn's "app failed to load" status (gunicorn then stops instead of retrying),
# and the master logs it as its very last line. Only the first worker to fail says so: a second
# "app failed to load" reaped while the master stops would escape gunicorn's halt as a traceback
# (before the last line); the others exit quietly, and the master stops them all.

#: Exit status of a worker that tells gunicorn's master the app failed to load.
APP_LOAD_ERROR = 4
#: Seconds a worker that met a database outage waits before it exits to be replaced.
OUTAGE_RETRY_SECONDS = 2.0
#: The pipes the master makes before it forks any worker: "read"/"write" carry the messages,
#: "token" holds one byte, which the first worker to fail takes.
_pipe: dict[str, int] = {}
#: One byte of memory shared by the master and every worker: 1 once any worker has loaded the app.
_served: list[mmap.mmap] = []


def on_starting(server: Any) -> None:
    """Master, before any worker: the pipes of a worker whose app does not start."""
    read, write = os.pipe()
    token, give = os.pipe()
    os.write(give, b"1")
    os.close(give)
    for end in (read, write, token):
        os.set_blocking(end, False)  # a full or empty pipe must not hang anyone
    _pipe.update(read=read, write=write, token=token)
    _served[:] = [mmap.mmap(-1, 1)]  # anonymous and shared: forked workers write to the same page


def post_worker_init(worker: Any) -> None:
    """Worker, its app loaded: from now on an unreachable database is an outage. Says so in the
    log, since gunicorn's "Booting worker" comes before the app loads (and may fail)."""
    if _served:
        _served[0][0] = 1
    worker.log.info("Worker ready (pid: %s)", worker.pid)


def _has_served() -> bool:
    return bool(_served) and _served[0][0] == 1


def post_fork(server: Any, worker: Any) -> None:
    """Worker: a ``ConfigError`` or ``PluginError`` while the app loads ends the worker without
    a traceback: the first with ``APP_LOAD_ERROR`` and the message on the pipe (logged here if
    there is none), any other with status 0, silently; an unreachable database after a worker
    has served ends it with status 1 after a pause, and gunicorn starts another."""
    load = worker.load_wsgi

    def load_wsgi() -> None:
        try:
            load()
        except DatabaseUnreachable as exc:
            if not _has_served():
                _halt(worker, exc)
            worker.log.error("Database unreachable; worker exits and is replaced: %s", exc.format_message())
            time.sleep(OUTAGE_RETRY_SECONDS)
            sys.exit(1)
        except (ConfigError, PluginError) as exc:
            _halt(worker, exc)

    worker.load_wsgi = load_wsgi


def _halt(worker: Any, exc: ConfigError | PluginError) -> None:
    """End a worker whose app cannot start, so that gunicorn stops (the scheme described above)."""
    try:
        first = os.read(_pipe["token"], 1) == b"1"
    except (KeyError, OSError):  # BlockingIOError: another worker took it
        first = "token" not in _pipe
    if not first:
        sys.exit(0)
    message = exc.format_message()
    try:
        os.write(_pipe["write"], message.encode()[:4000] + b"\0")
    except (KeyError, OSError):
        worker.log.error("Annex did not start: %s", message)
    sys.exit(APP_LOAD_ERROR)


def on_exit(server: Any) -> None:
    """Master, just before it exits: log why the app did not start (each reason once)."""
    read = _pipe.pop("read", None)
    if read is None:
        return
    data = b""
    try:
        while chunk := os.read(read, 65536):
            data += chunk
    except BlockingIOError:
        pass
    for message in dict.fromkeys(part.decode(errors="replace") for part in data.split(b"\0") if part):
        server.log.error("Annex did not start: %s", message)
