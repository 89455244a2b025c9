"""Per-app state, in one typed home: what ``create_app`` builds and every request reads.

The state hangs off the Flask app (``app.extensions``), never a module global, so several apps
(tests, two configurations in one process) never share it. Code reads it through the typed
accessors below, not through ``current_app.extensions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy
from flask import Flask, Response, current_app
from pydantic import BaseModel

if TYPE_CHECKING:  # the modules below import this one
    from core.config import Settings
    from core.config_loader import Sources
    from core.db import Database
    from core.migrations import Migration
    from core.ratelimit import Limiter
    from core.writecheck import WriteCheck

#: The key of ``app.extensions`` holding the state.
EXTENSION = "annex"


@dataclass
class AppState:
    """Everything one Annex app holds besides Flask's own: settings, plugins, storage, limits."""

    settings: Settings
    sources: Sources
    pm: pluggy.PluginManager
    db: Database
    limiter: Limiter
    writes: WriteCheck
    plugin_settings: dict[str, BaseModel] = field(default_factory=dict)
    migrations: list[Migration] = field(default_factory=list)
    plugin_of_blueprint: dict[str, str] = field(default_factory=dict)
    static_fallback: Callable[[], Response | None] | None = None
    openapi: dict[str, Any] | None = None
    #: OpenAPI security schemes plugins add next to core's bearer (``core.openapi.add_security_scheme``).
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Development migrations left for the command a command line looks up (``core.cli.AppCommands``).
    migrations_deferred: bool = False

    def attach(self, app: Flask) -> None:
        app.extensions[EXTENSION] = self


def app_state(app: Flask | None = None) -> AppState:
    """The state of ``app``, by default the current one."""
    return (app if app is not None else current_app).extensions[EXTENSION]


def get_settings() -> Settings:
    """The current app's validated core settings."""
    return app_state().settings


def plugin_settings(name: str) -> Any:
    """The validated settings model of plugin ``name`` (see the ``register_settings`` hook)."""
    return app_state().plugin_settings[name]


def hooks() -> Any:
    """The current app's hook caller: ``hooks().user_deleted(user_id=3)`` calls every plugin."""
    return app_state().pm.hook


def get_db() -> Database:
    """The current app's Database (thread-safe: one connection per thread)."""
    return app_state().db


def rate_limiter() -> Limiter:
    """The current app's rate limiter (``check_rate_limit`` is the usual way in)."""
    return app_state().limiter
