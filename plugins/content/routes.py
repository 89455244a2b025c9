"""The content plugin's routes: ``/api/user/data`` (the current user's JSON values, with ETags)
and the members-only files under ``url_prefix`` (default ``/members``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, request, send_file

from core import (
    ApiError,
    Body,
    Identity,
    current_identity,
    endpoint,
    permission_allowed,
    to_response,
    unauthorized,
)
from plugins.content import data, files
from plugins.content.answers import Item, Items
from plugins.content.settings import settings

data_bp = Blueprint("content_data", __name__, url_prefix="/api/user/data")
#: The key path parameter, as OpenAPI shows it.
KEY_SCHEMA = {"key": {"pattern": f"^{data.KEY.pattern}$", "minLength": 1, "maxLength": 128}}
#: The version headers of a value (docs/api.md, User data).
ETAG = {"ETag": "the version of the value, for If-Match / If-None-Match"}
IF_MATCH = {"If-Match": "write only over this ETag (412 otherwise)"}
IF_NONE_MATCH = {"If-None-Match": "an ETag the client holds (304 when still current)"}


class Value(Body):
    value: Any


def _with_etag(body: dict[str, Any], etag: str, status: int = 200) -> Response:
    response = to_response(body, status)
    response.headers["ETag"] = data.quoted(etag)
    return response


@data_bp.get("")
@endpoint(auth=True, response=Items)
def list_items():
    """Everything the user stored, as ``{"items": {key: value}}``."""
    return {"items": data.all_of(current_identity().id)}


@data_bp.get("/<key>")
@endpoint(
    auth=True,
    path_schemas=KEY_SCHEMA,
    response=Item,
    request_headers=IF_NONE_MATCH,
    response_headers=ETAG,
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


@data_bp.put("/<key>")
@endpoint(
    body=Value,
    auth=True,
    path_schemas=KEY_SCHEMA,
    response=Item,
    request_headers={**IF_MATCH, "If-None-Match": "`*`: create only (412 when the key exists)"},
    response_headers=ETAG,
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


@data_bp.delete("/<key>")
@endpoint(
    auth=True,
    status=204,
    path_schemas=KEY_SCHEMA,
    request_headers=IF_MATCH,
    responses={404: "no such key", 412: "precondition_failed", 422: "invalid key"},
)
def delete_item(key: str):
    """Delete a value (honours If-Match)."""
    data.check_key(key)
    data.remove(current_identity().id, key, request.if_match)
    return None


def files_blueprint(url_prefix: str) -> Blueprint:
    """The members-only files, under a prefix that is a setting: one blueprint per app."""
    bp = Blueprint("content_files", __name__, url_prefix=url_prefix)
    bp.add_url_rule("/", "serve", serve, defaults={"path": ""})
    bp.add_url_rule("/<path:path>", "serve", serve)
    return bp


def _visitor() -> tuple[Identity | None, ApiError | None]:
    """The identity, or None and the 401 to give a client that is not a browser page: plain
    ``unauthorized`` without credentials, the token's own error (``token_expired``, …) with bad
    ones. A page is sent to the login form either way."""
    try:
        identity = current_identity()
    except ApiError as error:
        if error.status == 401:
            return None, error
        raise
    return identity, (None if identity is not None else unauthorized())


@endpoint(
    media_type="*/*",
    request_headers=IF_NONE_MATCH,
    response_headers=ETAG,
    responses={
        302: "a page request (Accept: text/html) without a valid session: to the login form with ?next=",
        304: "not modified since the ETag or Last-Modified the client holds",
        308: "a directory named without its trailing slash: to the slash form",
        401: "no valid session (token_expired, token_revoked, … for a bad token)",
        403: "the account lacks a role this file requires",
        404: "no such file inside the root",
    },
)
def serve(path: str) -> Response:
    """A members-only file (a directory's index.html) from the protected root."""
    s = settings()
    identity, refusal = _visitor()
    if refusal is not None:
        if "text/html" in request.headers.get("Accept", ""):
            query = urlencode({"next": request.full_path.rstrip("?")})
            return redirect(f"{s.login_url}?{query}", code=302)
        raise refusal
    root = Path(s.root)
    found = files.resolve(root, path)
    if found is None:
        raise ApiError(404, "not_found", "no such page")
    target, directory = found
    if directory and path and not path.endswith("/"):
        return redirect(f"{request.script_root}{s.url_prefix}/{quote(path)}/", code=308)
    resource = target.relative_to(root.resolve()).as_posix()
    if permission_allowed(identity, files.READ, resource) is False:
        raise ApiError(403, "forbidden", "your account does not have access to this page")
    if s.accel_redirect_prefix:
        response = Response(status=200)
        response.headers["X-Accel-Redirect"] = s.accel_redirect_prefix + quote(resource)
        # nginx fills in the type; an empty Content-Type tells it nothing wrong meanwhile.
        del response.headers["Content-Type"]
    else:
        response = send_file(target, conditional=True, etag=True, last_modified=target.stat().st_mtime)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
