"""Configuration: config.toml, then .env, then ANNEX_* environment variables, validated.

Flask's ``from_file``/``from_prefixed_env`` drop lower-case keys, so this module reads the three
sources itself, validates them with pydantic (unknown keys are errors naming the key and where it
came from) and only then hands Flask its upper-case settings.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from core import secretkeys
from core.config import MIN_SECRET_BYTES, ConfigError, Settings

#: Environment variables that override one setting each (the common deployment knobs).
SHORTCUT_VARIABLES = {
    "ANNEX_SECRET_KEY": ("security", "secret_key"),
    "ANNEX_DATABASE_URL": ("database", "url"),
}
#: Prefix of ``ANNEX__SECTION__KEY`` overrides; ``__`` separates the levels.
OVERRIDE_PREFIX = "ANNEX__"
#: Setting names whose values are secrets: masked whenever configuration is shown.
SECRET_NAME = re.compile(r"(^|_)(secret|password|pepper|token|key|keys)$")
#: The password part of a URL such as ``postgresql://user:password@host/db``.
URL_PASSWORD = re.compile(r"(?<=://)([^:/@]+):([^@]+)@")


class Sources:
    """Remembers where each setting came from, for error messages."""

    def __init__(self, default: str, file: Path | None = None):
        self.default = default
        #: The config file read, absolute; None when there was none (defaults, or a mapping).
        self.file = file.resolve() if file else None
        self.overrides: dict[tuple[str, ...], str] = {}

    def name(self, path: tuple[Any, ...]) -> str:
        for length in range(len(path), 0, -1):
            if path[:length] in self.overrides:
                return self.overrides[path[:length]]
        return self.default

    def describe(self) -> str:
        """One line saying which configuration was read: the file (or why none), and the
        environment variables that override it."""
        if self.file:
            read = f"configuration: {self.file}"
        elif self.default == "<defaults>":
            read = (
                f"configuration: no config file (no config.toml in {Path.cwd()}, ANNEX_CONFIG not set): "
                "built-in defaults, no plugins enabled"
            )
        else:
            read = f"configuration: {self.default}"
        variables = sorted({source.split()[-1] for source in self.overrides.values()})
        return read + (f"; overridden by {', '.join(variables)}" if variables else "")


def load_settings(
    source: str | Path | Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    instance_path: str | Path = "instance",
) -> tuple[Settings, Sources]:
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
    model: type[BaseModel], raw: Mapping[str, Any], prefix: tuple[str, ...], sources: Sources
) -> BaseModel:
    """Validate one plugin's section with the model the plugin declared."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources, prefix, model)) from None


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
) -> tuple[dict[str, Any], Sources]:
    if isinstance(source, Mapping):
        return _deep_copy(source), Sources("<config mapping>")
    explicit = source is not None or "ANNEX_CONFIG" in environ
    path = Path(source if source is not None else environ.get("ANNEX_CONFIG", "config.toml"))
    if not path.is_file():
        if explicit:
            named = "given to create_app" if source is not None else "named by ANNEX_CONFIG"
            raise ConfigError(
                f"config file {path.resolve()} does not exist ({named}). Fix: name an existing file"
                + ("" if source is not None else ", or unset ANNEX_CONFIG to read ./config.toml")
                + "."
            )
        return {}, Sources("<defaults>")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh), Sources(str(path.resolve()), path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.resolve()} is not valid TOML: {exc}. Fix: correct it there.") from None


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value


def _apply_environment(raw: dict[str, Any], environ: Mapping[str, str], sources: Sources) -> None:
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
    raw: dict[str, Any], path: tuple[str, ...], value: Any, variable: str, sources: Sources
) -> None:
    node = raw
    for depth, part in enumerate(path[:-1], 1):
        if part not in node:  # a table only this variable makes: a misspelt one is its fault
            sources.overrides.setdefault(path[:depth], f"environment variable {variable}")
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"environment variable {variable}: {part} is not a table")
        node = child
    node[path[-1]] = value
    sources.overrides[path] = f"environment variable {variable}"


