"""Secret settings of any section, recognised by their type: masked when shown, keys checked.

A plugin types a setting ``core.SecretKey`` (a key of an HMAC or a signature) or ``core.Secret``
(any other secret, such as a password). Core finds them in every section, its own and every
plugin's, without knowing any plugin: ``annex config`` and ``annex plugins -v`` mask them, and a
non-empty ``SecretKey`` shorter than ``MIN_SECRET_BYTES`` stops start-up in production and is an
error of ``annex check --deploy``. An empty value stays allowed: it means whatever the plugin
documents (a key derived from ``security.secret_key``, no pepper…). ``annex check`` builds the
app inside ``reported_not_refused()``: there a missing or short key is the check's error, not a
traceback at start-up::

    class Settings(core.Section):
        signing_key: core.SecretKey = ""        # empty: derived from security.secret_key
        previous_keys: list[core.SecretKey] = []
        smtp_password: core.Secret = ""
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel

from core.config import MIN_SECRET_BYTES

#: Shortest key accepted in production, in bytes (the rule of security.secret_key).
MIN_KEY_BYTES = MIN_SECRET_BYTES


@dataclass(frozen=True)
class SecretSetting:
    """The marker core looks for in a field's type; ``min_bytes`` applies in production."""

    min_bytes: int = 0


#: A secret that is not a key (a password): masked whenever configuration is shown.
Secret = Annotated[str, SecretSetting()]
#: A key of an HMAC or a signature: masked, and at least 32 bytes (when set) in production.
SecretKey = Annotated[str, SecretSetting(MIN_KEY_BYTES)]


#: True while ``annex check`` builds the app (``reported_not_refused``).
_reporting: ContextVar[bool] = ContextVar("annex_keys_reported", default=False)


@contextmanager
def reported_not_refused() -> Iterator[None]:
    """Within this block a production app with a missing or short key starts anyway, so that
    ``annex check`` can list it with every other finding; only the check uses it."""
    token = _reporting.set(True)
    try:
        yield
    finally:
        _reporting.reset(token)


def refused() -> bool:
    """Whether production start-up refuses a missing or short key now (everywhere but inside
    ``reported_not_refused``)."""
    return not _reporting.get()


@dataclass(frozen=True)
class Found:
    """One secret value of a section: its dotted setting name, value and marker."""

    setting: str
    value: str
    marker: SecretSetting


def _marker(annotation: Any, metadata: list[Any] = ()) -> tuple[SecretSetting | None, bool]:
    """The marker of a field (from pydantic's metadata or the annotation itself) and whether
    the field holds a list of such values."""
    for item in metadata:
        if isinstance(item, SecretSetting):
            return item, False
    if typing.get_origin(annotation) is Annotated:
        for item in typing.get_args(annotation)[1:]:
            if isinstance(item, SecretSetting):
                return item, False
    if typing.get_origin(annotation) in (list, tuple, set, frozenset):
        for arg in typing.get_args(annotation):
            marker, _ = _marker(arg)
            if marker is not None:
                return marker, True
    return None, False


def secrets_of(section: BaseModel, prefix: str) -> Iterator[Found]:
    """Every secret value in ``section`` (nested sections included), named under ``prefix``."""
    for name, field in type(section).model_fields.items():
        value = getattr(section, name, None)
        setting = f"{prefix}.{name}"
        if isinstance(value, BaseModel):
            yield from secrets_of(value, setting)
            continue
        marker, many = _marker(field.annotation, field.metadata)
        if marker is None:
            continue
        for item in value if many else [value]:
            if isinstance(item, str):
                yield Found(setting, item, marker)


def weak_keys(sections: dict[str, BaseModel]) -> list[Found]:
    """The set keys shorter than their marker asks, from ``{prefix: section}``."""
    return [
        found
        for prefix, section in sections.items()
        for found in secrets_of(section, prefix)
        if found.value and len(found.value.encode()) < found.marker.min_bytes
    ]


def plugin_sections(plugin_settings: dict[str, BaseModel]) -> dict[str, BaseModel]:
    """``{"plugins.<name>": settings}`` for every plugin that declared settings."""
    return {f"plugins.{name}": section for name, section in plugin_settings.items()}


def dump_masked(section: BaseModel) -> dict[str, Any]:
    """``section`` as JSON data with every secret-typed value replaced by ``"***"``."""
    data = section.model_dump(mode="json")
    _mask_into(section, data)
    return data


def _mask_into(section: BaseModel, data: dict[str, Any]) -> None:
    for name, field in type(section).model_fields.items():
        value = getattr(section, name, None)
        if isinstance(value, BaseModel) and isinstance(data.get(name), dict):
            _mask_into(value, data[name])
            continue
        marker, many = _marker(field.annotation, field.metadata)
        if marker is None or name not in data:
            continue
        if many:
            data[name] = ["***" if item else item for item in data[name]]
        elif data[name]:
            data[name] = "***"
