#!/usr/bin/env python3
"""The image's health check (``HEALTHCHECK`` in the Containerfile, the app's in deploy/compose.yaml):
``GET /api/health`` on the address gunicorn listens on; exit 0 on 200, else 1.

The address follows core/gunicorn_config.py's ``bind_addresses``: ``-b``/``--bind`` in
``GUNICORN_CMD_ARGS``, else ``GUNICORN_BIND`` (comma-separated), else ``0.0.0.0:$PORT``, else
``127.0.0.1:8000``; the first of them is asked, an any-address (``0.0.0.0``, ``[::]``, empty)
through loopback, a ``unix:`` socket through that socket. tests/deploy/test_healthcheck.py checks
that both read the same environment the same way.

Standard library only, and no import of the app: it runs every 30 s, and importing the app would
take seconds of a busy machine's CPU. Installed as /usr/local/bin/annex-healthcheck.
"""

from __future__ import annotations

import http.client
import os
import shlex
import socket
import sys
from collections.abc import Mapping

#: Seconds for the whole request; the HEALTHCHECK's own timeout is 5 s.
TIMEOUT = 4


def bind_addresses(environ: Mapping[str, str]) -> list[str]:
    """Where gunicorn listens: the same rule as core.gunicorn_config.bind_addresses."""
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


def target(address: str) -> tuple[str, int] | str:
    """Where to connect to reach gunicorn bound to ``address``: ``(host, port)``, or a unix
    socket's path. Any-address binds are reached through loopback."""
    if address.startswith("unix:"):
        return address[len("unix:") :]
    if address.startswith("tcp://"):
        address = address[len("tcp://") :]
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "8000"
        host = "::1" if host in ("", "::") else host
    elif address.count(":") == 1:
        host, _, port = address.partition(":")
    elif ":" in address:  # a bare IPv6 address
        host, port = address, "8000"
    else:
        host, port = address, "8000"
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    return host, int(port)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def check(environ: Mapping[str, str]) -> tuple[bool, str]:
    """Ask /api/health where gunicorn listens: (healthy, what to print)."""
    where = target(bind_addresses(environ)[0])
    if isinstance(where, str):
        connection: http.client.HTTPConnection = _UnixConnection(where, TIMEOUT)
        shown = f"unix:{where}"
    else:
        connection = http.client.HTTPConnection(*where, timeout=TIMEOUT)
        shown = f"[{where[0]}]:{where[1]}" if ":" in where[0] else f"{where[0]}:{where[1]}"
    try:
        # The image's config has force_https on, and nginx is the one trusted proxy.
        connection.request("GET", "/api/health", headers={"X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return False, f"{shown}/api/health: {exc or type(exc).__name__}"
    finally:
        connection.close()
    return response.status == 200, f"{shown}/api/health: {response.status}"


def main() -> int:
    healthy, message = check(os.environ)
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
