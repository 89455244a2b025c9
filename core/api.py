"""Endpoint declaration: one decorator states a view's body, query, auth and rate limits.

The same declaration validates requests (pydantic v2; a 422 lists every bad field) and
generates ``/api/openapi.json``, so the documentation cannot drift from what is enforced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel, ConfigDict, ValidationError

from core import json_input
from core.errors import ApiError
from core.identity import check_roles, require_identity
from core.ratelimit import check_rate_limit, client_ip_key

F = TypeVar("F", bound=Callable[..., Any])
#: Attribute under which a view carries its declaration (read by the OpenAPI generator).
SPEC_ATTRIBUTE = "annex_endpoint"


#: A request model, or a zero-argument callable that returns one.
ModelSource = type[BaseModel] | Callable[[], type[BaseModel]]


class Body(BaseModel):
    """Base for request models: unknown fields are a 422 naming them (no mass assignment)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RateLimit:
    """A per-endpoint limit. ``limit`` is ``"5/minute"`` or a callable returning one (read from
    settings at request time); ``key`` maps the parsed JSON body (a dict, or None) to the
    identifiers counted together, by default the client (``client_ip_key()``: an IPv6 client
    is its /64). Counters are exact across workers and instances (see ``core.ratelimit``)."""

    name: str
    limit: str | Callable[[], str]
    key: Callable[[Mapping[str, Any] | None], tuple[str, ...]] | None = None
    #: Refuse requests (503) while the counters' storage is down (see rate_limits.on_storage_error).
    fail_closed: bool = False

    def check(self, data: Mapping[str, Any] | None) -> None:
        limit = self.limit() if callable(self.limit) else self.limit
        key = self.key(data) if self.key is not None else (client_ip_key(),)
        check_rate_limit(self.name, limit, *key, fail_closed=self.fail_closed)


@dataclass(frozen=True)
class EndpointSpec:
    body: ModelSource | None
    query: type[BaseModel] | None
    response: ModelSource | None
    status: int
    auth: bool
    roles: tuple[str, ...]
    rate_limits: tuple[RateLimit, ...]
    body_optional: bool
    summary: str | None
    description: str | None
    responses: Mapping[int, str]
    path_schemas: Mapping[str, Mapping[str, Any]]
    request_headers: Mapping[str, str]
    response_headers: Mapping[str, str]
    media_type: str
    public: bool = False


def endpoint(
    *,
    body: ModelSource | None = None,
    query: type[BaseModel] | None = None,
    response: ModelSource | None = None,
    status: int = 200,
    auth: bool = False,
    roles: tuple[str, ...] | list[str] = (),
    rate_limits: tuple[RateLimit, ...] | list[RateLimit] = (),
    body_optional: bool = False,
    summary: str | None = None,
    responses: Mapping[int, str] | None = None,
    path_schemas: Mapping[str, Mapping[str, Any]] | None = None,
    request_headers: Mapping[str, str] | None = None,
    response_headers: Mapping[str, str] | None = None,
    media_type: str = "application/json",
    public: bool = False,
) -> Callable[[F], F]:
    """Declare a JSON endpoint. Put it under Flask's route decorator::

        @bp.post("/items")
        @endpoint(body=NewItem, status=201, auth=True)
        def create_item(body: NewItem): ...

    The view receives ``body=`` / ``query=`` as validated models and returns a dict, a list, a
    pydantic model, ``(data, status)``, ``(data, status, headers)``, a ``Response``, or None
    for ``204``. ``auth`` requires an identity (401), ``roles`` also these roles (403).
    ``body_optional`` lets an empty body through as ``{}``. ``body`` may also be a callable
    returning the model, for bodies shaped by configuration (called in the request context);
    so may ``response``.
    ``responses`` documents the other statuses the view answers (``{409: "name taken"}``) and
    ``path_schemas`` the JSON schema of path parameters (``{"key": {"pattern": …}}``),
    ``request_headers`` / ``response_headers`` the headers the view reads or sets
    (``{"ETag": "the value's version"}``), ``media_type`` a success that is not JSON (a file:
    ``"*/*"``); these only shape /api/openapi.json. ``response`` is the model of every 2xx answer
    with a body. ``public`` says that a write route acts for anonymous callers on purpose (a
    sign-in ceremony's challenge), so that ``core.testing.check_plugin`` accepts its ``2xx``.
    """

    def decorator(view: F) -> F:
        doc = (view.__doc__ or "").strip()
        spec = EndpointSpec(
            body=body,
            query=query,
            response=response,
            status=status,
            auth=auth or bool(roles),
            roles=tuple(roles),
            rate_limits=tuple(rate_limits),
            body_optional=body_optional,
            summary=summary or (doc.splitlines()[0] if doc else None),
            description=doc or None,
            responses=dict(responses or {}),
            path_schemas=dict(path_schemas or {}),
            request_headers=dict(request_headers or {}),
            response_headers=dict(response_headers or {}),
            media_type=media_type,
            public=public,
        )

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            if spec.auth:
                identity = require_identity()
                if spec.roles:
                    check_roles(identity, spec.roles)
            data = read_json_object(spec.body_optional) if spec.body is not None else None
            for limit in spec.rate_limits:
                limit.check(data)
            if spec.body is not None:
                kwargs["body"] = validate(resolve_model(spec.body), data)
            if spec.query is not None:
                kwargs["query"] = validate(spec.query, read_query())
            return to_response(view(*args, **kwargs), spec.status)

        setattr(wrapper, SPEC_ATTRIBUTE, spec)
        return wrapper  # type: ignore[return-value]

    return decorator


