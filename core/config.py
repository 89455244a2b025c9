"""The core settings: one pydantic model per section of config.toml.

``core.config_loader`` reads config.toml, .env and the environment and validates them with
these models; plugins declare their own sections with ``Section`` (``register_settings``).
"""

from __future__ import annotations

from typing import Any, Literal

import click
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.locales import language_tag
from core.origins import allowed_origin

#: Minimum length of the secret key in production, in bytes.
MIN_SECRET_BYTES = 32


class ConfigError(click.ClickException):
    """The configuration is invalid; the message names the setting, its value and source, and the fix.

    A ``click.ClickException``: a command line that builds the app (``annex …``, ``flask --app
    core …``) prints the message, not a traceback, and exits 1.
    """


class Section(BaseModel):
    """Base for every settings section, core's and plugins': unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteSettings(Section):
    #: Public origin of the site: token issuer, links in mail, the trusted Origin.
    url: str = "http://127.0.0.1:5000"
    #: ``production`` demands a strong secret key and turns debug off.
    environment: Literal["development", "production"] = "development"
    #: Folder served at ``/`` (index.html for directories); empty turns it off.
    static_dir: str = "site"
    #: The site's name in mail; empty: the host of ``url``.
    name: str = ""
    #: Language (BCP 47 tag) of mail to a user who chose none and sent no Accept-Language.
    locale: str = "en"

    @field_validator("locale")
    @classmethod
    def _language_tag(cls, locale: str) -> str:
        return language_tag(locale)


class SecuritySettings(Section):
    #: Signs tokens and other secrets; generated under instance/ in development.
    secret_key: str | None = None
    #: Largest request body accepted, in bytes; larger is 413 without reading it.
    max_body_bytes: int = Field(65536, ge=1)
    #: Redirect plain HTTP outside /api to https, refuse it on /api.
    force_https: bool = False
    #: How many proxy hops in front of the app to trust for X-Forwarded-*.
    trusted_proxies: int = Field(0, ge=0, le=10)
    #: Origins allowed to call the API cross-origin with credentials: exact
    #: ``scheme://host[:port]`` origins, never patterns (a ``*`` stops start-up).
    cors_origins: list[str] = []
    #: Content-Security-Policy for responses that are not JSON.
    content_security_policy: str = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            allowed_origin(origin)  # ValueError names what is wrong with the entry
        return origins


class DatabaseSettings(Section):
    #: SQLAlchemy URL; empty means SQLite at instance/annex.db.
    url: str = ""


class RateLimitSettings(Section):
    #: ``false`` turns every limit off (benchmarks).
    enabled: bool = True
    #: ``memory://`` (one process) or ``redis://host:port`` (several instances).
    storage: str = "memory://"
    #: Limit on every /api request, per client IP.
    default: str = "300/minute"
    #: Prefix of the counters' keys in shared storage.
    key_prefix: str = "annex"
    #: When the counters' storage fails: ``allow`` everything, ``deny`` everything (503), or by
    #: ``default`` allow the general limit and deny the limits declared fail-closed (logins).
    on_storage_error: Literal["default", "allow", "deny"] = "default"
    #: Seconds a Redis storage may take to connect or to answer one command before it counts as
    #: failed (then ``on_storage_error`` applies): a Redis that hangs must not hang the API.
    storage_timeout: float = Field(0.25, gt=0, le=30)


class OutboxSettings(Section):
    #: Seconds before the first retry of a message the mail backend refused; doubles each time.
    retry_delay: float = Field(10.0, gt=0)
    #: Longest wait between two retries, in seconds.
    retry_max_delay: float = Field(1800.0, gt=0)
    #: Delivery attempts before a message is given up (logged as an error, kept as ``failed``).
    max_attempts: int = Field(12, ge=1)


class PluginsSettings(BaseModel):
    """``[plugins]``: the enabled list plus one sub-table per plugin, validated by that plugin."""

    model_config = ConfigDict(extra="allow", frozen=True)

    #: Plugin names to register, built-in or installed.
    enabled: list[str] = []


class Settings(Section):
    site: SiteSettings = SiteSettings()
    security: SecuritySettings = SecuritySettings()
    database: DatabaseSettings = DatabaseSettings()
    rate_limits: RateLimitSettings = RateLimitSettings()
    outbox: OutboxSettings = OutboxSettings()
    plugins: PluginsSettings = PluginsSettings()

    def plugin_section(self, name: str) -> dict[str, Any]:
        """The raw ``[plugins.<name>]`` table (empty when absent)."""
        return dict((self.plugins.model_extra or {}).get(name) or {})

    @property
    def is_production(self) -> bool:
        return self.site.environment == "production"
