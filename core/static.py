"""Serves ``site.static_dir`` at ``/`` (index.html for directories) as the 404 fallback.

It has no route of its own: a catch-all route would turn wrong-method requests to API paths
into 405s and shadow the JSON 404, so the static site only answers what no route matched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Response, redirect, request, send_file
from werkzeug.security import safe_join

#: Folder names inside the site folder that are never served.
HIDDEN = frozenset({"node_modules"})


def static_server(root: Path) -> Callable[[], Response | None]:
    """Return a function that serves the current request from ``root``, or None."""
    root = root.resolve()

    def serve() -> Response | None:
        if request.method not in ("GET", "HEAD") or request.path.startswith("/api"):
            return None
        # Tooling beside the pages (node_modules after `npm install`, .git, .env…) is not the site.
        if any(part.startswith(".") or part in HIDDEN for part in request.path.split("/")):
            return None
        joined = safe_join(str(root), request.path.lstrip("/"))
        if joined is None:
            return None
        target = Path(joined)
        try:
            if target.is_dir():
                if not request.path.endswith("/"):
                    query = request.query_string.decode("latin-1")
                    return redirect(request.path + "/" + (f"?{query}" if query else ""), code=308)
                target = target / "index.html"
            # A symlink inside the site must not lead outside it.
            if not target.is_file() or not target.resolve().is_relative_to(root):
                return None
        except (OSError, ValueError):
            # A name the filesystem refuses (too long, NUL byte) is simply not there: 404, not 500.
            return None
        return send_file(target, conditional=True, max_age=0)

    return serve