def _resolve_references(value: Any, sources: Sources, path: tuple[str, ...]) -> Any:
    """Replace ``{ env = "NAME" }`` and ``{ file = "/path" }`` with what they point at."""
    if isinstance(value, dict):
        if len(value) == 1 and set(value) <= {"env", "file"}:
            return _dereference(value, sources, path)
        return {key: _resolve_references(item, sources, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_references(item, sources, path) for item in value]
    return value


def _dereference(reference: dict[str, Any], sources: Sources, path: tuple[str, ...]) -> str:
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


def _describe(
    exc: ValidationError, sources: Sources, prefix: tuple[str, ...], model: type[BaseModel] = Settings
) -> str:
    """One sentence or three per error: the key, the value given, where it came from, the fix
    (and "did you mean" for a near-miss key)."""
    sentences = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        path = prefix + loc
        key = ".".join(path)
        source = sources.name(path)
        given = _shown(error.get("input"), path[-1])
        if error["type"] == "extra_forbidden":
            known = _field_names(model, loc[:-1])
            close = difflib.get_close_matches(path[-1], known, n=1, cutoff=0.6)
            hint = f" Did you mean {'.'.join((*path[:-1], close[0]))}?" if close else ""
            if source.startswith("environment variable "):
                variable = source.split()[-1]
                fix = f"unset {variable}, or correct its name"
                if close and variable.startswith(OVERRIDE_PREFIX):
                    fix = f"rename {variable} to {_renamed(variable, len(path), close[0])}"
            else:
                fix = f"correct the name or remove it from {source}"
                if not hint and known:
                    fix += f" (settings here: {', '.join(known)})"
            sentences.append(f"unknown setting {key} = {given} in {source}.{hint} Fix: {fix}.")
        elif error["type"] == "missing":
            sentences.append(f"missing setting {key} in {source}: {error['msg']}. Fix: set it.")
        else:
            default = _default_of(model, loc)
            fix = "correct the value" + (f", or remove it to use the default {default}" if default else "")
            sentences.append(f"invalid setting {key} = {given} in {source}: {error['msg']}. Fix: {fix}.")
    return " ".join(sentences)


def _shown(value: Any, name: str) -> str:
    """A value as a message shows it: JSON (close to TOML), secrets masked, at most 200 characters."""
    if value not in (None, "") and SECRET_NAME.search(name.lower()):
        return '"***"'
    text = json.dumps(masked(value, name), default=str, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


def _field_names(model: type[BaseModel], loc: tuple[str, ...]) -> list[str]:
    """The setting names a section at ``loc`` of ``model`` accepts ([] when not a known section)."""
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _default_of(model: type[BaseModel], loc: tuple[str, ...]) -> str:
    """The default of the setting at ``loc``, shown as a value ("" when it has none)."""
    names = _field_names(model, loc[:-1])
    if not loc or loc[-1] not in names:
        return ""
    for part in loc[:-1]:
        model = model.model_fields[part].annotation  # type: ignore[assignment]
    default = model.model_fields[loc[-1]].default
    return "" if default is PydanticUndefined or default is None else _shown(default, loc[-1])


def _renamed(variable: str, depth: int, name: str) -> str:
    """``ANNEX__SECURTY__FORCE_HTTPS`` with its part at ``depth`` (1-based) replaced by ``name``."""
    parts = variable[len(OVERRIDE_PREFIX) :].split("__")
    parts[depth - 1] = name.upper()
    return OVERRIDE_PREFIX + "__".join(parts)


def _with_secret_key(settings: Settings, instance_path: Path) -> Settings:
    key = settings.security.secret_key
    if settings.is_production:
        if (not key or len(key.encode()) < MIN_SECRET_BYTES) and secretkeys.refused():
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
