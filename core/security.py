"""Transport security: proxy trust, HTTPS, body limit, Origin check, CORS, response headers."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from flask import Flask, Response, redirect, request
from flask_cors import CORS
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Settings
from core.errors import ApiError
from core.origins import allowed_origin, exact_pattern, origin_of
from core.socket_scheme import socket_scheme

log = logging.getLogger("annex")

#: Methods that change state: subject to the Origin check (and an identity plugin's CSRF check).
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: CSP of JSON responses: nothing may load, nothing may frame them.
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
#: Headers every response carries, whatever it is.
FIXED_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
)
#: The same, for an answer that chose its own Referrer-Policy.
FIXED_HEADERS_BUT_REFERRER = tuple(h for h in FIXED_HEADERS if h[0] != "Referrer-Policy")
#: HSTS sent on responses to requests that arrived over HTTPS.
HSTS = "max-age=31536000; includeSubDomains"
#: How much of a refused Origin header the answer and the log repeat.
ORIGIN_SHOWN = 100
#: Headers a cross-origin frontend may send / read.
CORS_ALLOW_HEADERS = ["Content-Type", "Authorization", "X-CSRF-Token", "If-Match", "If-None-Match"]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]
CORS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def init_app(app: Flask, settings: Settings) -> None:
    security = settings.security
    if security.trusted_proxies:
        hops = security.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    # Outermost: the server's own reading of X-Forwarded-Proto is undone before ProxyFix runs.
    app.wsgi_app = socket_scheme(app.wsgi_app)
    app.config["MAX_CONTENT_LENGTH"] = security.max_body_bytes
    cors_origins = [allowed_origin(o) for o in security.cors_origins]
    allowed_origins = {origin_of(settings.site.url), *cors_origins}
    if cors_origins:
        CORS(
            app,
            # Compiled exact patterns: flask-cors reads a string with regex characters (an IPv6
            # origin's brackets, its dots) as a regex matched at the start only.
            origins=[exact_pattern(origin) for origin in cors_origins],
            supports_credentials=True,
            allow_headers=CORS_ALLOW_HEADERS,
            expose_headers=CORS_EXPOSE_HEADERS,
            methods=CORS_METHODS,
            max_age=600,
            # flask-cors would otherwise answer a request without Origin (curl, same-origin
            # GET) with the first configured origin: CORS headers belong to the origins asking.
            always_send=False,
            vary_header=False,  # _security_headers sends Vary: Origin on every answer instead
        )
    site_host = urlsplit(settings.site.url).netloc

    @app.before_request
    def _transport_checks() -> Response | None:
        if security.force_https and not request.is_secure:
            if request.path.startswith("/api") or request.method not in ("GET", "HEAD"):
                raise ApiError(403, "https_required", "use https")
            return redirect(_https_url(site_host), code=308)
        # Read from the WSGI environ: werkzeug's header lookups raise and catch for absent ones.
        environ = request.environ
        length = environ.get("CONTENT_LENGTH")
        if length and length.isdigit() and int(length) > security.max_body_bytes:
            raise ApiError(413, "payload_too_large", f"body larger than {security.max_body_bytes} bytes")
        if request.method in UNSAFE_METHODS:
            origin = environ.get("HTTP_ORIGIN")
            if origin is not None and not _is_allowed(origin, allowed_origins):
                refused = _refusal(origin)
                log.warning("%s (%s %r)", refused, request.method, request.path)
                raise ApiError(403, "csrf_failed", refused)
        return None

    non_json_csp = security.content_security_policy
    vary_on_origin = bool(security.cors_origins)
    site_origin = origin_of(settings.site.url)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        if 300 <= response.status_code < 400:
            _pin_location(response, site_origin)
        # One pass over what the view set (werkzeug's lookups raise and catch a
        # BadRequestKeyError per absent header, which costs more than this whole hook).
        content_type = csp = cache_control = referrer_policy = None
        vary = ""
        for key, value in headers:
            name = key.lower()
            if name == "content-type":
                content_type = value
            elif name == "content-security-policy":
                csp = value
            elif name == "cache-control":
                cache_control = value
            elif name == "vary":
                vary += value.lower()
            elif name == "referrer-policy":
                referrer_policy = value
        # Set by nobody else (appending is enough), except a stricter Referrer-Policy a page asks
        # for (core/static.py: a page opened from a mailed link sends no Referer).
        added = list(FIXED_HEADERS if referrer_policy is None else FIXED_HEADERS_BUT_REFERRER)
        if vary_on_origin and "origin" not in vary:
            # With CORS, answers differ by Origin even where they carry no CORS headers.
            added.append(("Vary", "Origin"))
        policy = JSON_CSP if _is_json(content_type) else non_json_csp
        if csp is None:
            added.append(("Content-Security-Policy", policy))
        # The environ, not request.path / is_secure: those parse more than these checks need.
        current = request._get_current_object()
        environ = current.environ
        if environ["wsgi.url_scheme"] in ("https", "wss"):
            added.append(("Strict-Transport-Security", HSTS))
        path = "/" + environ.get("PATH_INFO", "").lstrip("/")
        # API answers are per-user or volatile: never cached unless a view says otherwise.
        identified = getattr(current, "_annex_identity", None) is not None
        if cache_control is None and (path.startswith("/api") or identified):
            added.append(("Cache-Control", "no-store"))
        headers.extend(added)
        if csp is not None:
            headers["Content-Security-Policy"] = policy  # ours, whatever the view said
        return response


def _is_json(content_type: str | None) -> bool:
    """``Response.is_json`` from the raw header: parsing the mimetype costs more than the check."""
    mimetype = (content_type or "").partition(";")[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _is_allowed(origin: str, allowed: set[str]) -> bool:
    """Whether a request's ``Origin`` is one of ``allowed``; an unparsable one never is."""
    try:
        return origin_of(origin) in allowed
    except ValueError:
        return False


def _refusal(origin: str) -> str:
    """Why a request from ``origin`` was refused, and the setting that would allow it: what the
    answer and the log say, so whoever meets it knows the way out (the header is quoted with
    ``repr`` and cut short: it is the sender's text)."""
    shown = repr(origin[:ORIGIN_SHOWN])
    try:
        allowed_origin(origin)
    except ValueError:
        return f"cross-site request refused: Origin {shown} is not an http(s) origin; no setting allows it"
    return (
        f"cross-site request refused: Origin {shown} is neither site.url nor listed in "
        "security.cors_origins; add it to security.cors_origins to allow it"
    )


def _https_url(host: str) -> str:
    """The request's URL on ``https://host``. The path is re-encoded: decoded, it may hold a
    ``?``, ``%`` or line break that must stay part of the path (or would make a 500)."""
    path = quote(request.path, safe="/!$&'()*+,;=:@~")
    query = quote(request.query_string, safe="!$&'()*+,/:;=?@%~")
    return f"https://{host}{path}" + (f"?{query}" if query else "")


def _pin_location(response: Response, site_origin: str) -> None:
    """Point a redirect that werkzeug built from the request's ``Host`` (merged slashes,
    ``url_for(_external=True)``) at ``site.url`` instead: a forged Host must not steer clients."""
    location = response.headers.get("Location")
    if location and location.startswith(request.host_url):
        response.headers["Location"] = f"{site_origin}/{location[len(request.host_url) :]}"
