"""Malformed request framing is a client error (issue 15, point 10): a broken chunked body sent to
a real gunicorn, over a raw socket, is ``400`` in the error shape, with no traceback in the log,
under both worker classes."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, start_gunicorn, write_toml

HEAD = (
    b"POST /api/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
BODIES = {
    "chunk size not hex": b"zz\r\n{}\r\n0\r\n\r\n",
    "chunk longer than its size": b"2\r\n{}XX\r\n0\r\n\r\n",
    "bad chunk extension": b"2;\x00\r\n{}\r\n0\r\n\r\n",
    "cut short": b'40\r\n{"username": "a',
}


@pytest.fixture(scope="module", params=["gthread", "sync"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    workdir: Path = tmp_path_factory.mktemp(f"framing-{request.param}")
    config = write_toml(
        workdir / "config.toml",
        {
            "site": {"static_dir": ""},
            "database": {"url": f"sqlite:///{workdir / 'annex.db'}"},
            "plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 4}},
        },
    )
    server = start_gunicorn(config, workdir, workers=1, worker_class=request.param)
    try:
        yield server
    finally:
        server.stop()


def send_raw(server: Server, data: bytes, half_close: bool) -> bytes:
    """Everything the server sends back until it closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_a_broken_chunked_body_is_a_400_in_the_error_shape(server, body):
    answer = send_raw(server, HEAD + body, half_close=body == BODIES["cut short"])
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), answer[:300]
    assert answer.count(b"HTTP/1.1 ") == 1, answer  # one answer, then the connection closes
    assert b"content-type: application/json" in head.lower()
    error = json.loads(payload)["error"]
    assert error["code"] == "invalid_json"
    assert set(error) == {"code", "message"}


def test_the_log_has_no_traceback_and_the_server_still_serves(server):
    for body in BODIES.values():
        send_raw(server, HEAD + body, half_close=body == BODIES["cut short"])
    assert server.request("GET", "/api/health")[0] == 200
    log = server.log.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert "unhandled error" not in log, log[-3000:]
