"""OpenAPI 3.1 generated from the routes' ``endpoint`` declarations."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.api import SPEC_ATTRIBUTE, EndpointSpec, resolve_model
from core.converters import MAX_PATH_INT
from core.security import UNSAFE_METHODS
from core.state import app_state

#: werkzeug converter → OpenAPI schema of the path parameter.
CONVERTER_SCHEMAS = {
    "int": {"type": "integer", "minimum": 0, "maximum": MAX_PATH_INT},
    "float": {"type": "number"},
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}
#: How an authenticated operation takes credentials unless a plugin adds another way.
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
_STRING = {"type": "string"}
_PARAM = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")


def add_security_scheme(app: Flask, name: str, scheme: dict[str, Any]) -> None:
    """Document one more way to send credentials (an OpenAPI security scheme, e.g. a cookie):
    every authenticated operation lists it as an alternative to ``bearer``. Call it while the
    app is built (the ``startup`` hook, a blueprint's ``record_once``)."""
    app_state(app).security_schemes[name] = dict(scheme)


def generate(app: Flask, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI document of every route under /api and every declared endpoint."""
    state = app_state(app)
    specs = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        spec: EndpointSpec | None = getattr(view, SPEC_ATTRIBUTE, None)
        if spec is None and not rule.rule.startswith("/api"):
            continue
        specs.append((rule, view, spec))
    models = _models(spec for _, _, spec in specs if spec is not None)
    schemas: dict[str, Any] = {}
    refs: dict[type[BaseModel], dict[str, Any]] = {}
    if models:
        keyed, defs = models_json_schema(
            [(model, "validation") for model in models], ref_template="#/components/schemas/{model}"
        )
        schemas.update(defs.get("$defs", {}))
        refs = {model: keyed[(model, "validation")] for model in models}
    schemas["Error"] = ERROR_SCHEMA
    security = {"bearer": BEARER, **state.security_schemes}
    paths: dict[str, Any] = {}
    rules_of = Counter(rule.endpoint for rule, _, _ in specs)
    for rule, view, spec in sorted(specs, key=lambda item: item[0].rule):
        path, parameters = _path(rule)
        name = rule.endpoint
        if rules_of[name] > 1 and parameters:  # one view on several URLs: each its own operationId
            name += "_by_" + "_".join(p["name"] for p in parameters)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = _operation(spec, view, refs, list(security))
            operation["operationId"] = f"{name}.{method.lower()}"
            operation["tags"] = [state.plugin_of_blueprint.get(rule.endpoint.split(".")[0], "core")]
            if method in UNSAFE_METHODS:
                # The Origin check refuses cross-site unsafe requests on every route.
                operation["responses"].setdefault(
                    "403", _error("cross-site request (csrf_failed) or not allowed")
                )
            if parameters:
                schemas_of = spec.path_schemas if spec is not None else {}
                own = [{**p, "schema": {**p["schema"], **schemas_of.get(p["name"], {})}} for p in parameters]
                operation["parameters"] = own + operation.get("parameters", [])
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": security,
        },
    }


def _models(specs: Any) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    for spec in specs:
        for source in (spec.body, spec.query, spec.response):
            model = resolve_model(source) if source is not None else None
            if model is not None and model not in seen:
                seen.append(model)
    return seen


def _path(rule: Any) -> tuple[str, list[dict[str, Any]]]:
    parameters = []

    def replace(match: re.Match[str]) -> str:
        schema = CONVERTER_SCHEMAS.get(match["converter"] or "", {"type": "string"})
        parameters.append({"name": match["name"], "in": "path", "required": True, "schema": schema})
        return "{" + match["name"] + "}"

    return _PARAM.sub(replace, rule.rule), parameters


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(
    spec: EndpointSpec | None, view: Any, refs: dict[type[BaseModel], Any], schemes: list[str]
) -> dict[str, Any]:
    if spec is None:
        doc = (getattr(view, "__doc__", None) or "").strip()
        operation: dict[str, Any] = {"responses": {"200": {"description": "OK"}}}
        if doc:
            operation["summary"] = doc.splitlines()[0]
        return operation
    responses: dict[str, Any] = {}
    operation = {"responses": responses}
    if spec.summary:
        operation["summary"] = spec.summary
    if spec.description and spec.description != spec.summary:
        operation["description"] = spec.description
    if spec.body is not None:
        operation["requestBody"] = {
            "required": not spec.body_optional,
            "content": {"application/json": {"schema": refs[resolve_model(spec.body)]}},
        }
        responses["400"] = _error("malformed JSON")
        responses["413"] = _error("body too large")
        responses["415"] = _error("body is not application/json")
    if spec.body is not None or spec.query is not None:
        responses["422"] = _error("invalid fields, listed in error.fields")
    if spec.query is not None:
        operation["parameters"] = _query_parameters(spec.query)
        # The query string goes through the JSON reader's string rules (core.api.read_query).
        bad_query = "a query string with NUL characters or lone surrogates"
        responses["400"] = _error(f"malformed JSON, or {bad_query}" if spec.body is not None else bad_query)
    if spec.request_headers:
        operation.setdefault("parameters", []).extend(
            {"name": name, "in": "header", "required": False, "description": text, "schema": _STRING}
            for name, text in spec.request_headers.items()
        )
    if spec.auth:
        operation["security"] = [{name: []} for name in schemes]
        responses["401"] = _error("not authenticated")
        if spec.roles:
            responses["403"] = _error(f"requires roles {', '.join(spec.roles)}")
    if spec.rate_limits:
        responses["429"] = _error("rate limited; see Retry-After")
    for status, description in {spec.status: "success", **spec.responses}.items():
        if status >= 400:
            responses[str(status)] = _error(description)
        else:
            responses[str(status)] = _success(spec, status, description, refs)
    return operation


def _success(spec: EndpointSpec, status: int, description: str, refs: dict[Any, Any]) -> dict[str, Any]:
    """A 2xx or 3xx answer: the response model's body on a 2xx with one, and the declared headers."""
    answer: dict[str, Any] = {"description": description}
    if 200 <= status < 300 and status != 204:
        if spec.response is not None:
            answer["content"] = {spec.media_type: {"schema": refs[resolve_model(spec.response)]}}
        elif spec.media_type != "application/json":
            answer["content"] = {spec.media_type: {"schema": {"type": "string", "format": "binary"}}}
    if spec.response_headers and (200 <= status < 300 or status == 304):
        answer["headers"] = {
            name: {"description": text, "schema": _STRING} for name, text in spec.response_headers.items()
        }
    return answer


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]
