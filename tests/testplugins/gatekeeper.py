"""A third-party plugin with its own opinion on members-only files (``permission_allowed``).

- ``secret/*``: denied to everyone, whatever their roles;
- ``staff/*``: allowed only to identities holding the ``staff`` role;
- ``open/*`` and ``premium/report.html``: explicitly granted (a grant cannot beat another
  plugin's denial: core combines answers as any False denies, otherwise any True allows).

Every question asked is recorded in ``asked``.
"""

from __future__ import annotations

from core import hookimpl

#: (action, resource, username or None) of every question asked.
asked: list[tuple[str, str, str | None]] = []


@hookimpl
def permission_allowed(identity, action, resource):
    asked.append((action, resource, identity.username if identity is not None else None))
    if action != "content.read":
        return None
    if resource.startswith("secret/"):
        return False
    if resource.startswith("staff/"):
        return identity is not None and "staff" in identity.roles
    if resource.startswith("open/") or resource == "premium/report.html":
        return True
    return None
