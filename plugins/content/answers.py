"""The shapes of content's JSON answers, as /api/openapi.json documents them (docs/api.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Item(BaseModel):
    """One stored value; its version travels in the ``ETag`` header."""

    key: str
    value: Any
    updated_at: str


class Items(BaseModel):
    """Everything the user stored, key → value."""

    items: dict[str, Any]
