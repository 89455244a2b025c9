"""Members-only files: served to logged-in users from ``root``, under role rules.

Paths are resolved and then checked against the real root, so ``..``, encoded dots, absolute
paths, backslashes, NUL and symlinks that lead out all end in the same 404.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, request, send_file

from core import (
    ApiError,
    Identity,
    current_identity,
    endpoint,
    permission_allowed,
    plugin_settings,
    unauthorized,
)

#: Action name asked of ``permission_allowed`` for a file read.
READ = "content.read"


def blueprint(url_prefix: str) -> Blueprint:
    bp = Blueprint("content_files", __name__, url_prefix=url_prefix)
    bp.add_url_rule("/", "serve", serve, defaults={"path": ""})
    bp.add_url_rule("/<path:path>", "serve", serve)
    return bp


def resolve(root: Path, path: str) -> tuple[Path, bool] | None:
    """The file ``path`` names inside ``root`` and whether ``path`` named a directory (its
    index.html), or None for anything else: outside the root, missing, unreadable names."""
    if "\\" in path or "\x00" in path or path.startswith("/"):
        return None
    if any(part in ("..", ".") for part in path.split("/")):
        return None
    try:
        real_root = root.resolve()
        target = (real_root / path).resolve()
        if not target.is_relative_to(real_root):
            return None
        directory = target.is_dir()
        if directory:
            target = (target / "index.html").resolve()
            if not target.is_relative_to(real_root):
                return None
        return (target, directory) if target.is_file() else None
    except (OSError, RuntimeError, ValueError):  # too long, a symlink loop, …
        return None


def rule_opinion(identity: Identity | None, resource: str) -> bool | None:
    """The configured rules' answer for a file: every matching rule's roles are required."""
    matching = [
        rule for rule in plugin_settings("content").rules if fnmatch.fnmatchcase(resource, rule.pattern)
    ]
    if not matching:
        return None
    return identity is not None and all(identity.has_roles(*rule.roles) for rule in matching)


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
    responses={
        302: "a page request (Accept: text/html) without a valid session: to the login form with ?next=",
        304: "not modified since the ETag or Last-Modified the client holds",
        308: "a directory named without its trailing slash: to the slash form",
        401: "no valid session (token_expired, token_revoked, … for a bad token)",
        403: "the account lacks a role this file requires",
        404: "no such file inside the root",
    }
)
def serve(path: str) -> Response:
    """A members-only file (a directory's index.html) from the protected root."""
    settings = plugin_settings("content")
    identity, refusal = _visitor()
    if refusal is not None:
        if "text/html" in request.headers.get("Accept", ""):
            query = urlencode({"next": request.full_path.rstrip("?")})
            return redirect(f"{settings.login_url}?{query}", code=302)
        raise refusal
    root = Path(settings.root)
    found = resolve(root, path)
    if found is None:
        raise ApiError(404, "not_found", "no such page")
    target, directory = found
    if directory and path and not path.endswith("/"):
        return redirect(f"{request.script_root}{settings.url_prefix}/{quote(path)}/", code=308)
    resource = target.relative_to(root.resolve()).as_posix()
    if permission_allowed(identity, READ, resource) is False:
        raise ApiError(403, "forbidden", "your account does not have access to this page")
    if settings.accel_redirect_prefix:
        response = Response(status=200)
        response.headers["X-Accel-Redirect"] = settings.accel_redirect_prefix + quote(resource)
        # nginx fills in the type; an empty Content-Type tells it nothing wrong meanwhile.
        del response.headers["Content-Type"]
    else:
        response = send_file(target, conditional=True, etag=True, last_modified=target.stat().st_mtime)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
