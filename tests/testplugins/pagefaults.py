"""Pages outside ``/api`` that fail, and one API route that does: what a browser sees of errors.

- ``/broken/``: raises (500); ``/api/pagefaults/broken`` does the same under ``/api``;
- ``/closed/``: refused with an ``ApiError`` 403 carrying a header of its own;
- ``/gone/``: an ``ApiError`` 404 (a plugin's own "no such thing").
"""

from __future__ import annotations

from flask import Blueprint

from core import ApiError, hookimpl

bp = Blueprint("pagefaults", __name__)
#: The header the 403 carries (it must survive into the HTML answer).
CLOSED_HEADER = ("X-Closed-Reason", "testing")


@bp.get("/broken/")
@bp.get("/api/pagefaults/broken")
def broken():
    raise RuntimeError("secret detail that must not leak")


@bp.get("/closed/")
def closed():
    raise ApiError(403, "forbidden", "this page is closed", headers=dict([CLOSED_HEADER]))


@bp.get("/gone/")
def gone():
    raise ApiError(404, "not_found", "no such thing")


@hookimpl
def register_routes(app):
    return bp
