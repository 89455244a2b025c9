"""A test plugin whose one route accepts any JSON value: for limits that no schema hides.

``POST /api/echo`` with ``{"value": <any JSON>}`` answers ``{"value": <the same>}``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from core import Body, endpoint, hookimpl


class Anything(Body):
    value: Any = None


bp = Blueprint("echo", __name__, url_prefix="/api/echo")


@bp.post("")
@endpoint(body=Anything)
def echo(body: Anything):
    """Answer the value that was sent."""
    return {"value": body.value}


@hookimpl
def register_routes(app):
    return bp
