"""Serves ``site.static_dir`` at ``/`` (index.html for directories) as the 404 fallback, and
the files Annex ships for every site (``/annex.js``) where the site has none of that name.

It has no route of its own: a catch-all route would turn wrong-method requests to API paths
into 405s and shadow the JSON 404, so the static site only answers what no route matched.

Only the site is served: dotfiles, node_modules and the tooling a site folder may hold (npm
manifests and lock files, bundler configs; deploy/nginx.conf hides the same names) are not.
A page that declares ``<meta name="referrer" content="…">`` is also sent with that
``Referrer-Policy`` header: a page opened from a mailed link (a reset or verification page)
holds a token in its URL and says ``no-referrer``, and core need not know which pages those are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Response, redirect, request, send_file
from werkzeug.security import safe_join

#: Folder names inside the site folder that are never served.
HIDDEN = frozenset({"node_modules"})
#: Tooling files that may sit beside the pages, never served (compared lower-cased).
TOOLING = frozenset(
    {
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "tsconfig.json",
        "jsconfig.json",
        "deno.json",
    }
)
#: Bundler and linter configs (vite.config.js, webpack.config.mjs, …), never served.
TOOLING_CONFIG = re.compile(
    r"(?:vite|vitest|rollup|webpack|postcss|tailwind|eslint|svelte|astro)\.config\.[cm]?[jt]s"
)
#: How much of a page is searched for its referrer meta tag (it belongs early in <head>).
HEAD_BYTES = 4096
META_TAG = re.compile(rb"<meta\s[^>]*>", re.IGNORECASE)
META_REFERRER = re.compile(rb"""\bname\s*=\s*["']?referrer["'\s/>]""", re.IGNORECASE)
META_CONTENT = re.compile(rb"""\bcontent\s*=\s*["']?([a-z-]+)""", re.IGNORECASE)
#: The policies a page may ask for (https://www.w3.org/TR/referrer-policy/).
REFERRER_POLICIES = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)


def static_server(
    root: Path | None, packaged: Mapping[str, Path] | None = None
) -> Callable[[], Response | None]:
    """Return a function that serves the current request from ``root``, or None.

    ``packaged`` maps paths to files shipped with Annex (``/annex.js``) that every site gets
    unless its folder has a file of that name.
    """
    root = root.resolve() if root is not None else None
    packaged = dict(packaged or {})

    def serve() -> Response | None:
        if request.method not in ("GET", "HEAD") or request.path.startswith("/api"):
            return None
        served = from_site() if root is not None else None
        if served is None and request.path in packaged:
            served = send_file(packaged[request.path], conditional=True, max_age=0)
        return served

    def from_site() -> Response | None:
        assert root is not None
        # Tooling beside the pages (node_modules after `npm install`, .git, .env…) is not the site.
        if any(_hidden(part) for part in request.path.split("/")):
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
        response = send_file(target, conditional=True, max_age=0)
        if target.suffix.lower() in (".html", ".htm"):
            stat = target.stat()
            policy = referrer_policy(str(target), stat.st_mtime_ns, stat.st_size)
            if policy is not None:
                response.headers["Referrer-Policy"] = policy
        return response

    return serve


def _hidden(part: str) -> bool:
    name = part.lower()
    return name.startswith(".") or name in HIDDEN or name in TOOLING or bool(TOOLING_CONFIG.fullmatch(name))


@functools.lru_cache(maxsize=256)
def referrer_policy(path: str, mtime_ns: int, size: int) -> str | None:
    """The ``Referrer-Policy`` a page's ``<meta name="referrer">`` declares, or None (cached
    per version of the file: its modification time and size are part of the key)."""
    try:
        with open(path, "rb") as page:
            head = page.read(HEAD_BYTES)
    except OSError:
        return None
    for tag in META_TAG.findall(head):
        content = META_CONTENT.search(tag)
        if META_REFERRER.search(tag) and content:
            policy = content.group(1).decode().lower()
            return policy if policy in REFERRER_POLICIES else None
    return None
