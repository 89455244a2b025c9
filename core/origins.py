"""Web origins (``scheme://host[:port]``), normalised so that two spellings of one origin compare
equal and nothing else does: the allowed CORS origins and the Origin check compare these.

A configured origin is an exact origin, never a pattern: flask-cors treats a string holding
regular-expression characters (``*``, ``[``, ``.``…) as a regex matched at the start only, which
once let ``https://example.com.attacker.net`` through for ``https://[::1]`` or ``*`` entries.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: The default port of each scheme an allowed origin may have; it is dropped from the origin.
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL: scheme and host lower-cased, an international host in
    IDNA (as browsers send it), IPv6 hosts in brackets, default ports dropped.

    Raises ``ValueError`` for a port that is not a number or a host IDNA cannot encode.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _ascii_host(parts.hostname or "")  # hostname: lower-cased, brackets removed
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def allowed_origin(entry: str) -> str:
    """A configured origin (``security.cors_origins``) normalised, or ``ValueError`` saying why it
    is not an exact ``http(s)://host[:port]`` origin (a wildcard, a path, ``null``…)."""
    if "*" in entry:
        raise ValueError(f"{entry!r}: wildcards are not allowed; list each origin exactly")
    try:
        parts = urlsplit(entry.strip())
        origin = origin_of(entry)
    except ValueError as exc:
        raise ValueError(f"{entry!r} is not an origin ({exc})") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{entry!r} is not an origin: write scheme://host[:port] with http or https")
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{entry!r} is not an origin: no user, path, query or fragment")
    return origin


def exact_pattern(origin: str) -> re.Pattern[str]:
    """A pattern that matches exactly ``origin`` (case-insensitively): what flask-cors gets, so
    it never reads an origin as a regular expression or matches only its start."""
    return re.compile(re.escape(origin) + r"\Z", re.IGNORECASE)


def _ascii_host(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"host {host!r} cannot be encoded with IDNA") from exc
