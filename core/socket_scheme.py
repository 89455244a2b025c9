"""The request's scheme starts as the socket's: a WSGI server's own reading of forwarding
headers is undone, so that ``security.trusted_proxies`` alone decides whom to believe.

gunicorn sets ``wsgi.url_scheme`` to ``https`` when ``X-Forwarded-Proto: https`` (or
``X-Forwarded-Ssl: on``) comes from an address in its ``forwarded_allow_ips``, 127.0.0.1 and ::1
by default, and from any unix-socket peer. core/gunicorn_config.py turns that off; this covers a
gunicorn started without it. ProxyFix (wrapped inside this) then applies the trusted hops'
``X-Forwarded-Proto``, if any.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def socket_scheme(app: WSGIApp) -> WSGIApp:
    """Wrap ``app``: under gunicorn, ``wsgi.url_scheme`` is ``https`` only on a TLS socket."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")  # gunicorn's environ key for the client socket
        if sock is not None:
            environ["wsgi.url_scheme"] = "https" if isinstance(sock, ssl.SSLSocket) else "http"
        return app(environ, start_response)

    return middleware