def read_json_object(optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object: 415 if not JSON, 400 if malformed or not an object."""
    data = _read_body()
    has_type = bool(request.headers.get("Content-Type"))
    if not data and not has_type and optional:
        return {}
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send Content-Type: application/json")
    if not data:
        if optional:
            return {}
        raise ApiError(400, "invalid_json", "body is empty; send a JSON object")
    value = json_input.loads(data)
    if not isinstance(value, dict):
        raise ApiError(400, "invalid_json", "body must be a JSON object")
    return value


def _read_body() -> bytes:
    """The request body; 413 when a body without Content-Length (chunked) runs past the limit.

    werkzeug silently cuts such a body at ``MAX_CONTENT_LENGTH``: one more byte from the
    server's stream tells "exactly at the limit" from "over it".
    """
    data = request.get_data(cache=True)
    limit = request.max_content_length
    cut = request.content_length is None and limit is not None and len(data) >= limit
    if cut and request.environ["wsgi.input"].read(1):
        raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
    return data


def resolve_model(source: ModelSource) -> type[BaseModel]:
    """A model class, or one built from configuration by a zero-argument callable."""
    return source if isinstance(source, type) else source()


def read_query() -> dict[str, str]:
    """The query string as a dict, refusing what the JSON reader refuses (NUL, lone surrogates)."""
    args = request.args.to_dict()
    for key, value in args.items():
        json_input.check_string(key)
        json_input.check_string(value)
    return args


def validate(model: type[BaseModel], data: Any) -> Any:
    """Validate ``data``; a 422 ``validation_error`` names every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: ValidationError) -> ApiError:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, _field_message(error))
    return ApiError(422, "validation_error", "some fields are invalid", fields=fields)


def field_error(field: str, message: str) -> ApiError:
    """A 422 for one field found bad by the view itself (e.g. a common password)."""
    return ApiError(422, "validation_error", "some fields are invalid", fields={field: message})


def _field_message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "field required"
    message = str(error["msg"])
    # Errors raised by our own validators read "Value error, <ours>": keep ours.
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def to_response(result: Any, status: int = 200) -> Response:
    """Turn what a view returned into a JSON response."""
    if isinstance(result, Response):
        return result
    headers: Mapping[str, str] = {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    if result is None:
        response = Response(status=204 if status == 200 else status)
    else:
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        response = jsonify(result)
        if status != 200:  # the status setter re-derives the reason phrase: skip the common case
            response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    return response
