"""The application factory: config → plugins → routes, commands, migrations → startup."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from sqlalchemy.exc import DBAPIError

import client
from core import cli, db, errors, framing, outbox, ratelimit, routes, secretkeys, security, tracing
from core.config import ConfigError, Settings
from core.config_loader import load_settings, validate_section
from core.converters import AnnexMap
from core.cookie_session import CookieSessionInterface
from core.migrations import ordered
from core.plugins import PluginError, build_manager, call_each, did_you_mean, discover
from core.state import AppState
from core.static import static_server
from core.writecheck import WriteCheck

log = logging.getLogger("annex")


class AnnexFlask(Flask):
    """Flask, with path integers bounded to 64 bits and one thing it recomputes needlessly on
    every request cached.

    ``ensure_sync`` inspects each before/after/teardown function for a coroutine on every
    request; the answer never changes, so it is remembered per function.
    """

    url_map_class = AnnexMap

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        cache = self.__dict__.setdefault("_annex_sync", {})
        try:
            return cache[func]
        except (KeyError, TypeError):
            wrapped = super().ensure_sync(func)
            with contextlib.suppress(TypeError):  # unhashable callables are not cached
                cache[func] = wrapped
            return wrapped


def create_app(
    config: str | Path | Mapping[str, Any] | None = None,
    plugins: Iterable[Any] = (),
    *,
    environ: Mapping[str, str] | None = None,
    instance_path: str | Path | None = None,
) -> Flask:
    """Build an Annex app.

    ``config`` is a TOML path, a mapping shaped like config.toml (tests), or None for
    ``$ANNEX_CONFIG`` / ``./config.toml``. ``plugins`` are registered in addition to those
    enabled in the config (objects, or ``(name, plugin)`` pairs). ``environ`` replaces the
    process environment and .env (tests). Start-up problems raise ``ConfigError`` or
    ``PluginError`` with a message naming the culprit.
    """
    app = AnnexFlask("core", static_folder=None, instance_path=str(instance_path) if instance_path else None)
    settings, sources = load_settings(config, environ, app.instance_path)
    pm = build_manager(settings.plugins.enabled, plugins, builtin=[("core", routes)])
    tracing.name_failures(pm)
    if (environ if environ is not None else os.environ).get("ANNEX_TRACE_PLUGINS") == "1":
        tracing.enable_tracing(pm)
    url, url_source = db.resolved_url(
        settings.database.url, sources.name(("database", "url")), Path(app.instance_path)
    )
    database = db.open_database(url, url_source)
    state = AppState(
        settings=settings,
        sources=sources,
        pm=pm,
        db=database,
        limiter=ratelimit.Limiter(settings.rate_limits, database.engine),
        writes=WriteCheck(),
    )
    state.attach(app)
    _configure_flask(app, settings)
    _validate_plugin_settings(state)
    _refuse_weak_keys(state)
    errors.init_app(app)
    db.init_app(app)
    outbox.init_app(app)
    security.init_app(app, settings)
    framing.init_app(app)
    ratelimit.init_app(app)
    cli.init_app(app)
    site = Path(settings.site.static_dir) if settings.site.static_dir else None
    state.static_fallback = static_server(site, packaged={"/annex.js": client.FILES / "annex.js"})
    # Start-up hooks run in an app context: plugins may read their settings and the database.
    try:
        with app.app_context():
            _register_routes(app, state)
            pm.hook.register_commands(cli=app.cli)
            registered = call_each(pm, "register_migrations")
            state.migrations = ordered(m for _, result in registered for m in result)
            if not settings.is_production:
                cli.start_up_migrations(state)
            _warn_about_production(state)
            pm.hook.startup(app=app)
    except DBAPIError:
        # The server went away after the first connection (a restart, an outage): say that,
        # so a server retries the worker, rather than blame the plugin whose query failed.
        outage = db.unreachable(database, url, url_source)
        if outage is not None:
            raise outage from None
        raise
    return app


def _configure_flask(app: Flask, settings: Settings) -> None:
    app.config["SECRET_KEY"] = settings.security.secret_key
    app.config["DEBUG"] = not settings.is_production and app.debug
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.session_interface = CookieSessionInterface()


def _validate_plugin_settings(state: AppState) -> None:
    declared = dict(call_each(state.pm, "register_settings"))
    for name, model in declared.items():
        section = state.settings.plugin_section(name)
        state.plugin_settings[name] = validate_section(model, section, ("plugins", name), state.sources)
    sections = set(state.settings.plugins.model_extra or {})
    for name in sorted(sections - set(declared)):
        if state.pm.has_plugin(name):
            raise ConfigError(
                f"plugins.{name} in {state.sources.name(('plugins', name))}: plugin {name} has no settings"
            )
        if name not in discover():
            raise ConfigError(
                f"unknown setting plugins.{name} in {state.sources.name(('plugins', name))}: no such plugin."
                f"{did_you_mean(name, discover(), 'plugins.{}')} Fix: correct the name or remove the table."
            )


def _refuse_weak_keys(state: AppState) -> None:
    """In production, a ``core.SecretKey`` setting of any plugin that is set but short stops
    start-up: a short HMAC key is guessed offline from one token it signed."""
    if not state.settings.is_production or not secretkeys.refused():
        return
    weak = secretkeys.weak_keys(secretkeys.plugin_sections(state.plugin_settings))
    if weak:
        raise ConfigError(
            "; ".join(
                f"{found.setting} must be at least {found.marker.min_bytes} bytes in production "
                f"(it has {len(found.value.encode())}): set it to a random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                for found in weak
            )
        )


def _register_routes(app: Flask, state: AppState) -> None:
    for name, result in call_each(state.pm, "register_routes", app=app):
        for blueprint in result if isinstance(result, (list, tuple)) else [result]:
            if not isinstance(blueprint, Blueprint):
                raise PluginError(f"plugin {name}: register_routes returned {blueprint!r}, not a Blueprint")
            app.register_blueprint(blueprint)
            state.plugin_of_blueprint[blueprint.name] = name


def _warn_about_production(state: AppState) -> None:
    if state.settings.is_production and state.limiter.enabled and not state.limiter.shared:
        log.warning(
            "the general per-IP rate limit is counted in process memory: with several workers or "
            'instances each keeps its own count; set rate_limits.storage = "redis://…" '
            "(login and other named limits are counted in the database either way)"
        )
