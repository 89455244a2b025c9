"""The profile update body, built once per app from the built-in and the declared fields.

Every field is optional (a partial update) and may be ``null`` (to clear it); anything not
declared is a 422 naming it, so no request can assign ``roles`` or ``password_hash``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictInt,
    StringConstraints,
    create_model,
)

from core import language_tag
from plugins.profile.settings import FieldSpec, Settings

#: Longest URL accepted when a url field declares no max_length.
MAX_URL = 2048
#: Longest language tag accepted (RFC 5646 asks implementations for at least 35 characters).
MAX_LOCALE = 35
#: The built-in fields every profile has.
BUILTIN = {
    "display_name": FieldSpec(type="string", max_length=64),
    "bio": FieldSpec(type="string", max_length=2000),
    "avatar_url": FieldSpec(type="url", max_length=MAX_URL),
    # The language the user reads (mail, notices): other plugins ask for it by core.user_locale.
    "locale": FieldSpec(type="locale", max_length=MAX_LOCALE),
}


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an http or https URL")
    return value


def _annotation(spec: FieldSpec) -> Any:
    if spec.type == "integer":
        return StrictInt
    if spec.type == "boolean":
        return StrictBool
    if spec.type == "url":
        return Annotated[
            str, StringConstraints(max_length=spec.max_length or MAX_URL), AfterValidator(_http_url)
        ]
    if spec.type == "locale":
        # Stored in its conventional case ("de-at" is kept as "de-AT").
        return Annotated[
            str, StringConstraints(max_length=spec.max_length or MAX_LOCALE), AfterValidator(language_tag)
        ]
    return Annotated[str, StringConstraints(max_length=spec.max_length)]


def all_fields(settings: Settings) -> dict[str, FieldSpec]:
    return {**BUILTIN, **settings.fields}


def update_model(settings: Settings) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (_annotation(spec) | None, None) for name, spec in all_fields(settings).items()
    }
    return create_model("ProfileUpdate", __config__=ConfigDict(extra="forbid"), **fields)  # type: ignore[call-overload]


#: The JSON type of each field type in an answer (stored values are already valid).
_ANSWER_TYPES: dict[str, Any] = {"integer": int, "boolean": bool}


def answer_model(settings: Settings) -> type[BaseModel]:
    """The answer of ``/api/user/profile``: the identity's account fields (``id`` and ``username``
    at least) and every declared field, ``null`` when unset."""
    fields: dict[str, Any] = {
        name: (_ANSWER_TYPES.get(spec.type, str) | None, ...) for name, spec in all_fields(settings).items()
    }
    account: dict[str, Any] = {
        "email": (str | None, None),
        "email_verified": (bool | None, None),
        "roles": (list[str] | None, None),
        "created_at": (str | None, None),
    }
    return create_model("Profile", id=(int, ...), username=(str, ...), **account, **fields)  # type: ignore[call-overload]
