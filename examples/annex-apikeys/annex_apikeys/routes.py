"""``/api/apikeys``: create, list and delete the current user's API keys."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint
from pydantic import Field, StringConstraints

from annex_apikeys import keys
from annex_apikeys.settings import settings
from core import ApiError, Body, current_identity, endpoint

bp = Blueprint("apikeys", __name__, url_prefix="/api/apikeys")


class NewKey(Body):
    #: What the key is for, shown in the list ("backup script").
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    #: Days until the key stops working; omitted or null: it works until deleted.
    expires_in_days: int | None = Field(None, ge=1, le=3650, strict=True)


@bp.post("")
@endpoint(body=NewKey, status=201, auth=True)
def create_key(body: NewKey):
    """Create an API key; the response holds the key, shown this once and never again."""
    identity = current_identity()
    if identity.transport == keys.TRANSPORT:
        # A leaked key must not be able to mint keys that outlive its own revocation.
        raise ApiError(403, "forbidden", "an API key cannot create API keys; log in to create one")
    most = settings().max_keys_per_user
    row, key = keys.create(identity, body.name, body.expires_in_days, most)
    shown = keys.public(row)
    return {
        "id": shown["id"],
        "name": shown["name"],
        "key": key,
        "prefix": shown["prefix"],
        "created_at": shown["created_at"],
        "expires_at": shown["expires_at"],
    }


@bp.get("")
@endpoint(auth=True)
def list_keys():
    """The current user's API keys (names and prefixes, never the keys)."""
    return {"keys": [keys.public(row) for row in keys.of_user(current_identity().id)]}


@bp.delete("/<int:key_id>")
@endpoint(auth=True)
def delete_key(key_id: int):
    """Delete one of the current user's API keys: it stops working at once."""
    if not keys.remove(current_identity().id, key_id):
        raise ApiError(404, "not_found", "no such API key")
    return None
