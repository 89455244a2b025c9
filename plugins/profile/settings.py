"""``[plugins.profile]``: custom profile fields declared by the site owner."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from core import Section, plugin_settings

#: Names a custom field may not take: the account's own fields and the built-in profile fields.
RESERVED = frozenset(
    {
        "id", "username", "email", "email_verified", "roles", "created_at", "password",
        "password_hash", "display_name", "bio", "avatar_url", "locale", "user_id", "updated_at",
    }
)  # fmt: skip
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class FieldSpec(Section):
    """One custom field: ``[plugins.profile.fields.<name>]``."""

    #: JSON type the value must have (``url``: an http/https URL string; ``locale``: a BCP 47
    #: language tag such as "de-AT").
    type: Literal["string", "integer", "boolean", "url", "locale"]
    #: Longest accepted string (string, url and locale fields).
    max_length: int | None = Field(None, ge=1, le=65536)
    #: A required field cannot be left empty or cleared.
    required: bool = False


class Settings(Section):
    fields: dict[str, FieldSpec] = {}

    @field_validator("fields")
    @classmethod
    def _names(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        for name, spec in fields.items():
            if not FIELD_NAME.fullmatch(name):
                raise ValueError(f"field {name!r}: names are lower-case letters, digits and '_'")
            if name in RESERVED:
                raise ValueError(f"field {name!r}: that name is reserved")
            if spec.max_length is not None and spec.type in ("integer", "boolean"):
                raise ValueError(f"field {name!r}: max_length applies to string, url and locale fields only")
        return fields


def settings() -> Settings:
    """This app's ``[plugins.profile]``, read at request time."""
    return plugin_settings("profile")
