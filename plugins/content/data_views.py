"""``/api/user/data``: the current user's JSON values, with ETags."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from core import ApiError, Body, current_identity, endpoint, to_response
from plugins.content import data

bp = Blueprint("content_data", __name__, url_prefix="/api/user/data")
#: The key path parameter, as OpenAPI shows it.
KEY_SCHEMA = {"key": {"pattern": f"^{data.KEY.pattern}$", "minLength": 1, "maxLength": 128}}


class Value(Body):
    value: Any


def _with_etag(body: dict[str, Any], etag: str, status: int = 200) -> Response:
    response = to_response(body, status)
    response.headers["ETag"] = data.quoted(etag)
    return response


@bp.get("")
@endpoint(auth=True)
def list_items():
    """Everything the user stored, as ``{"items": {key: value}}``."""
    return {"items": data.all_of(current_identity().id)}


@bp.get("/<key>")
@endpoint(
    auth=True,
    path_schemas=KEY_SCHEMA,
    responses={304: "not modified (If-None-Match)", 404: "no such key", 422: "invalid key"},
)
def get_item(key: str):
    """One value, with its ETag (304 when ``If-None-Match`` still matches)."""
    data.check_key(key)
    row = data.get(current_identity().id, key)
    if row is None:
        raise ApiError(404, "not_found", "no such key")
    if request.if_none_match.contains(row["etag"]):
        response = Response(status=304)
        response.headers["ETag"] = data.quoted(row["etag"])
        return response
    return _with_etag(data.public(row), row["etag"])


@bp.put("/<key>")
@endpoint(
    body=Value,
    auth=True,
    path_schemas=KEY_SCHEMA,
    responses={
        201: "created",
        412: "precondition_failed",
        413: "value or key quota too large",
        422: "invalid key or body",
    },
)
def put_item(key: str, body: Value):
    """Store a value: 201 when new, 200 when replaced; honours If-Match and If-None-Match: *."""
    data.check_key(key)
    created, row = data.put(current_identity().id, key, body.value, request.if_match, request.if_none_match)
    return _with_etag(data.public(row), row["etag"], 201 if created else 200)


@bp.delete("/<key>")
@endpoint(
    auth=True,
    status=204,
    path_schemas=KEY_SCHEMA,
    responses={404: "no such key", 412: "precondition_failed", 422: "invalid key"},
)
def delete_item(key: str):
    """Delete a value (honours If-Match)."""
    data.check_key(key)
    data.remove(current_identity().id, key, request.if_match)
    return None
