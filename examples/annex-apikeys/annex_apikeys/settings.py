"""``[plugins.apikeys]``: the settings of the apikeys plugin, with their defaults."""

from __future__ import annotations

from pydantic import Field

from core import Section, plugin_settings


class Settings(Section):
    """``[plugins.apikeys]`` in config.toml."""

    #: Most keys one user may hold (expired ones count until deleted); past it, POST is a 409.
    max_keys_per_user: int = Field(10, ge=1, le=1000)


def settings() -> Settings:
    """This app's ``[plugins.apikeys]``, read at request time."""
    return plugin_settings("apikeys")
