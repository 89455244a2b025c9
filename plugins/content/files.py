"""Members-only files: which file a path names inside ``root``, and who may read it.

Paths are resolved and then checked against the real root, so ``..``, encoded dots, absolute
paths, backslashes, NUL and symlinks that lead out all end in the same 404 (``routes.serve``).
"""

from __future__ import annotations

import fnmatch
import logging
from pathlib import Path

from core import Identity
from plugins.content.settings import settings

log = logging.getLogger("annex.content")

#: Action name asked of ``permission_allowed`` for a file read.
READ = "content.read"


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
    matching = [rule for rule in settings().rules if fnmatch.fnmatchcase(resource, rule.pattern)]
    if not matching:
        return None
    return identity is not None and all(identity.has_roles(*rule.roles) for rule in matching)


def warn_if_no_root() -> None:
    """A start-up warning when the configured root is not a folder (every page would be a 404)."""
    root = Path(settings().root)
    if not root.is_dir():
        log.warning("plugins.content.root %s is not a folder: members pages will all be 404", root.resolve())
