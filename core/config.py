"""Configuration: config.toml, then .env, then ANNEX_* environment variables, validated.

Flask's ``from_file``/``from_prefixed_env`` drop lower-case keys, so this module reads the three
sources itself, validates them with pydantic (unknown keys are errors naming the key and where it
came from) and only then hands Flask its upper-case settings.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.origins import allowed_origin

#: Environment variables that override one setting each (the common deployment knobs).
SHORTCUT_VARIABLES = {
    "ANNEX_SECRET_KEY": ("security", "secret_key"),
    "ANNEX_DATABASE_URL": ("database", "url"),
}
#: Prefix of ``ANNEX__SECTION__KEY`` overrides; ``__`` separates the levels.
OVERRIDE_PREFIX = "ANNEX__"
#: Minimum length of the secret key in production, in bytes.
MIN_SECRET_BYTES = 32
#: Setting names whose values are secrets: masked whenever configuration is shown.
SECRET_NAME = re.compile(r"(^|_)(secret|password|pepper|token|key|keys)$")
#: The password part of a URL such as ``postgresql://user:password@host/db``.
URL_PASSWORD = re.compile(r"(?<=://)([^:/@]+):([^@]+)@")


class ConfigError(Exception):
    """The configuration is invalid; the message names the setting and its source."""


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


class _Sources:
    """Remembers where each setting came from, for error messages."""

    def __init__(self, default: str):
        self.default = default
        self.overrides: dict[tuple[str, ...], str] = {}

    def name(self, path: tuple[Any, ...]) -> str:
        for length in range(len(path), 0, -1):
            if path[:length] in self.overrides:
                return self.overrides[path[:length]]
        return self.default


def load_settings(
    source: str | Path | Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    instance_path: str | Path = "instance",
) -> tuple[Settings, _Sources]:
    """Read and validate the configuration.

    ``source`` is a TOML file path, a mapping (tests), or None for ``$ANNEX_CONFIG`` or
    ``./config.toml``. ``environ`` defaults to the process environment merged over ``./.env``.
    """
    if environ is None:
        environ = {**_dotenv(), **os.environ}
    raw, sources = _read_source(source, environ)
    _apply_environment(raw, environ, sources)
    raw = _resolve_references(raw, sources, ())
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources, ())) from None
    return _with_secret_key(settings, Path(instance_path)), sources


def validate_section(
    model: type[BaseModel], raw: Mapping[str, Any], prefix: tuple[str, ...], sources: _Sources
) -> BaseModel:
    """Validate one plugin's section with the model the plugin declared."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources, prefix)) from None


def masked(data: Any, name: str = "") -> Any:
    """A copy of ``data`` with secrets replaced by ``"***"``: string settings named like a secret
    (``secret_key``, ``smtp_password``, ``previous_keys``…) and passwords inside URLs."""
    if isinstance(data, Mapping):
        return {key: masked(value, str(key)) for key, value in data.items()}
    if isinstance(data, list):
        return [masked(item, name) for item in data]
    if isinstance(data, str) and data:
        if SECRET_NAME.search(name.lower()):
            return "***"
        return URL_PASSWORD.sub(r"\1:***@", data)
    return data


def _dotenv() -> dict[str, str]:
    path = Path(".env")
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def _read_source(
    source: str | Path | Mapping[str, Any] | None, environ: Mapping[str, str]
) -> tuple[dict[str, Any], _Sources]:
    if isinstance(source, Mapping):
        return _deep_copy(source), _Sources("<config mapping>")
    explicit = source is not None or "ANNEX_CONFIG" in environ
    path = Path(source if source is not None else environ.get("ANNEX_CONFIG", "config.toml"))
    if not path.is_file():
        if explicit:
            raise ConfigError(f"config file {path} does not exist")
        return {}, _Sources("<defaults>")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), _Sources(str(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value


def _apply_environment(raw: dict[str, Any], environ: Mapping[str, str], sources: _Sources) -> None:
    for variable, path in SHORTCUT_VARIABLES.items():
        if environ.get(variable):
            _set_path(raw, path, environ[variable], variable, sources)
    for variable, value in sorted(environ.items()):
        if not variable.startswith(OVERRIDE_PREFIX):
            continue
        path = tuple(part.lower() for part in variable[len(OVERRIDE_PREFIX) :].split("__"))
        if not all(path):
            raise ConfigError(f"environment variable {variable}: empty name between '__'")
        _set_path(raw, path, _toml_literal(value), variable, sources)


def _toml_literal(value: str) -> Any:
    """Parse an override as a TOML literal; a bare word that is not one stays a string."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _set_path(
    raw: dict[str, Any], path: tuple[str, ...], value: Any, variable: str, sources: _Sources
) -> None:
    node = raw
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"environment variable {variable}: {part} is not a table")
        node = child
    node[path[-1]] = value
    sources.overrides[path] = f"environment variable {variable}"


def _resolve_references(value: Any, sources: _Sources, path: tuple[str, ...]) -> Any:
    """Replace ``{ env = "NAME" }`` and ``{ file = "/path" }`` with what they point at."""
    if isinstance(value, dict):
        if len(value) == 1 and set(value) <= {"env", "file"}:
            return _dereference(value, sources, path)
        return {key: _resolve_references(item, sources, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_references(item, sources, path) for item in value]
    return value


def _dereference(reference: dict[str, Any], sources: _Sources, path: tuple[str, ...]) -> str:
    where = f"{'.'.join(path)} in {sources.name(path)}"
    if "env" in reference:
        name = reference["env"]
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return os.environ[name]
    try:
        return Path(reference["file"]).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read {reference['file']}: {exc.strerror}") from None


def _describe(exc: ValidationError, sources: _Sources, prefix: tuple[str, ...]) -> str:
    lines = []
    for error in exc.errors():
        path = prefix + tuple(str(part) for part in error["loc"])
        key = ".".join(path)
        if error["type"] == "extra_forbidden":
            lines.append(f"unknown setting {key} in {sources.name(path)}")
        else:
            lines.append(f"invalid setting {key} in {sources.name(path)}: {error['msg']}")
    return "; ".join(lines)


def _with_secret_key(settings: Settings, instance_path: Path) -> Settings:
    key = settings.security.secret_key
    if settings.is_production:
        if not key or len(key.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"security.secret_key must be at least {MIN_SECRET_BYTES} bytes in production: "
                "set ANNEX_SECRET_KEY (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return settings
    if key:
        return settings
    security = settings.security.model_copy(update={"secret_key": _development_key(instance_path)})
    return settings.model_copy(update={"security": security})


def _development_key(instance_path: Path) -> str:
    """A random key kept in instance/secret_key so sessions survive restarts in development."""
    path = instance_path / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once keep the one key written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
