"""Core's own endpoints, written as a plugin like any other: health and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel, ConfigDict

from core import outbox, writecheck
from core.api import endpoint
from core.migrations import Migration
from core.openapi import generate
from core.plugins import hookimpl
from core.ratelimit_storage import create_table
from core.sql import SQL
from core.state import app_state
from core.version import __version__

bp = Blueprint("core", __name__, url_prefix="/api")
_PING = SQL("SELECT 1")


class Document(BaseModel):
    """An OpenAPI 3.1 document (its full schema is the specification's own)."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class Health(BaseModel):
    status: str
    checks: dict[str, str]


@bp.get("/health")
@endpoint(response=Health, responses={503: "the database does not answer or does not take writes"})
def health():
    """Liveness and database check: 200 when the database answers and takes writes (a full
    disk answers reads but no write), 503 otherwise."""
    try:
        _PING.scalar()
    except Exception:
        current_app.logger.exception("health check: database does not answer")
        return _UNAVAILABLE
    if not app_state().writes.writable():  # logged by the probe
        return _UNAVAILABLE
    return {"status": "ok", "checks": {"database": "ok"}}


#: Health's answer while the database does not answer or does not take writes.
_UNAVAILABLE = ({"status": "unavailable", "checks": {"database": "unavailable"}}, 503, {"Retry-After": "2"})


@bp.get("/openapi.json")
@endpoint(response=Document)
def openapi():
    """The OpenAPI 3.1 document of every enabled plugin's routes."""
    state = app_state()
    if state.openapi is None:
        state.openapi = generate(current_app, "Annex API", __version__)
    return jsonify(state.openapi)


@hookimpl
def register_routes(app: Flask) -> Blueprint:
    return bp


@hookimpl
def register_migrations() -> list[Migration]:
    return [
        Migration("core", "0001_ratelimits", create_table),
        Migration("core", "0002_write_probe", writecheck.create_table),
        Migration("core", "0003_outbox", outbox.create_table),
    ]
