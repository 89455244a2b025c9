"""Error pages for a person's browser: a 403, 404 or 500 outside ``/api`` is an HTML page.

A request whose ``Accept`` names ``text/html`` before any JSON type is a browser opening a page,
not an API call (fetch sends ``*/*``, API clients a JSON type). It gets the site's own
``403.html`` / ``404.html`` / ``500.html`` from ``site.static_dir`` when there is one, else core's
plain page of that status (``core/pages/``, standalone files a site may copy and edit). Everyone
else, and every request under ``/api``, keeps the JSON error of ``core/errors.py``.

The built-in pages carry their style inline, so that they stand alone (in core or copied into a
site) and load nothing from a site that may be the thing that is broken. The default
``security.content_security_policy`` restricts no styles (it sets frame-ancestors, object-src and
base-uri only); a deployer who adds ``style-src`` without ``'unsafe-inline'`` still gets a
readable page, unstyled.
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Response, request

from core.state import get_settings

#: The statuses a browser is answered with a page for.
STATUSES = frozenset({403, 404, 500})
#: core's own pages, one file per status.
BUILTIN = Path(__file__).resolve().parent / "pages"


def applies(status: int) -> bool:
    """Whether the answer with ``status`` depends on ``Accept``: one of STATUSES, outside ``/api``."""
    path = request.path
    return status in STATUSES and not (path == "/api" or path.startswith("/api/"))


def wanted() -> bool:
    """Whether the current request asks for a page rather than JSON."""
    return prefers_html(request.headers.get("Accept", ""))


def prefers_html(accept: str) -> bool:
    """Whether ``accept`` names ``text/html`` before any JSON type (``application/json``,
    ``application/*+json``), in the order the header lists them; a range with ``q=0`` (not
    acceptable) does not count, and ``*/*`` or ``text/*`` name neither."""
    for item in accept.split(","):
        media, _, parameters = item.partition(";")
        media = media.strip().lower()
        if _refused(parameters):
            continue
        if media == "text/html":
            return True
        if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
            return False
    return False


def _refused(parameters: str) -> bool:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0
            except ValueError:
                return False
    return False


def page(status: int) -> Response:
    """The HTML answer for ``status``: the site's own page of that name, else core's."""
    body = _site_page(status)
    if body is None:
        body = builtin_page(status)
    return Response(body, status=status, mimetype="text/html")


def _site_page(status: int) -> bytes | None:
    """``<site.static_dir>/<status>.html``, read on each use (a site is edited while it runs),
    or None: no site, no such file, or a symlink that leads outside the site."""
    static_dir = get_settings().site.static_dir
    if not static_dir:
        return None
    root = Path(static_dir).resolve()
    target = root / f"{status}.html"
    try:
        if not target.is_file() or not target.resolve().is_relative_to(root):
            return None
        return target.read_bytes()
    except OSError:
        return None


@functools.cache
def builtin_page(status: int) -> bytes:
    """core's page for ``status`` (``core/pages/<status>.html``)."""
    return (BUILTIN / f"{status}.html").read_bytes()
