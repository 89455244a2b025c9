"""The one JSON error shape, and the handlers that turn every failure into it.

A person's browser on a page outside ``/api`` gets a 403, 404 or 500 as an HTML page instead
(``core/error_pages.py``); API clients keep the JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from core import error_pages
from core.state import app_state

log = logging.getLogger("annex")

#: Code sent for each HTTP status raised by Flask/werkzeug itself.
HTTP_CODES = {
    400: "invalid_json",  # the API reads only JSON: a bare 400 is a body werkzeug could not parse
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}
#: What a 500 says: details go to the log only.
INTERNAL_MESSAGE = "internal server error"


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message", "fields"?}}`` with ``status``.

    Raise it anywhere in a request; ``headers`` are added to the response. A 401 carries
    ``challenge`` as its ``WWW-Authenticate`` (an identity plugin states its own scheme), or else
    core's generic Bearer challenge (see ``bearer_challenge``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        challenge: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = dict(headers or {})
        self.challenge = challenge

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        return {"error": body}


def unauthorized(code: str = "unauthorized", message: str = "authentication required") -> ApiError:
    """A 401; the response gets the RFC 6750 challenge (see ``bearer_challenge``)."""
    return ApiError(401, code, message)


def unavailable(message: str, retry_after: int = 5) -> ApiError:
    """A 503 the client may retry after ``retry_after`` seconds (a store or a mail server that
    cannot be reached right now): the contract's 503 always carries ``Retry-After``."""
    return ApiError(503, "unavailable", message, headers={"Retry-After": str(retry_after)})


def bearer_challenge(error: ApiError) -> str:
    """``WWW-Authenticate`` for a 401 that brought no challenge of its own: ``error="invalid_token"``
    when a token was presented and rejected (or the refusal is about a token, such as an
    expired one); a plain ``unauthorized`` without credentials only names the scheme."""
    challenge = 'Bearer realm="annex"'
    if error.code != "unauthorized" or request.headers.get("Authorization"):
        challenge += f', error="invalid_token", error_description="{error.message}"'
    return challenge


def error_response(error: ApiError) -> Response:
    response = jsonify(error.to_dict())
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    if error.status == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = error.challenge or bearer_challenge(error)
    return response


def _answer(error: ApiError) -> Response:
    """``error`` as the current request should see it: the JSON error, or for a browser asking
    for a page outside ``/api``, the HTML page of its status (same status, same extra headers).
    Either answer to a 403, 404 or 500 there depends on ``Accept``, and says so (``Vary``)."""
    if not error_pages.applies(error.status):
        return error_response(error)
    response = None
    if error_pages.wanted():
        try:
            response = error_pages.page(error.status)
        except Exception:  # an unreadable page must not hide the error itself: JSON, then
            log.exception("error page %s could not be read", error.status)
    if response is None:
        response = error_response(error)
    else:
        for name, value in error.headers.items():
            response.headers[name] = value
    response.vary.add("Accept")
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _answer)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unhandled)


def _database_unavailable(exc: OperationalError) -> Response:
    """The database could not be reached or was busy past its timeout (a restart, a failover,
    a long lock): a 503 the client may retry, not a 500. The next request reconnects (pre-ping)."""
    log.error("database unavailable on %s %s: %s", request.method, request.path, exc.orig or exc)
    app_state().writes.failed_with(exc)  # a full disk: health is 503 for now
    return error_response(unavailable("the database is unavailable; retry shortly", retry_after=2))


def _http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        return _unhandled(exc)
    serve = app_state().static_fallback
    if status == 404 and serve is not None and (served := serve()) is not None:
        return served
    error = ApiError(status, HTTP_CODES.get(status, "error"), _message(exc))
    response = _answer(error)
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _message(exc: HTTPException) -> str:
    return (exc.description or exc.name or "error").split("\n")[0]


def _unhandled(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return _answer(ApiError(500, "internal_error", INTERNAL_MESSAGE))
