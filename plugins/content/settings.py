"""``[plugins.content]``: per-user data limits and the members-only file tree."""

from __future__ import annotations

from pydantic import Field, field_validator

from core import Section, plugin_settings


class Rule(Section):
    """``[[plugins.content.rules]]``: files matching ``pattern`` need every one of ``roles``."""

    #: Glob relative to the root, e.g. ``premium/*`` (``*`` also crosses ``/``).
    pattern: str = Field(min_length=1)
    roles: list[str] = Field(min_length=1)


class Settings(Section):
    #: Largest stored value, serialised as JSON, in bytes.
    max_value_bytes: int = Field(65536, ge=1)
    #: Most keys one user may store.
    max_keys: int = Field(1000, ge=1)
    #: Folder of the members-only files (relative to the working directory).
    root: str = "protected"
    #: URL prefix the files are served under.
    url_prefix: str = "/members"
    #: Where a browser without a session is sent, with ``?next=<path>``.
    login_url: str = "/login.html"
    #: When set (behind nginx), answer with ``X-Accel-Redirect: <prefix><path>`` and no body.
    accel_redirect_prefix: str = ""
    rules: list[Rule] = []

    @field_validator("url_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/") or value.startswith("/api"):
            raise ValueError("a path like /members: leading slash, no trailing slash, not under /api")
        return value


def settings() -> Settings:
    """This app's ``[plugins.content]``, read at request time."""
    return plugin_settings("content")
