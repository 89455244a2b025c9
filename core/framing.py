"""A request body the server cannot read (a broken chunked encoding, a body cut short) is the
client's error: ``400`` in the error shape, never a ``500`` with a traceback in the log.

The WSGI server raises its own exceptions from ``wsgi.input`` when the framing is bad (gunicorn's
``InvalidChunkSize``, ``ChunkMissingTerminator``, ``NoMoreData``…), at whatever point a view first
reads the body. The input stream is wrapped so that any such error becomes one ``ApiError``,
whichever server runs the app and whichever code reads the body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from core.errors import ApiError

log = logging.getLogger("annex")

#: What the client is told; the server's own wording goes to the log.
MESSAGE = "the request body is malformed (broken chunked encoding or cut short)"


class _CheckedInput:
    """``wsgi.input`` whose read errors are the client's (see the module)."""

    def __init__(self, stream: Any, environ: dict[str, Any]):
        self._stream = stream
        self._environ = environ

    def read(self, *args: Any) -> bytes:
        return self._guard(self._stream.read, *args)

    def readline(self, *args: Any) -> bytes:
        return self._guard(self._stream.readline, *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._guard(self._stream.readlines, *args)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _guard(self, read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except HTTPException:  # werkzeug's own (a body shorter than its Content-Length): a 400
            raise
        except Exception as exc:
            environ = self._environ
            log.info(
                "malformed request body on %s %s: %s: %s",
                environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), type(exc).__name__, exc,
            )  # fmt: skip
            raise ApiError(400, "invalid_json", MESSAGE) from None


def init_app(app: Flask) -> None:
    inner = app.wsgi_app

    def checked_input(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # Only requests that announce a body: the others are never read.
        if environ.get("HTTP_TRANSFER_ENCODING") or environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            environ["wsgi.input"] = _CheckedInput(environ["wsgi.input"], environ)
        return inner(environ, start_response)

    app.wsgi_app = checked_input  # type: ignore[method-assign]
