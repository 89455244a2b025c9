"""``annex check --deploy``: what a production configuration gets wrong, each with its fix.

Like Django's ``check --deploy``: read the effective settings and report; the exit status is
non-zero when any finding is an error. Core checks its own settings; each plugin reports on its
own through the ``deploy_check`` hook.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import Flask

from core import gunicorn_config, secretkeys
from core.config import MIN_SECRET_BYTES, ConfigError
from core.plugins import PluginError, call_each
from core.security import origin_of
from core.state import app_state


@dataclass(frozen=True)
class Finding:
    """One thing a production configuration gets wrong, and its fix (plugins return these from
    the ``deploy_check`` hook)."""

    level: str  # "error" or "warning"
    setting: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.setting}: {self.problem}\n        fix: {self.fix}"


#: Proxy hops beyond which a forged X-Forwarded-For is likely believed: nginx, plus one load
#: balancer at most.
MAX_TRUSTED_PROXIES = 2
#: The fix of every key that is missing or too short.
NEW_KEY = "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"


def check(app: Flask, environ: Any = None) -> list[Finding]:
    """Every finding for ``app``'s configuration, errors first."""
    environ = os.environ if environ is None else environ
    state = app_state(app)
    settings = state.settings
    security = settings.security
    limits = settings.rate_limits
    found: list[Finding] = []

    def error(setting: str, problem: str, fix: str) -> None:
        found.append(Finding("error", setting, problem, fix))

    def warning(setting: str, problem: str, fix: str) -> None:
        found.append(Finding("warning", setting, problem, fix))

    if not settings.is_production:
        error("site.environment", "is not production", 'set site.environment = "production"')
    secret = security.secret_key or ""
    if not secret:
        error(
            "security.secret_key",
            "is not set: nothing signs sessions and tokens",
            f"set ANNEX_SECRET_KEY to {NEW_KEY}",
        )
    elif len(secret.encode()) < MIN_SECRET_BYTES:
        error(
            "security.secret_key",
            f"is shorter than {MIN_SECRET_BYTES} bytes: a token it signs gives it away",
            f"set ANNEX_SECRET_KEY to {NEW_KEY}",
        )
    for weak in secretkeys.weak_keys(secretkeys.plugin_sections(state.plugin_settings)):
        error(
            weak.setting,
            f"is shorter than {weak.marker.min_bytes} bytes: a token it signs gives it away",
            f"set it to {NEW_KEY}",
        )
    if app.debug or environ.get("FLASK_DEBUG") in ("1", "true"):
        error(
            "debug",
            "is on: tracebacks and the debugger reach clients",
            "unset FLASK_DEBUG; never use --debug",
        )
    if not settings.site.url.startswith("https://"):
        error(
            "site.url",
            f"{settings.site.url} is not https",
            "serve the site over https and set site.url to it",
        )
    if not security.force_https:
        warning("security.force_https", "plain HTTP requests are served", "set security.force_https = true")
    if security.trusted_proxies == 0:
        warning(
            "security.trusted_proxies",
            "is 0: behind nginx every client has the proxy's address (rate limits, logs)",
            "set security.trusted_proxies = 1 when nginx is the only proxy in front",
        )
    elif security.trusted_proxies > MAX_TRUSTED_PROXIES:
        warning(
            "security.trusted_proxies",
            f"is {security.trusted_proxies}: unless that many proxies each set X-Forwarded-For,"
            " a client writes its own address (rate limits, logs)",
            "set it to the number of proxies that each set X-Forwarded-For: 1 behind nginx alone",
        )
    for origin in security.cors_origins:
        if (
            "*" in origin
            or origin.strip().lower() in ("null", "")
            or not origin_of(origin).startswith("https://")
        ):
            error(
                "security.cors_origins",
                f"{origin!r} lets other sites act for your users",
                "list exact https origins",
            )
    if not security.content_security_policy.strip():
        warning(
            "security.content_security_policy",
            "is empty: pages get no Content-Security-Policy (framing, plugins, base URL)",
            "remove it to keep the default \"frame-ancestors 'none'; object-src 'none'; base-uri 'none'\"",
        )
    if not limits.enabled:
        error(
            "rate_limits.enabled",
            "is false: logins, registrations and password resets are not limited (guessing passwords)",
            "remove it (false is for benchmarks)",
        )
    elif limits.on_storage_error == "allow":
        warning(
            "rate_limits.on_storage_error",
            'is "allow": while the counters\' storage fails, no limit holds, logins included',
            'remove it: "default" keeps the login limits closed while the storage fails',
        )
    if state.db.is_sqlite:
        try:
            mode = next(iter(state.db.query("PRAGMA journal_mode")))["journal_mode"]
        except Exception as exc:  # a database that does not answer is a finding, not a traceback
            error(
                "database.url", f"the database does not answer ({type(exc).__name__})", "check database.url"
            )
        else:
            if mode != "wal":
                error(
                    "database.url",
                    f"SQLite journal_mode is {mode}, not wal",
                    "let Annex open the database (it sets WAL)",
                )
    exposed = gunicorn_config.exposed_binds(environ)
    if exposed:
        # Slow clients (slowloris, slow bodies) hold a gthread worker's threads; nginx waits
        # for them instead. The bind: GUNICORN_CMD_ARGS, GUNICORN_BIND or PORT, as gunicorn reads them.
        warning(
            "GUNICORN_BIND",
            f"gunicorn listens on {', '.join(exposed)}: slow clients that reach it can hold every thread",
            "keep nginx in front, the only one to reach gunicorn: GUNICORN_BIND=127.0.0.1:8000 or a"
            " unix socket (in a container: publish no app port, as deploy/compose.yaml does)",
        )
    workers = gunicorn_config.worker_count(environ)
    if limits.enabled and not state.limiter.shared and workers > 1:
        warning(
            "rate_limits.storage",
            f"is memory:// with {workers} workers: the general per-IP limit is counted per worker",
            'set rate_limits.storage = "redis://…" (login and other named limits are exact anyway)',
        )
    with app.app_context():  # plugins read their settings through core.plugin_settings
        try:
            for _plugin, findings in call_each(state.pm, "deploy_check", app=app):
                found.extend(findings)
        except PluginError as exc:
            error("plugins", str(exc), "fix the plugin or disable it")
    return sorted(found, key=lambda finding: finding.level != "error")


def refusal(exc: Exception) -> Finding:
    """The finding of a configuration that stops start-up (``annex check`` cannot build the app)."""
    cause = str(exc) if isinstance(exc, (ConfigError, PluginError)) else f"{type(exc).__name__}: {exc}"
    return Finding("error", "configuration", f"the app does not start: {cause}", "correct what it names")


def summary(findings: list[Finding]) -> str:
    """``"2 errors, 3 warnings"``."""
    errors = sum(finding.level == "error" for finding in findings)
    warnings = len(findings) - errors
    return f"{errors} error{'' if errors == 1 else 's'}, {warnings} warning{'' if warnings == 1 else 's'}"
